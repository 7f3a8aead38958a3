"""Aliases learned from did-you-mean picks: per workspace, then everywhere, never over a name."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks.bench_names import DATA
from bot.cards import Card
from bot.commands import ShipBot
from bot.learned import LearnedAliases
from bot.models import Bundle, Context
from bot.store import Store
from shipbot.cli import cli


@pytest.fixture
def real(tmp_path: Path) -> ShipBot:
    """The realistic catalog, learning after two people in a workspace and two workspaces."""
    store = Store.open(tmp_path / "learn.db")
    store.catalog.import_bundle(Bundle.model_validate_json(
        (DATA / "catalog_real.json").read_text(encoding="utf-8")))
    return ShipBot(store, LearnedAliases(store, users=2, workspaces=2))


def _ctx(user: str, workspace: str = "T1") -> Context:
    return Context(platform="slack", workspace=workspace, channel="C1", user=user, can_manage=True)


def _pick(bot: ShipBot, card: Card, label: str, ctx: Context) -> Card:
    choice = next(c for c in card.choices if c.label == label)
    return bot.choose(choice, ctx)


def test_two_people_picking_the_same_choice_teach_their_workspace(real: ShipBot) -> None:
    asked = real.handle("compare llama 4 vs cursor", _ctx("U1"))
    assert "did_you_mean" == asked.kind
    assert {"Llama 4 Scout", "Llama 4 Maverick"} <= {c.label for c in asked.choices}
    assert "compare" == _pick(real, asked, "Llama 4 Scout", _ctx("U1")).kind
    # One person (even twice) is not enough.
    _pick(real, real.handle("compare llama 4 vs cursor", _ctx("U1")), "Llama 4 Scout", _ctx("U1"))
    assert "did_you_mean" == real.handle("compare llama 4 vs cursor", _ctx("U2")).kind
    _pick(real, real.handle("compare  Llama 4 vs cursor", _ctx("U2")), "Llama 4 Scout",
          _ctx("U2"))
    card = real.handle("compare llama 4 vs cursor", _ctx("U3"))
    assert ["llama-4-scout", "cursor"] == card.tool_ids
    assert ["llama-4-scout"] == [real.handle("verdict llama 4", _ctx("U3")).tool_ids[0]]
    # Another workspace has not learned it.
    assert "did_you_mean" == real.handle("compare llama 4 vs cursor", _ctx("U9", "T2")).kind
    [alias] = real.learned.all()
    assert ("slack/T1", "llama-4-scout", ("U1", "U2")) == (alias.scope, alias.tool_id,
                                                           alias.teachers)


def test_a_family_or_vendor_word_is_never_taken_over(real: ShipBot) -> None:
    """`copilot` is a word two products share: however many people in however many workspaces
    pick one, everyone is still asked (issue #16: names a few accounts can steer)."""
    for workspace in ("T1", "T2", "T3"):
        for user in ("U1", "U2", "U3"):
            asked = real.handle("compare copilot vs cursor", _ctx(user, workspace))
            assert "did_you_mean" == asked.kind
            _pick(real, asked, "GitHub Copilot", _ctx(user, workspace))
    for workspace in ("T1", "T9"):
        assert "did_you_mean" == real.handle("compare copilot vs cursor",
                                             _ctx("U5", workspace)).kind
    assert "did_you_mean" == real.handle("verdict copilot", _ctx("U5")).kind


def test_learned_in_enough_workspaces_it_applies_everywhere(real: ShipBot) -> None:
    for workspace in ("T1", "T2"):
        for user in ("U1", "U2"):
            asked = real.handle("compare llama 4 vs gpt-4o", _ctx(user, workspace))
            _pick(real, asked, "Llama 4 Maverick", _ctx(user, workspace))
    card = real.handle("compare llama 4 vs gpt-4o", _ctx("U7", "T7"))
    assert ["llama-4-maverick", "gpt-4o"] == card.tool_ids
    assert "everywhere" in [a.scope for a in real.learned.all()]


def test_a_split_vote_teaches_nothing(real: ShipBot) -> None:
    # Picks made at the same time, before either reached the threshold.
    for user, tool in (("U1", "claude-3-5-sonnet"), ("U2", "claude-3-5-sonnet"),
                       ("U3", "claude-sonnet-4"), ("U4", "claude-sonnet-4")):
        real.learned.record_pick("slack", "T1", user, "sonnet", tool)
    assert [] == real.learned.all()
    assert "did_you_mean" == real.handle("verdict sonnet", _ctx("U5")).kind


def test_a_learned_alias_never_overrides_a_published_name(real: ShipBot) -> None:
    for user in ("U1", "U2"):  # picks as if `cursor` had been offered Windsurf
        real.learned.record_pick("slack", "T1", user, "cursor", "windsurf")
    assert ["cursor", "windsurf"] == real.handle("compare cursor vs windsurf", _ctx("U3")).tool_ids
    assert "cursor" == real.handle("verdict cursor", _ctx("U3")).tool_ids[0]


def test_operator_lists_and_removes_and_it_is_not_relearned(real: ShipBot) -> None:
    for user in ("U1", "U2"):
        _pick(real, real.handle("verdict llama 4", _ctx(user)), "Llama 4 Maverick", _ctx(user))
    runner = CliRunner(env={"SHIPBOT_LEARN_USERS": "2"})
    db = real.store.path
    listed = runner.invoke(cli, ["--db", db, "aliases"])
    assert 0 == listed.exit_code
    assert "'llama 4' -> llama-4-maverick  [slack/T1]  taught by U1, U2" in listed.output
    removed = runner.invoke(cli, ["--db", db, "aliases", "remove", "Llama 4"])
    assert 0 == removed.exit_code, removed.output
    assert "Removed 1" in removed.output
    assert 1 == runner.invoke(cli, ["--db", db, "aliases", "remove", "llama 4"]).exit_code
    assert "did_you_mean" == real.handle("verdict llama 4", _ctx("U3")).kind
    for user in ("U3", "U4"):
        _pick(real, real.handle("verdict llama 4", _ctx(user)), "Llama 4 Maverick", _ctx(user))
    assert "did_you_mean" == real.handle("verdict llama 4", _ctx("U5")).kind
    assert "No learned aliases yet" in runner.invoke(cli, ["--db", db, "aliases"]).output


def test_learning_is_shared_by_processes_on_one_store(real: ShipBot, tmp_path: Path) -> None:
    other = ShipBot(Store.open(real.store.path), LearnedAliases(real.store, 2, 2))
    assert "did_you_mean" == other.handle("verdict llama 4", _ctx("U3")).kind
    for user in ("U1", "U2"):
        _pick(real, real.handle("verdict llama 4", _ctx(user)), "Llama 4 Scout", _ctx(user))
    assert ["llama-4-scout"] == other.handle("verdict llama 4", _ctx("U3")).tool_ids


def test_console_takes_a_number_for_a_did_you_mean_choice(tmp_path: Path) -> None:
    db = tmp_path / "console.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "console"],
                                input="compare claude desktop app vs azure\n1\n1\n")
    assert 0 == result.exit_code
    assert "(or type its number, 1-" in result.output
    assert "Claude 4 API vs Azure AI Foundry" in result.output
    assert "I don't know the command `1`" in result.output  # a number only picks right after
    assert 1 == Store.open(db).db.execute("SELECT COUNT(*) FROM alias_picks").fetchone()[0]


