"""The decision: pick, margin, dissent, toss-up, and community weight, values spelled out."""

from __future__ import annotations

from bot.decision import decide, score_tool
from bot.store import Store
from tests.conftest import AZURE, CLAUDE, make_tool


def test_seed_pick_claude_with_founder_dissent(store: Store) -> None:
    tools = [store.catalog.tool(AZURE), store.catalog.tool(CLAUDE)]
    decision = decide(tools, {})  # type: ignore[arg-type]
    assert CLAUDE == decision.pick
    assert False is decision.toss_up
    assert [83.5, 76.5] == [s.mean for s in decision.ranking]
    assert 5.6 == decision.margin  # panel 86.8 vs 81.2
    assert ("Founder",) == decision.dissenters
    founder = next(p for p in decision.preferences if p.persona == "Founder")
    assert (AZURE, 81, 79) == (founder.prefers, founder.score_of(AZURE), founder.score_of(CLAUDE))
    assert ("Claude 4 API leads: panel mean 83.5 vs 76.5, 4/4 reviewers say ship. "
            "Founder prefers Azure AI Foundry (81 vs 79).") == decision.reason


def test_near_tie_is_a_toss_up_pointing_at_best_for() -> None:
    a = make_tool("Alpha", (80, 80, 80, 80))
    b = make_tool("Beta", (79, 80, 80, 80))
    decision = decide([a, b], {})
    assert decision.toss_up
    assert decision.pick is None
    assert () == decision.dissenters
    assert "best for" in decision.reason


def test_panel_skips_count_against_a_tool() -> None:
    shipped = make_tool("Alpha", (70, 70, 70, 70), verdicts="ssss")
    skipped = make_tool("Beta", (74, 74, 74, 74), verdicts="kkks")
    decision = decide([shipped, skipped], {})
    assert "alpha" == decision.pick  # 76.0 vs 0.8*74 + 5 = 64.2


def test_community_weight_grows_with_votes() -> None:
    tool = make_tool("Alpha", (80, 80, 80, 80))  # panel 84.0
    assert 84.0 == score_tool(tool, (0, 0)).overall
    assert 82.38 == score_tool(tool, (0, 1)).overall  # one skip barely moves it
    assert 72.0 == score_tool(tool, (0, 10)).overall  # ten skips: weight 0.5 * 10/35
    assert 43.02 == score_tool(tool, (0, 1000)).overall  # weight approaches one half


def test_community_can_flip_a_close_call() -> None:
    a = make_tool("Alpha", (82, 82, 82, 82))
    b = make_tool("Beta", (78, 78, 78, 78))
    assert "alpha" == decide([a, b], {}).pick
    assert "beta" == decide([a, b], {"alpha": (0, 20), "beta": (20, 0)}).pick


def test_four_tools_ranked() -> None:
    tools = [make_tool(n, (s, s, s, s)) for n, s in
             (("Alpha", 60), ("Beta", 90), ("Gamma", 75), ("Delta", 82))]
    decision = decide(tools, {})
    assert ["beta", "delta", "gamma", "alpha"] == [s.tool_id for s in decision.ranking]
    assert "beta" == decision.pick
    assert ("Ranking by overall score (panel and community, 0-100): Beta 92.0 > Delta 85.6 > "
            "Gamma 80.0 > Alpha 68.0.") in decision.reason
