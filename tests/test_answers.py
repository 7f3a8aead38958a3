"""Answers a person would expect, for inputs that used to get wrong or confusing ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.commands import ShipBot
from bot.models import Bundle, Context, Review, Tool
from bot.store import Store
from shipbot.cli import cli
from tests.conftest import AZURE, CLAUDE, dump


def _cli(db: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--db", str(db), *args])


@pytest.mark.parametrize("words", [["nonexistenttool"], ["🚀", "🔥"], ["zebra", "kumquat"]])
def test_nothing_found_says_so_and_exits_1(tmp_path: Path, words: list[str]) -> None:
    result = _cli(tmp_path / "a.db", "compare", *words)
    assert 1 == result.exit_code, result.output
    assert "couldn't find a tool" in result.output
    assert "I only found" not in result.output


@pytest.mark.parametrize("text", ["claude azure claude", "claude, azure, claude",
                                  "claude vs claude vs azure"])
def test_a_tool_named_twice_is_compared_once(bot: ShipBot, ctx: Context, text: str) -> None:
    card = bot.handle(f"compare {text}", ctx)
    assert "compare" == card.kind, card.title
    assert [CLAUDE, AZURE] == card.tool_ids


def test_the_same_tool_twice_points_at_verdict(bot: ShipBot, ctx: Context) -> None:
    card = bot.handle("compare claude vs claude 4 api", ctx)
    assert "error" == card.kind
    assert "`verdict claude`" in card.lines[1]


def test_verdict_of_two_tools_offers_each_and_the_comparison(bot: ShipBot, ctx: Context) -> None:
    card = bot.handle("verdict claude azure", ctx)
    assert "did_you_mean" == card.kind
    assert [f"verdict {CLAUDE}", f"verdict {AZURE}", f"compare {CLAUDE} vs {AZURE}"] == [
        c.command for c in card.choices]
    assert "compare" == bot.handle(card.choices[-1].command, ctx).kind


def test_unknown_category_is_not_found(tmp_path: Path) -> None:
    result = _cli(tmp_path / "a.db", "top", "nonsense")
    assert 1 == result.exit_code
    assert "No category named “nonsense”" in result.output


def test_search_needs_a_word(bot: ShipBot, ctx: Context) -> None:
    for text in ("search %", "search ***", "search  "):
        card = bot.handle(text, ctx)
        assert "error" == card.kind, text
        assert not card.choices


def test_unsubscribe_all_twice_and_conflicting_filters(bot: ShipBot, store: Store,
                                                       ctx: Context) -> None:
    bot.handle("subscribe", ctx)
    assert "Removed 1" in bot.handle("unsubscribe all", ctx).lines[0]
    again = bot.handle("unsubscribe all", ctx)
    assert "info" == again.kind and "no subscriptions" in again.lines[0]
    assert "no subscription #7" in bot.handle("unsubscribe 7", ctx).lines[0]
    before = dump(store)
    for text in ("min_score:80 min_score:90", "verdict:ship verdict:skip"):
        card = bot.handle(f"subscribe {text}", ctx)
        assert "error" == card.kind and "given twice" in card.lines[0], text
    assert before == dump(store)
    assert "info" == bot.handle("subscribe min_score:80 min_score:80", ctx).kind


def test_a_reviewer_who_scored_one_tool_prefers_nothing(store: Store, bot: ShipBot,
                                                        ctx: Context) -> None:
    def tool(name: str, reviews: list[tuple[str, int]]) -> Tool:
        return Tool(id=name.lower(), name=name, short_name=name, vendor="V",
                    reviews=[Review(persona=p, score=s, verdict="ship") for p, s in reviews])

    store.catalog.import_bundle(Bundle(tools=[
        tool("Alpha", [("Ada", 90), ("Bo", 80)]), tool("Beta", [("Ada", 70), ("Cy", 99)])]))
    card = bot.handle("compare alpha vs beta", ctx)
    assert card.recommendation is not None
    assert "None" not in card.recommendation.reason and "Cy prefers" not in card.recommendation.reason
    assert [] == card.recommendation.dissenters
    assert "Expert panel: Ada, Bo, Cy" in card.footer
    assert [None, None] == [r.prefers for r in card.scorecard if r.persona in ("Bo", "Cy")]


def test_typed_control_characters_never_reach_the_store(bot: ShipBot, store: Store) -> None:
    """Whatever a person types (a NUL, which PostgreSQL refuses; escapes; line breaks) is
    answered, and what is kept from it (a decision's reason, a did-you-mean pick's words) is
    clean, on both engines."""
    ctx = Context(platform="slack", workspace="T1", channel="C1", user="U1")
    made = bot.handle("decide clau\u0000de because fast\u0000er\nand\u001b[0m cheaper", ctx)
    assert "Decision #1 recorded" == made.title, made.lines
    (decision,) = store.decisions.of_channel("slack", "T1", "C1")
    assert "faster and[0m cheaper" == decision.reason
    card = bot.handle("compare claude\u0000 azure\u0007", ctx)
    assert "compare" == card.kind


@pytest.mark.parametrize("command, answer", [
    ("undecide " + "9" * 5000, "This channel has no decision #9999999999999999999…."),
    ("undecide 99999999999999999999", "This channel has no decision #99999999999999999999."),
    ("unsubscribe " + "9" * 5000, "This channel has no subscription #9999999999999999999…."),
    ("unsubscribe 99999999999999999999",
     "This channel has no subscription #99999999999999999999."),
    ("subscribe min_score:" + "9" * 5000, "min_score must be a whole number from 0 to 100"),
])
def test_huge_numbers_typed_as_ids_get_an_answer(bot: ShipBot, ctx: Context, command: str,
                                                 answer: str) -> None:
    """int() of thousands of digits raises, and SQLite refuses integers over 64 bits: a typed
    id of any length is answered, on both engines."""
    card = bot.handle(command, ctx)
    assert ("error", True) == (card.kind, card.lines[0].startswith(answer)), card.lines
