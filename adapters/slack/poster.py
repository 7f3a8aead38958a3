"""Slack's side of delivery: post a card to a channel, classify failures for the dispatcher."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError

from adapters.slack.app import SlackAdapter
from bot.cards import Card
from bot.dispatch import DeliveryError

# Errors that will not go away by retrying: the channel or the bot's access is gone.
PERMANENT = {"channel_not_found", "not_in_channel", "is_archived", "account_inactive",
             "invalid_auth", "token_revoked", "missing_scope", "restricted_action",
             "team_access_not_granted", "ekm_access_denied",
             # direct messages: the person is gone, or does not take messages from apps
             "user_not_found", "user_disabled", "cannot_dm_bot", "messages_tab_disabled"}


class SlackPoster:
    """Posts delivery cards through the running Slack adapter."""

    platform = "slack"

    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter

    def post(self, card: Card, workspace: str, channel: str) -> str:
        """Post and return the message ts, or raise DeliveryError."""
        return self._send(card, workspace, channel)

    def post_dm(self, card: Card, workspace: str, user: str) -> str:
        """A direct message from the bot to a person; the message ts, or DeliveryError."""
        return self._send(card, workspace, user)

    def _send(self, card: Card, workspace: str, channel: str) -> str:
        try:
            return self.adapter.post_card(card, workspace, channel)
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
