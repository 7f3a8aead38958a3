"""Slack's card platform (bot.pipeline.CardPlatform): post, send privately, edit, read reactions;
delivery failures classified for the dispatcher."""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import REACTION_MEANINGS, render
from bot.cards import Card
from bot.dispatch import DeliveryError
from bot.store import CardRef

if TYPE_CHECKING:
    from adapters.slack.app import SlackAdapter

log = logging.getLogger(__name__)

# Errors that will not go away by retrying: the channel or the bot's access is gone.
PERMANENT = {"channel_not_found", "not_in_channel", "is_archived", "account_inactive",
             "invalid_auth", "token_revoked", "missing_scope", "restricted_action",
             "team_access_not_granted", "ekm_access_denied",
             # direct messages: the person is gone, or does not take messages from apps
             "user_not_found", "user_disabled", "cannot_dm_bot", "messages_tab_disabled"}


class SlackPoster:
    """Slack's cards, through the running adapter's Web API clients (on the loop)."""

    platform = "slack"

    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter

    async def post(self, card: Card, workspace: str, channel: str) -> str:
        """Post and return the message ts, or raise DeliveryError."""
        return await self._send(card, workspace, channel)

    async def post_dm(self, card: Card, workspace: str, user: str) -> str:
        """A direct message from the bot to a person; the message ts, or DeliveryError."""
        return await self._send(card, workspace, user)

    async def edit(self, ref: CardRef, card: Card) -> None:
        """chat.update a posted card with what it shows now."""
        blocks, text = render(card)
        client = await self.adapter.client_for(ref.workspace)
        await client.chat_update(channel=ref.channel, ts=ref.message_id, blocks=blocks, text=text)

    async def reactions(self, ref: CardRef) -> dict[str, set[int | str]]:
        """reactions.get: each person's voting reactions on a card (bots, ours too, left out)."""
        client = await self.adapter.client_for(ref.workspace)
        answer = await client.reactions_get(channel=ref.channel, timestamp=ref.message_id,
                                            full=True)
        shown: dict[str, set[int | str]] = {}
        for reaction in (answer.get("message") or {}).get("reactions") or []:
            meaning = REACTION_MEANINGS.get(str(reaction.get("name", "")).split("::", 1)[0])
            if meaning is None:
                continue
            for user in reaction.get("users") or []:
                shown.setdefault(str(user), set()).add(meaning)
        ours = await self.adapter.bot_user_id(client)
        pipeline = self.adapter.pipeline
        for user in list(shown):
            if user == ours or await pipeline.known_bot(ref.workspace, user,
                                                         functools.partial(self.is_bot, client)):
                del shown[user]
        return shown

    @staticmethod
    async def is_bot(client: AsyncWebClient, user: str) -> bool | None:
        """users.info: is this account a bot (Slackbot too)? None if Slack could not say."""
        try:
            info = await client.users_info(user=user)
        except SlackApiError as exc:
            log.warning("slack: users.info failed (%s)",
                        exc.response.get("error") if exc.response is not None else "?")
            return None
        profile = info.get("user") or {}
        return bool(profile.get("is_bot") or profile.get("id") == "USLACKBOT")

    async def _send(self, card: Card, workspace: str, channel: str) -> str:
        try:
            return await self.adapter.post_card(card, workspace, channel)
        except SlackApiError as exc:
            code = str(exc.response.get("error", "unknown")) if exc.response is not None else ""
            if code in PERMANENT:
                raise DeliveryError("permanent", code) from exc
            retry_after = None
            if exc.response is not None and exc.response.status_code == 429:
                retry_after = float(exc.response.headers.get("Retry-After", "30"))
            raise DeliveryError("temporary", code, retry_after) from exc
        except LookupError as exc:  # the workspace uninstalled the app
            raise DeliveryError("permanent", str(exc)) from exc
        except (OSError, aiohttp.ClientError) as exc:
            raise DeliveryError("temporary", f"network: {exc.__class__.__name__}") from exc
