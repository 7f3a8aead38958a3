"""What a Slack payload means to the core, and what a Slack error means to a person: small
pure helpers that the app and its listeners share (neither imports the other for them)."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError

from bot.models import Context

PLATFORM = "slack"
APOLOGY = "Sorry, something went wrong on my side; it has been logged. Please try again."
# What a Slack API error means for the person who asked, and what to do about it.
API_ERRORS = {
    "not_in_channel": "I'm not in this channel: invite me with `/invite @shipbot`, then try again.",
    "channel_not_found": "I can't see this channel: invite me with `/invite @shipbot`, "
                         "or use me in a public channel.",
    "is_archived": "This channel is archived, so I can't post in it.",
    "ratelimited": "Slack is rate-limiting me right now; please try again in a minute.",
    "msg_too_long": "That answer was too long for Slack.",
}


def explain(error: SlackApiError) -> str:
    """A user-facing sentence for a Slack API error."""
    code = str(error.response.get("error", "")) if error.response is not None else ""
    return API_ERRORS.get(code, f"Slack refused that ({code or 'unknown error'}).")


def slack_time(value: object) -> float | None:
    """Slack's own time of an event or action ("1700000000.000100"); None if absent."""
    try:
        return float(str(value)) if value else None
    except ValueError:
        return None


def command_context(payload: dict[str, Any]) -> Context:
    """The core Context for a slash command or an interaction payload. Anyone in a Slack
    channel may manage its subscriptions (as with Slack's own /feed and /remind)."""
    channel = payload.get("channel_id") or payload.get("channel", {}).get("id", "")
    team = payload.get("team_id") or (payload.get("team") or {}).get("id", "")
    user = payload.get("user_id") or (payload.get("user") or {}).get("id", "")
    is_dm = channel.startswith("D") or payload.get("channel_name") == "directmessage"
    return Context(platform=PLATFORM, workspace=team, channel=channel, user=user, is_dm=is_dm,
                   can_manage=True)
