"""A person's watched tools, alerted by direct message: watch, unwatch, watching."""

from __future__ import annotations

from bot.cards import Card, error_card, info_card
from bot.features.lookup import Lookup
from bot.models import Context
from bot.store import Store

ALL = "all"


class Watching:
    """The tools a person follows across every channel of a workspace."""

    def __init__(self, store: Store, lookup: Lookup) -> None:
        self.store, self.lookup = store, lookup

    def watch(self, ctx: Context, tool: str) -> Card:
        """A direct message whenever the tool's verdict is published or changes."""
        if not tool.strip():
            return error_card("Which tool should I watch for you?", "Type `watch claude`.")
        found = self.lookup.one_tool(tool, ctx, "watch")
        if isinstance(found, Card):
            return found
        tool_id, name = found
        if not self.store.watches.add(*ctx.person, tool_id):
            return info_card("Watching", [f"You already watch {name}; nothing changed.",
                                          "Type `watching` for your list."])
        lines = [f"Watching {name}: I'll send you a direct message when a comparison with it is "
                 "published, or its pick or verdict changes."]
        if not ctx.can_receive:
            lines.append("Alerts are direct messages in Slack or Discord; this console only "
                         "keeps the list.")
        return info_card("Watching", lines)

    def unwatch(self, ctx: Context, tool: str) -> Card:
        """Stop watching one tool, or `all`."""
        if not tool.strip():
            return error_card("Which tool should I stop watching?",
                              "Type `unwatch claude`, or `unwatch all`.")
        watched = [t for t, _ in self.store.watches.of(*ctx.person)]
        if tool.strip().lower() == ALL:
            for tool_id in watched:
                self.store.unwatch(*ctx.person, tool_id)
            return info_card("Watching", [f"Stopped watching {len(watched)} tool(s)." if watched
                                          else "You watch no tools; nothing to remove."])
        found = self.lookup.one_tool(tool, ctx, "unwatch")
        if isinstance(found, Card):
            return found
        tool_id, name = found
        if not self.store.unwatch(*ctx.person, tool_id):
            return info_card("Watching", [f"You don't watch {name}; nothing changed.",
                                          "Type `watching` for your list."])
        return info_card("Watching", [f"Stopped watching {name}."])

    def watching(self, ctx: Context) -> Card:
        """The tools this person watches."""
        watched = self.store.watches.of(*ctx.person)
        if not watched:
            return info_card("Watching", ["You watch no tools. Type `watch <tool>` to get a "
                                          "direct message when its verdict changes."])
        tools = self.store.catalog.tools(t for t, _ in watched)
        lines = [f"{tools[t].short_name if t in tools else t} — since {since[:10]}"
                 for t, since in watched]
        return info_card("Watching", lines)
