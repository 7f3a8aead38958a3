"""Discord app commands: each calls the core's typed command with its options as they came
(nothing is joined into a sentence and parsed again), and the client sends the card."""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import Literal

import discord
from discord import app_commands

from adapters.discord.answering import Answerer
from bot.cards import Card, error_card
from bot.commands import ShipBot
from bot.filters import FILTER_HELP
from bot.team import DECIDE_USAGE

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


def revisit_date(text: str) -> date | None:
    """A `revisit` option: YYYY-MM-DD, or empty for none; anything else raises ValueError."""
    text = text.strip()
    if not text:
        return None
    if len(text) != 10:
        raise ValueError(text)
    return date.fromisoformat(text)


def id_option(text: str) -> int | str:
    """An id option (`12`, `#12`), or the text itself (`all`, or something to refuse)."""
    text = text.strip().lstrip("#").lower()
    return int(text[:4000]) if text.isascii() and text.isdigit() else text


def register(tree: app_commands.CommandTree, client: Answerer) -> None:
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
        await client.answer(interaction, lambda ctx: core.call(
            ctx, core.comparing.compare, ctx, names))

    @tree.command(name="verdict", description="One AI tool's panel verdict, votes and pricing")
    @app_commands.describe(tool="The tool")
    @app_commands.autocomplete(tool=tools_ac)
    async def verdict(interaction: discord.Interaction, tool: str) -> None:
        await client.answer(interaction, lambda ctx: core.call(
            ctx, core.comparing.verdict, ctx, tool))

    @tree.command(name="reviews", description="Each reviewer's score, verdict and remark")
    @app_commands.describe(tool="The tool", other="Optional second tool, side by side")
    @app_commands.autocomplete(tool=tools_ac, other=tools_ac)
    async def reviews(interaction: discord.Interaction, tool: str,
                      other: str | None = None) -> None:
        names = [n for n in (tool, other) if n]
        await client.answer(interaction, lambda ctx: core.call(
            ctx, core.comparing.reviews, ctx, names))

    @tree.command(name="search", description="Find tools by name")
    @app_commands.describe(query="Words in the tool's name")
    async def search(interaction: discord.Interaction, query: str) -> None:
        await client.answer(interaction, lambda ctx: core.call(
            ctx, core.comparing.search, ctx, query))

    @tree.command(name="which", description="Which tool fits a need? e.g. voice api for agents")
    @app_commands.describe(need="What you need it for, in your words")
    async def which(interaction: discord.Interaction, need: str) -> None:
        await client.answer(interaction, lambda ctx: core.call(ctx, core.needs.need, need))

    @tree.command(name="top", description="The leaderboard by panel score")
    @app_commands.describe(category="Only this category")
    @app_commands.autocomplete(category=category_ac)
    async def top(interaction: discord.Interaction, category: str | None = None) -> None:
        await client.answer(interaction, lambda ctx: core.call(
            ctx, core.comparing.top, ctx, category))

    @tree.command(name="vote", description="Your community vote on a tool (one per tool)")
    @app_commands.describe(tool="The tool", choice="ship, skip, or retract your vote")
    @app_commands.autocomplete(tool=tools_ac)
    async def vote(interaction: discord.Interaction, tool: str,
                   choice: Literal["ship", "skip", "retract"]) -> None:
        await client.answer(interaction, lambda ctx: core.call(
            ctx, core.voting.vote, ctx, tool, choice))

    @tree.command(name="subscribe", description="Post new verdicts in this channel")
    @app_commands.describe(filter="e.g. vendor:anthropic min_score:80 (empty: everything)",
                           weekly="One digest a week instead of a card per verdict")
    @app_commands.default_permissions(manage_channels=True)
    async def subscribe(interaction: discord.Interaction, filter: str = "",  # noqa: A002
                        weekly: bool = False) -> None:
        await client.answer(interaction, lambda ctx: core.call(
            ctx, core.subscribing.subscribe, ctx, weekly, filter))

    @tree.command(name="unsubscribe", description="Stop a subscription in this channel")
    @app_commands.describe(subscription="The id from /subscriptions, or all")
    @app_commands.default_permissions(manage_channels=True)
    async def unsubscribe(interaction: discord.Interaction, subscription: str) -> None:
        await client.answer(interaction, lambda ctx: core.call(
            ctx, core.subscribing.unsubscribe, ctx, id_option(subscription)))

    @tree.command(name="subscriptions", description="This channel's subscriptions")
    async def subscriptions(interaction: discord.Interaction) -> None:
        await client.answer(interaction, lambda ctx: core.call(
            ctx, core.subscribing.subscriptions, ctx))

    @tree.command(name="watch", description="Get a DM when a tool's verdict is published or "
                                            "changes")
    @app_commands.describe(tool="The tool")
    @app_commands.autocomplete(tool=tools_ac)
    async def watch(interaction: discord.Interaction, tool: str) -> None:
        await client.answer(interaction, lambda ctx: core.call(
            ctx, core.watching.watch, ctx, tool))

    @tree.command(name="unwatch", description="Stop watching a tool (or all)")
    @app_commands.describe(tool="The tool, or all")
    @app_commands.autocomplete(tool=tools_ac)
    async def unwatch(interaction: discord.Interaction, tool: str) -> None:
        await client.answer(interaction, lambda ctx: core.call(
            ctx, core.watching.unwatch, ctx, tool))

    @tree.command(name="watching", description="The tools you watch")
    async def watching(interaction: discord.Interaction) -> None:
        await client.answer(interaction, lambda ctx: core.call(
            ctx, core.watching.watching, ctx))

    @tree.command(name="decide", description="Record this channel's decision")
    @app_commands.describe(tool="The tool the channel ships",
                           over="The tools it was chosen over, separated by commas",
                           because="Why", revisit="When to look again, as YYYY-MM-DD")
    @app_commands.autocomplete(tool=tools_ac)
    async def decide(interaction: discord.Interaction, tool: str, over: str = "",
                     because: str = "", revisit: str = "") -> None:
        try:
            when = revisit_date(revisit)
        except ValueError:
            await client.answer(interaction, lambda ctx: _bad_revisit(revisit))
            return
        others = [n for n in over.split(",") if n.strip()]
        await client.answer(interaction, lambda ctx: core.call(
            ctx, core.deciding.decide, ctx, tool, others, because, when))

    @tree.command(name="decisions", description="This channel's decisions, newest first")
    async def decisions(interaction: discord.Interaction) -> None:
        await client.answer(interaction, lambda ctx: core.call(
            ctx, core.deciding.decisions, ctx))

    @tree.command(name="undecide", description="Remove one of this channel's decisions")
    @app_commands.describe(decision="The id from /decisions")
    async def undecide(interaction: discord.Interaction, decision: str) -> None:
        number = id_option(decision)
        await client.answer(interaction, lambda ctx: core.call(
            ctx, core.deciding.undecide, ctx, number if isinstance(number, int) else None))

    @tree.command(name="help", description="What shipbot can do")
    async def help_(interaction: discord.Interaction) -> None:
        await client.answer(interaction, lambda ctx: core.comparing.help(FILTER_HELP))


def _bad_revisit(typed: str) -> Card:
    shown = typed.strip()[:40]
    return error_card(f"“{shown}” is not a date: give the revisit date as YYYY-MM-DD, e.g. "
                      "2027-03-01.", DECIDE_USAGE)
