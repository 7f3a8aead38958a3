"""The one entry point: command text in, Card out, store changed only when it should be."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.commands import ShipBot
from bot.models import Context
from bot.render_text import render_text
from bot.store import CardRef, Store
from tests.conftest import AZURE, CLAUDE, add_tools, make_tool

TODAY = datetime.now(UTC).date().isoformat()  # the fixture's tools were stored just now


def test_compare_card(bot: ShipBot, ctx: Context) -> None:
    card = bot.handle("/compare claude azure", ctx)
    assert "compare" == card.kind
    assert [CLAUDE, AZURE] == card.tool_ids
    assert card.recommendation is not None
    assert (CLAUDE, "Claude 4 API", ["Founder"]) == (
        card.recommendation.pick_id, card.recommendation.pick_name, card.recommendation.dissenters)
    assert ["Builder", "Skeptic", "Futurist", "Founder"] == [r.persona for r in card.scorecard]
    assert [[88, 78], [82, 72], [85, 75], [79, 81]] == [r.scores for r in card.scorecard]
    assert ["No community votes yet"] * 2 == [c.community_line for c in card.columns]
    assert (f"Added {TODAY} · Review date not recorded · Source: panel comparison: "
            "Claude 4 API vs Azure AI "
            "Foundry") == card.footer
    assert not card.ephemeral


def test_typo_compare_gives_same_card(bot: ShipBot, ctx: Context) -> None:
    assert bot.handle("compare cluade azrue", ctx).tool_ids == [CLAUDE, AZURE]


def test_unknown_name_is_did_you_mean_not_a_card(bot: ShipBot, ctx: Context) -> None:
    card = bot.handle("compare claude zzzzqqq", ctx)
    assert "did_you_mean" == card.kind
    assert card.ephemeral
    assert "zzzzqqq" in card.title


def test_did_you_mean_choice_runs_full_compare(store: Store, ctx: Context) -> None:
    add_tools(store, make_tool("Cursor", (80, 80, 80, 80)), make_tool("Cursive", (70, 70, 70, 70)))
    bot = ShipBot(store)
    card = bot.handle("compare claude cursxx", ctx)
    assert "did_you_mean" == card.kind
    assert ["Cursive", "Cursor"] == sorted(c.label for c in card.choices)
    chosen = next(c for c in card.choices if c.label == "Cursor")
    assert f"compare {CLAUDE} vs cursor" == chosen.command
    assert [CLAUDE, "cursor"] == bot.handle(chosen.command, ctx).tool_ids


def test_same_tool_twice_one_tool_and_five_tools(bot: ShipBot, ctx: Context) -> None:
    same = bot.handle("compare claude vs anthropic", ctx)
    assert ("error", "Those names all point at the same tool (Claude 4 API).") == (
        same.kind, same.lines[0])
    one = bot.handle("compare claude", ctx)
    assert "error" == one.kind
    assert "at least two tools" in one.lines[0]
    assert "verdict claude" in one.lines[1]
    many = bot.handle("compare a, b, c, d, e", ctx)  # five names, none known: ask about one
    assert "did_you_mean" == many.kind and "“a”" in many.title


def test_verdict_and_search_and_top(bot: ShipBot, ctx: Context) -> None:
    verdict = bot.handle("verdict azure", ctx)
    assert ("verdict", [AZURE]) == (verdict.kind, verdict.tool_ids)
    assert "Compared with: Claude 4 API" in verdict.lines
    search = bot.handle("search foundry", ctx)
    assert ["Azure AI Foundry"] == [c.label for c in search.choices]
    top = bot.handle("top developer tols", ctx)
    assert "Top tools in Developer Tools" == top.title
    assert top.lines[0].startswith("1. Claude 4 API")
    assert top.lines[1].startswith("2. Azure AI Foundry")
    assert "did_you_mean" == bot.handle("top gardening", ctx).kind  # not found: exit 1


def test_votes_replace_retract_and_show_at_once(bot: ShipBot, store: Store, ctx: Context) -> None:
    bot.handle("vote claude ship", ctx)
    bot.handle("vote claude skip", ctx)
    assert {CLAUDE: (0, 1)} == store.votes.community([CLAUDE])
    other = ctx.model_copy(update={"user": "U2"})
    bot.handle("vote claude ship", other)
    card = bot.handle("compare claude azure", ctx)
    assert "1 ship / 1 skip" == card.columns[0].community_line
    reply = bot.handle("vote claude retract", ctx)
    assert "Your vote on Claude 4 API is withdrawn." == reply.lines[0]
    assert {CLAUDE: (1, 0)} == store.votes.community([CLAUDE])
    bad = bot.handle("vote claude maybe", ctx)
    assert "error" == bad.kind
    assert {CLAUDE: (1, 0)} == store.votes.community([CLAUDE])


def test_card_vote_on_compare_moves_the_pick(bot: ShipBot, store: Store, ctx: Context) -> None:
    ref = CardRef("test", "T1", "C1", "m1", "compare", (CLAUDE, AZURE))
    assert bot.voting.card_vote(ctx, ref, 0, "ship", added=True)
    assert not bot.voting.card_vote(ctx, ref, 0, "ship", added=True)  # a repeat changes nothing
    assert bot.voting.card_vote(ctx, ref, 1, "ship", added=True)
    assert {CLAUDE: (0, 0), AZURE: (1, 0)} == store.votes.community([CLAUDE, AZURE])
    assert not bot.voting.card_vote(ctx, ref, 0, "ship", added=False)  # old reaction removed: no-op
    assert bot.voting.card_vote(ctx, ref, 1, "ship", added=False)
    assert {CLAUDE: (0, 0), AZURE: (0, 0)} == store.votes.community([CLAUDE, AZURE])


def test_card_vote_on_verdict_ship_then_skip(bot: ShipBot, store: Store, ctx: Context) -> None:
    ref = CardRef("test", "T1", "C1", "m2", "verdict", (CLAUDE,))
    bot.voting.card_vote(ctx, ref, 0, "ship", added=True)
    bot.voting.card_vote(ctx, ref, 0, "skip", added=True)
    bot.voting.card_vote(ctx, ref, 0, "ship", added=False)  # removing the old ✅ keeps the ❌
    assert {CLAUDE: (0, 1)} == store.votes.community([CLAUDE])
    assert "0 ship / 1 skip" == bot.cards.for_message(ref).columns[0].community_line


def test_subscribe_list_unsubscribe(bot: ShipBot, store: Store, ctx: Context) -> None:
    first = bot.handle("subscribe vendor:anthropic min_score:80", ctx)
    assert first.lines[0].startswith("Subscribed (#1): new verdicts for vendor:Anthropic "
                                     "min_score:80")
    again = bot.handle("subscribe vendor:Anthropic min_score:80", ctx)
    assert again.lines[0].startswith("Already subscribed (#1)")
    assert 1 == store.stats()["subscriptions"]
    refused = bot.handle("subscribe category:gardening", ctx)
    assert "error" == refused.kind
    assert "could never match" in refused.lines[0]
    listing = bot.handle("subscriptions", ctx)
    assert listing.lines[0].startswith("#1 instant: vendor:Anthropic min_score:80 — by U1 on ")
    assert "error" == bot.handle("unsubscribe", ctx).kind
    assert "Removed 1 subscription(s) from this channel." == bot.handle(
        "unsubscribe all", ctx).lines[0]
    assert 0 == store.stats()["subscriptions"]


def test_subscribe_refused_in_dm_and_without_permission(bot: ShipBot, store: Store,
                                                        ctx: Context) -> None:
    dm = bot.handle("subscribe", ctx.model_copy(update={"is_dm": True}))
    assert "Subscriptions are for channels, not direct messages." == dm.lines[0]
    guest = bot.handle("subscribe", ctx.model_copy(update={"can_manage": False}))
    assert guest.lines[0].startswith("Only people who can manage this channel")
    assert 0 == store.stats()["subscriptions"]


def test_unknown_command_and_help(bot: ShipBot, ctx: Context) -> None:
    card = bot.handle("frobnicate", ctx)
    assert ("error", "I don't know the command `frobnicate`.") == (card.kind, card.lines[0])
    assert bot.handle("help", ctx).lines[0].startswith("compare <tool> <tool>")


def test_text_rendering_of_compare(bot: ShipBot, ctx: Context) -> None:
    text = render_text(bot.handle("compare claude azure", ctx))
    assert "== Claude 4 API vs Azure AI Foundry ==" == text.splitlines()[0]
    assert "Community No community votes yet" in text
    assert "Founder  ████████░░  79 ship  ████████░░  81 ship  prefers Azure AI Foundry" in text
    assert ">> Ship Claude 4 API (margin 5.6 points)" in text
    assert "Best for A: Cache 2M tokens, stream tool calls, slash latency in agentic pipelines" in \
        " ".join(text.split())  # wrapped to 80 columns
    assert "Category  Developer Tools" in text
    assert all(len(line) <= 80 and line == line.rstrip() for line in text.splitlines())


def test_index_follows_imports_from_elsewhere(bot: ShipBot, store: Store, ctx: Context) -> None:
    assert "did_you_mean" == bot.handle("verdict windsurf", ctx).kind
    add_tools(store, make_tool("Windsurf", (70, 70, 70, 70)))
    assert ["windsurf"] == bot.handle("verdict windsurf", ctx).tool_ids


def test_reaction_meanings_per_card_kind(bot: ShipBot, store: Store, ctx: Context) -> None:
    compare = CardRef("test", "T1", "C1", "m3", "compare", (CLAUDE, AZURE))
    verdict = CardRef("test", "T1", "C1", "m4", "verdict", (AZURE,))
    assert not bot.voting.card_reaction(ctx, compare, "ship", added=True)  # ✅ on a compare card
    assert not bot.voting.card_reaction(ctx, verdict, 1, added=True)  # 🅱️ on a verdict card
    assert not bot.voting.card_reaction(ctx, compare, 7, added=True)  # no such column
    assert bot.voting.card_reaction(ctx, compare, 1, added=True)
    assert bot.voting.card_reaction(ctx.model_copy(update={"user": "U2"}), verdict, "skip", added=True)
    assert {AZURE: (1, 1)} == store.votes.community([AZURE])
