"""Discord's side of delivery: post a card to a channel, classify failures for the dispatcher."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import discord

from adapters.discord.client import ShipbotDiscord
from bot.cards import Card
from bot.dispatch import DeliveryError

POST_TIMEOUT = 120.0  # discord.py waits out rate limits itself; this bounds a stuck call


class DiscordPoster:
    """Posts delivery cards through the running Discord client, from the dispatcher's thread."""

    platform = "discord"

    def __init__(self, client: ShipbotDiscord) -> None:
        self.client = client

    def post(self, card: Card, workspace: str, channel: str) -> str:
        """Post and return the message id, or raise DeliveryError."""
        return self._send(self.client.post_card(card, workspace, channel))

    def post_dm(self, card: Card, workspace: str, user: str) -> str:
        """A direct message to a person; the message id, or DeliveryError (closed DMs are a
        permanent failure: Discord answers 403, code 50007)."""
        return self._send(self.client.post_dm(card, user))

    def _send(self, send: Coroutine[Any, Any, str]) -> str:
        if not self.client.is_ready():
            send.close()
            raise DeliveryError("temporary", "discord client not connected yet", retry_after=5)
        future = asyncio.run_coroutine_threadsafe(send, self.client.loop)
        try:
            return future.result(timeout=POST_TIMEOUT)
        except discord.Forbidden as exc:
            raise DeliveryError("permanent", f"forbidden: {exc.text or 'missing access'}") from exc
        except discord.NotFound as exc:
            raise DeliveryError("permanent", f"not found: {exc.text or 'unknown channel'}") from exc
        except discord.RateLimited as exc:
            raise DeliveryError("temporary", "rate limited", exc.retry_after) from exc
        except discord.HTTPException as exc:
            retry_after = _retry_after(exc) if exc.status == 429 else None
            raise DeliveryError("temporary", f"http {exc.status}: {exc.text}", retry_after) from exc
        except (TimeoutError, OSError, discord.ConnectionClosed) as exc:
            raise DeliveryError("temporary", f"connection: {exc!r}") from exc


def _retry_after(exc: discord.HTTPException) -> float:
    """Seconds Discord asked us to wait, from the header (a 429 outside discord.py's own retry)."""
    try:
        return float(exc.response.headers.get("Retry-After", "5"))
    except (TypeError, ValueError):
        return 5.0
