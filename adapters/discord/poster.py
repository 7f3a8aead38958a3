"""Discord's card platform (bot.pipeline.CardPlatform): post, send privately, edit, read
reactions; delivery failures classified for the dispatcher."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING

import discord

from adapters.discord.embeds import emoji_meaning, render_embed
from bot.cards import Card
from bot.dispatch import DeliveryError
from bot.store import CardRef

if TYPE_CHECKING:
    from adapters.discord.client import ShipbotDiscord

NO_PINGS = discord.AllowedMentions.none()


class DiscordPoster:
    """Discord's cards, through the running client (on its loop)."""

    platform = "discord"

    def __init__(self, client: ShipbotDiscord) -> None:
        self.client = client

    async def post(self, card: Card, workspace: str, channel: str) -> str:
        """Post and return the message id, or raise DeliveryError."""
        return await self._send(self.client.post_card(card, workspace, channel))

    async def post_dm(self, card: Card, workspace: str, user: str) -> str:
        """A direct message to a person; the message id, or DeliveryError (closed DMs are a
        permanent failure: Discord answers 403, code 50007)."""
        return await self._send(self.client.post_dm(card, user))

    async def edit(self, ref: CardRef, card: Card) -> None:
        """Edit a posted card's embed to what it shows now."""
        channel = self.client.get_partial_messageable(int(ref.channel))
        await channel.get_partial_message(int(ref.message_id)).edit(
            embed=render_embed(card), allowed_mentions=NO_PINGS)

    async def reactions(self, ref: CardRef) -> dict[str, set[int | str]]:
        """Each person's voting reactions on a card now (bots left out: Discord says who)."""
        channel = self.client.get_partial_messageable(int(ref.channel))
        message = await channel.fetch_message(int(ref.message_id))
        shown: dict[str, set[int | str]] = {}
        for reaction in message.reactions:
            meaning = emoji_meaning(str(reaction.emoji))
            if meaning is None:
                continue
            async for person in reaction.users(limit=None):
                if not person.bot:
                    shown.setdefault(str(person.id), set()).add(meaning)
        return shown

    async def _send(self, send: Awaitable[str]) -> str:
        if not self.client.is_ready():
            if hasattr(send, "close"):
                send.close()
            raise DeliveryError("temporary", "discord client not connected yet", retry_after=5)
        try:
            return await send
        except discord.Forbidden as exc:
            raise DeliveryError("permanent", f"forbidden: {exc.text or 'missing access'}") from exc
        except discord.NotFound as exc:
            raise DeliveryError("permanent", f"not found: {exc.text or 'unknown channel'}") from exc
        except discord.RateLimited as exc:
            raise DeliveryError("temporary", "rate limited", exc.retry_after) from exc
        except discord.HTTPException as exc:
            retry_after = _retry_after(exc) if exc.status == 429 else None
            raise DeliveryError("temporary", f"http {exc.status}: {exc.text}", retry_after) from exc
        except (OSError, discord.ConnectionClosed) as exc:
            raise DeliveryError("temporary", f"connection: {exc!r}") from exc


def _retry_after(exc: discord.HTTPException) -> float:
    """Seconds Discord asked us to wait, from the header (a 429 outside discord.py's own retry)."""
    try:
        return float(exc.response.headers.get("Retry-After", "5"))
    except (TypeError, ValueError):
        return 5.0
