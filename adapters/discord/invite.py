"""The OAuth2 URL that invites the bot with exactly the scopes and permissions it uses."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

import discord

SCOPES = ("bot", "applications.commands")


def needed_permissions() -> discord.Permissions:
    """See channels, post embeds, add and read the voting reactions on its own cards."""
    return discord.Permissions(view_channel=True, send_messages=True, embed_links=True,
                               add_reactions=True, read_message_history=True)


def application_id_from_token(token: str) -> int | None:
    """A bot token's first part is the base64 of the bot's id (the application id)."""
    head = token.split(".", 1)[0]
    try:
        return int(base64.b64decode(head + "=" * (-len(head) % 4)).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def invite_url(application_id: int) -> str:
    """https://discord.com/oauth2/authorize?client_id=…&scope=bot+applications.commands&permissions=…"""
    query = urlencode({"client_id": application_id, "scope": " ".join(SCOPES),
                       "permissions": needed_permissions().value})
    return f"https://discord.com/oauth2/authorize?{query}"
