"""Card messages: which posted platform message shows which card, so votes on it count."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.storage.clock import utcnow
from bot.storage.engine import Engine


@dataclass(frozen=True)
class CardRef:
    """What a posted card message shows, so reactions on it can become votes."""

    platform: str
    workspace: str
    channel: str
    message_id: str
    kind: str
    tool_ids: tuple[str, ...]


class CardMessages:
    """Posted cards by platform, channel and message id."""

    def __init__(self, engine: Engine) -> None:
        self.db = engine

    def remember_card(self, ref: CardRef) -> None:
        """Map a posted platform message to the card kind and tools it shows."""
        # One plain statement (atomic by itself): this runs for every posted card.
        self.db.execute(
            "INSERT INTO card_messages (platform, channel, message_id, workspace, kind, "
            "tool_ids, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, channel, "
            "message_id) DO UPDATE SET workspace = excluded.workspace, kind = excluded.kind, "
            "tool_ids = excluded.tool_ids, created_at = excluded.created_at",
            [ref.platform, ref.channel, ref.message_id, ref.workspace, ref.kind,
             json.dumps(ref.tool_ids), utcnow()])

    def card_at(self, platform: str, channel: str, message_id: str) -> CardRef | None:
        """The card a platform message shows, or None if it is not one of ours."""
        row = self.db.execute(
            "SELECT workspace, kind, tool_ids FROM card_messages "
            "WHERE platform=? AND channel=? AND message_id=?",
            [platform, channel, message_id]).fetchone()
        if row is None:
            return None
        return CardRef(platform, row[0], channel, message_id, row[1], tuple(json.loads(row[2])))

    def recent(self, platform: str, since: str, limit: int = 10_000) -> list[CardRef]:
        """A platform's cards posted since `since` (ISO time), newest first."""
        rows = self.db.execute(
            "SELECT workspace, channel, message_id, kind, tool_ids FROM card_messages "
            "WHERE platform = ? AND created_at >= ? ORDER BY created_at DESC LIMIT ?",
            [platform, since, limit])
        return [CardRef(platform, w, c, m, k, tuple(json.loads(t))) for w, c, m, k, t in rows]
