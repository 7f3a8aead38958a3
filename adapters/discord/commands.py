"""Discord app commands: each one builds core command text and lets the client send the card."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands

from bot.commands import ShipBot

if TYPE_CHECKING:
    from adapters.discord.client import ShipbotDiscord

log = logging.getLogger(__name__)
MAX_CHOICES = 25  # Discord's limit for autocomplete answers


def tool_choices(core: ShipBot, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete: up to 25 tools for what has been typed; each value resolves to its tool
    (the id, or a short token for an id over Discord's 100 characters)."""
    index = core.index
    return [app_commands.Choice(name=m.name[:100], value=index.choice_value(m.tool_id))
            for m in index.suggest(current, limit=MAX_CHOICES)]


def category_choices(core: ShipBot, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for categories: those containing what has been typed."""
    wanted = current.lower().strip()
    found = [c for c in core.store.catalog.categories() if wanted in c.lower()]
    return [app_commands.Choice(name=c[:100], value=c[:100]) for c in found[:MAX_CHOICES]]


def register(tree: app_commands.CommandTree, client: ShipbotDiscord) -> None:
    """Declare every slash command on the tree."""
    core = client.core

    @tree.error
    async def on_error(interaction: discord.Interaction,
                       error: app_commands.AppCommandError) -> None:
        log.error("command failed", exc_info=error)
        await client.tell(interaction, "Sorry, something went wrong on my side; it has been "
                                        "logged. Please try again.")

    # Autocomplete reads the store: off the gateway's event loop, like every store call.
    async def tools_ac(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await asyncio.to_thread(tool_choices, core, current)

    async def category_ac(interaction: discord.Interaction,
                          current: str) -> list[app_commands.Choice[str]]:
        return await asyncio.to_thread(category_choices, core, current)

    @tree.command(name="compare", description="Which should I ship? Compare two to four AI tools")
    @app_commands.describe(tool_a="First tool", tool_b="Second tool", tool_c="Optional third tool",
                           tool_d="Optional fourth tool")
    @app_commands.autocomplete(tool_a=tools_ac, tool_b=tools_ac, tool_c=tools_ac, tool_d=tools_ac)
    async def compare(interaction: discord.Interaction, tool_a: str, tool_b: str,
                      tool_c: str | None = None, tool_d: str | None = None) -> None:
        names = [n for n in (tool_a, tool_b, tool_c, tool_d) if n]
        await client.run_command(interaction, "compare " + " vs ".join(names))

    @tree.command(name="verdict", description="One AI tool's panel verdict, votes and pricing")
    @app_commands.describe(tool="The tool")
    @app_commands.autocomplete(tool=tools_ac)
    async def verdict(interaction: discord.Interaction, tool: str) -> None:
        await client.run_command(interaction, f"verdict {tool}")

    @tree.command(name="reviews", description="Each reviewer's score, verdict and remark")
    @app_commands.describe(tool="The tool", other="Optional second tool, side by side")
    @app_commands.autocomplete(tool=tools_ac, other=tools_ac)
    async def reviews(interaction: discord.Interaction, tool: str, other: str | None = None) -> None:
        await client.run_command(interaction, "reviews " + " vs ".join(
            n for n in (tool, other) if n))

    @tree.command(name="search", description="Find tools by name")
    @app_commands.describe(query="Words in the tool's name")
    async def search(interaction: discord.Interaction, query: str) -> None:
        await client.run_command(interaction, f"search {query}")

    @tree.command(name="top", description="The leaderboard by panel score")
    @app_commands.describe(category="Only this category")
    @app_commands.autocomplete(category=category_ac)
    async def top(interaction: discord.Interaction, category: str | None = None) -> None:
        await client.run_command(interaction, f"top {category or ''}")

    @tree.command(name="vote", description="Your community vote on a tool (one per tool)")
    @app_commands.describe(tool="The tool", choice="ship, skip, or retract your vote")
    @app_commands.autocomplete(tool=tools_ac)
    async def vote(interaction: discord.Interaction, tool: str,
                   choice: Literal["ship", "skip", "retract"]) -> None:
        await client.run_command(interaction, f"vote {tool} {choice}")

    @tree.command(name="subscribe", description="Post new verdicts in this channel")
    @app_commands.describe(filter="e.g. vendor:anthropic min_score:80 (empty: everything)",
                           weekly="One digest a week instead of a card per verdict")
    @app_commands.default_permissions(manage_channels=True)
    async def subscribe(interaction: discord.Interaction, filter: str = "",  # noqa: A002
                        weekly: bool = False) -> None:
        await client.run_command(interaction,
                                 f"subscribe {'weekly ' if weekly else ''}{filter}")

    @tree.command(name="unsubscribe", description="Stop a subscription in this channel")
    @app_commands.describe(subscription="The id from /subscriptions, or all")
    @app_commands.default_permissions(manage_channels=True)
    async def unsubscribe(interaction: discord.Interaction, subscription: str) -> None:
        await client.run_command(interaction, f"unsubscribe {subscription}")

    @tree.command(name="subscriptions", description="This channel's subscriptions")
    async def subscriptions(interaction: discord.Interaction) -> None:
        await client.run_command(interaction, "subscriptions")

    @tree.command(name="watch", description="Get a DM when a tool's verdict is published or "
                                            "changes")
    @app_commands.describe(tool="The tool")
    @app_commands.autocomplete(tool=tools_ac)
    async def watch(interaction: discord.Interaction, tool: str) -> None:
        await client.run_command(interaction, f"watch {tool}")

    @tree.command(name="unwatch", description="Stop watching a tool (or all)")
    @app_commands.describe(tool="The tool, or all")
    @app_commands.autocomplete(tool=tools_ac)
    async def unwatch(interaction: discord.Interaction, tool: str) -> None:
        await client.run_command(interaction, f"unwatch {tool}")

    @tree.command(name="watching", description="The tools you watch")
    async def watching(interaction: discord.Interaction) -> None:
        await client.run_command(interaction, "watching")

    @tree.command(name="decide", description="Record this channel's decision")
    @app_commands.describe(tool="The tool the channel ships",
                           over="The tools it was chosen over, separated by commas",
                           because="Why", revisit="When to look again, as YYYY-MM-DD")
    @app_commands.autocomplete(tool=tools_ac)
    async def decide(interaction: discord.Interaction, tool: str, over: str = "",
                     because: str = "", revisit: str = "") -> None:
        parts = [f"decide {tool}"]
        parts += [f"over {over}"] if over.strip() else []
        parts += [f"because {because}"] if because.strip() else []
        parts += [f"revisit {revisit}"] if revisit.strip() else []
        await client.run_command(interaction, " ".join(parts))

    @tree.command(name="decisions", description="This channel's decisions, newest first")
    async def decisions(interaction: discord.Interaction) -> None:
        await client.run_command(interaction, "decisions")

    @tree.command(name="undecide", description="Remove one of this channel's decisions")
    @app_commands.describe(decision="The id from /decisions")
    async def undecide(interaction: discord.Interaction, decision: str) -> None:
        await client.run_command(interaction, f"undecide {decision}")

    @tree.command(name="help", description="What shipbot can do")
    async def help_(interaction: discord.Interaction) -> None:
        await client.run_command(interaction, "help")