def test_evidence_everywhere_counts_people_per_workspace_and_a_dissenter_is_asked(
        tmp_path: Path) -> None:
    """#16, names a few accounts can steer: the same bare user ids in several workspaces are
    several people on Slack but must still reach the people threshold; a workspace where
    someone picked another tool keeps seeing the question."""
    store = Store.open(tmp_path / "learn.db")
    store.catalog.import_bundle(Bundle.model_validate_json(
        (DATA / "catalog_real.json").read_text(encoding="utf-8")))
    bot = ShipBot(store, LearnedAliases(store, users=2, workspaces=2, people=6))
    for workspace in ("T1", "T2"):  # 2 workspaces x 2 people: not enough people yet
        for user in ("U1", "U2"):
            bot.learned.record_pick("slack", workspace, user, "llama 4", "llama-4-maverick")
    assert "everywhere" not in [a.scope for a in bot.learned.all()]
    assert "did_you_mean" == bot.handle("verdict llama 4", _ctx("U7", "T7")).kind
    for user in ("U1", "U2"):  # the same ids in a third workspace are two more people
        bot.learned.record_pick("slack", "T3", user, "llama 4", "llama-4-maverick")
    [everywhere] = [a for a in bot.learned.all() if a.scope == "everywhere"]
    assert 6 == len(everywhere.teachers)
    assert "slack:T3:U1" in everywhere.teachers
    assert ["llama-4-maverick"] == bot.handle("verdict llama 4", _ctx("U7", "T7")).tool_ids
    # In T8 someone chose Scout for those words: T8 still gets the question.
    bot.learned.record_pick("slack", "T8", "U1", "llama 4", "llama-4-scout")
    assert "did_you_mean" == bot.handle("verdict llama 4", _ctx("U2", "T8")).kind
    assert ["llama-4-maverick"] == bot.handle("verdict llama 4", _ctx("U7", "T7")).tool_ids
