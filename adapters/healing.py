"""Re-reading the reactions on recent cards, paced: the loop both platforms share."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.store import CardRef

log = logging.getLogger(__name__)


def recent_since(days: float) -> str:
    """The ISO time `days` ago: cards posted since then are re-read."""
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")


async def heal_cards(platform: str, refs: list[CardRef],
                     heal_one: Callable[[CardRef], Awaitable[bool]], rate: float,
                     recoverable: tuple[type[BaseException], ...]) -> int:
    """Heal each card in turn, at most `rate` platform reads a second; a card the platform
    will not show (deleted, no access) is logged and skipped. Returns how many changed."""
    changed = 0
    for n, ref in enumerate(refs):
        if n:
            await asyncio.sleep(1 / rate)
        try:
            changed += await heal_one(ref)
        except recoverable as exc:
            log.warning("%s: could not re-read reactions on %s/%s: %s", platform, ref.channel,
                        ref.message_id, exc.__class__.__name__)
    if refs:
        log.info("%s: re-read reactions on %d recent card(s), %d corrected", platform,
                 len(refs), changed)
    return changed
