"""The Slack app manifest: paste it into api.slack.com/apps -> Create New App -> From a manifest."""

from __future__ import annotations

from typing import Any

from adapters.slack.app import SCOPES

_COMMANDS = [
    ("/compare", "Which should I ship? Compare two to four AI tools", "claude vs azure"),
    ("/verdict", "One AI tool's panel verdict, votes and pricing", "claude"),
    ("/shipbot", "search, top, vote, subscribe, watch, decide, decisions, help", "help"),
]


def manifest(socket_mode: bool, public_url: str = "https://YOUR-HOST") -> dict[str, Any]:
    """The manifest; with socket_mode no request URLs are needed."""
    events_url = f"{public_url.rstrip('/')}/slack/events"
    commands = []
    for name, description, hint in _COMMANDS:
        command = {"command": name, "description": description, "usage_hint": hint,
                   "should_escape": False}
        if not socket_mode:
            command["url"] = events_url
        commands.append(command)
    interactivity: dict[str, Any] = {"is_enabled": True}
    # app_uninstalled and tokens_revoked: a workspace that removes the app is forgotten.
    events: dict[str, Any] = {"bot_events": ["reaction_added", "reaction_removed",
                                             "app_uninstalled", "tokens_revoked"]}
    if not socket_mode:
        interactivity["request_url"] = events_url
        events["request_url"] = events_url
    settings: dict[str, Any] = {"event_subscriptions": events, "interactivity": interactivity,
                                "org_deploy_enabled": False, "socket_mode_enabled": socket_mode,
                                "token_rotation_enabled": False}
    oauth: dict[str, Any] = {"scopes": {"bot": SCOPES}}
    if not socket_mode:
        oauth["redirect_urls"] = [f"{public_url.rstrip('/')}/slack/oauth_redirect"]
    return {
        "display_information": {"name": "shipbot",
                                "description": "Which AI developer tool should you ship?",
                                "background_color": "#2c2d30"},
        # The Messages tab lets the bot send watchers their alerts as direct messages.
        "features": {"bot_user": {"display_name": "shipbot", "always_online": True},
                     "app_home": {"home_tab_enabled": False, "messages_tab_enabled": True,
                                  "messages_tab_read_only_enabled": True},
                     "slash_commands": commands},
        "oauth_config": oauth,
        "settings": settings,
    }
