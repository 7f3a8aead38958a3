"""Publishing queues one delivery per matching subscription, atomically, and only for news."""

from __future__ import annotations

import json
from pathlib import Path

from bot.commands import ShipBot
from bot.models import Context
from bot.publishing import publish_files
from bot.store import Store
from tests.conftest import AZURE, CLAUDE


def _write(tmp_path: Path, name: str, tools: list[dict], comparisons: list | None = None) -> Path:  # type: ignore[type-arg]
    path = tmp_path / name
    path.write_text(json.dumps({"tools": tools, "comparisons": comparisons or []}))
    return path


def _tool(tool_id: str, vendor: str, scores: list[int], verdict: str = "ship",
          category: str = "Developer Tools") -> dict:  # type: ignore[type-arg]
    personas = ["Builder", "Skeptic", "Futurist", "Founder"]
    return {"id": tool_id, "name": tool_id.title(), "short_name": tool_id.title(),
            "vendor": vendor, "category": category,
            "reviews": [{"persona": p, "score": s, "verdict": verdict}
                        for p, s in zip(personas, scores, strict=True)]}


def _subscribe(bot: ShipBot, channel: str, text: str) -> None:
    card = bot.handle(f"subscribe {text}", Context(platform="slack", workspace="T1",
                                                   channel=channel, user="U1", can_manage=True))
    assert card.kind == "info", card.lines


def _pending(store: Store) -> list[tuple[str, str]]:
    rows = store.db.execute("SELECT d.channel, p.subject FROM deliveries d JOIN publications p "
                            "ON p.id = d.publication_id WHERE d.status='pending' ORDER BY d.channel")
    return [(r[0], r[1].split("@")[0]) for r in rows]


def test_publish_queues_per_matching_filter(bot: ShipBot, store: Store, tmp_path: Path) -> None:
    _subscribe(bot, "C-all", "")
    _subscribe(bot, "C-acme", "vendor:Microsoft")
    _subscribe(bot, "C-high", "min_score:90")
    _subscribe(bot, "C-skip", "verdict:skip")
    _subscribe(bot, "C-claude", "tool:claude")
    path = _write(tmp_path, "new.json", [_tool("newtool", "Microsoft", [85, 85, 85, 85])],
                  [{"tools": ["newtool", CLAUDE]}])
    result = publish_files(bot.cards, [path])
    assert 3 == result.queued
    assert [("C-acme", f"compare:newtool+{CLAUDE}"), ("C-all", f"compare:newtool+{CLAUDE}"),
            ("C-claude", f"compare:newtool+{CLAUDE}")] == _pending(store)
    assert "New verdict" == result.announcements[0].card.notice


def test_republishing_unchanged_queues_nothing(bot: ShipBot, store: Store, tmp_path: Path) -> None:
    _subscribe(bot, "C-all", "")
    path = _write(tmp_path, "t.json", [_tool("solo", "Acme", [70, 70, 70, 70])])
    assert 1 == publish_files(bot.cards, [path]).queued
    again = publish_files(bot.cards, [path])
    assert 0 == again.queued
    assert [] == again.announcements
    assert 1 == len(_pending(store))


def test_changed_verdict_is_announced_as_a_change(bot: ShipBot, store: Store,
                                                  tmp_path: Path) -> None:
    _subscribe(bot, "C-all", "")
    skipped = _tool(AZURE, "Microsoft", [40, 40, 40, 40], verdict="skip")
    skipped.update(name="Azure AI Foundry Real-Time Voice API & Model Router",
                   short_name="Azure AI Foundry")
    result = publish_files(bot.cards, [_write(tmp_path, "a.json", [skipped])])
    assert ["verdict:" + AZURE] == [a.subject.split("@")[0] for a in result.announcements]
    assert "Verdict changed: Azure AI Foundry: ship -> skip" == result.announcements[0].card.notice


def test_dry_run_changes_nothing(bot: ShipBot, store: Store, tmp_path: Path) -> None:
    _subscribe(bot, "C-all", "")
    before = store.stats()
    result = publish_files(bot.cards, [_write(tmp_path, "d.json", [_tool("dry", "Acme", [70] * 4)])],
                           dry_run=True)
    assert 1 == result.queued
    assert before == store.stats()
    assert store.catalog.tool("dry") is None
    assert [] == _pending(store)
    changed = _tool("dry", "Other", [90] * 4)
    publish_files(bot.cards, [_write(tmp_path, "d2.json", [changed])])
    assert "Other" == store.catalog.tool("dry").vendor  # type: ignore[union-attr]  # no stale dry run


def test_disabled_and_removed_subscriptions_get_nothing(bot: ShipBot, store: Store,
                                                        tmp_path: Path) -> None:
    _subscribe(bot, "C-gone", "")
    _subscribe(bot, "C-off", "")
    ctx = Context(platform="slack", workspace="T1", channel="C-gone", user="U1", can_manage=True)
    bot.handle("unsubscribe all", ctx)
    store.db.execute("UPDATE subscriptions SET active=0 WHERE channel='C-off'")
    assert 0 == publish_files(bot.cards, [_write(tmp_path, "n.json", [_tool("n", "Acme", [70] * 4)])]).queued


def test_a_comparison_new_as_a_pair_is_published(bot: ShipBot, store: Store,
                                                  tmp_path: Path) -> None:
    """Both tools and their reviews are stored already; the pair is new: subscribers get it
    once (it used to say "nothing new or changed" and tell no one)."""
    _subscribe(bot, "C-all", "")
    gamma = _tool("gamma", "Acme", [80, 80, 80, 80])
    delta = _tool("delta", "Acme", [70, 70, 70, 70])
    publish_files(bot.cards, [_write(tmp_path, "g.json", [gamma, delta])])
    store.db.execute("DELETE FROM deliveries")
    pair = _write(tmp_path, "pair.json", [gamma, delta], [{"tools": ["gamma", "delta"]}])
    result = publish_files(bot.cards, [pair])
    assert 1 == result.queued
    assert [("C-all", "compare:gamma+delta")] == _pending(store)
    assert "New verdict" == result.announcements[0].card.notice
    assert 0 == publish_files(bot.cards, [pair]).queued  # the same again: no news


def test_tool_ids_with_vs_in_them_keep_their_comparisons_apart(bot: ShipBot, store: Store,
                                                                tmp_path: Path) -> None:
    """`a-vs-b` + `c` and `a` + `b-vs-c` joined with `-vs-` made one key: the first comparison
    was replaced in silence (#16)."""
    tools = [_tool(t, "Acme", [70, 70, 70, 70]) for t in ("a-vs-b", "c", "a", "b-vs-c")]
    publish_files(bot.cards, [_write(tmp_path, "x.json", tools,
                                     [{"tools": ["a-vs-b", "c"]}, {"tools": ["a", "b-vs-c"]}])])
    assert 3 == store.stats()["comparisons"]  # the bundled one and these two
    assert store.catalog.comparison_source(["a-vs-b", "c"]) is not None
    assert store.catalog.comparison_source(["a", "b-vs-c"]) is not None
    assert [("a", "b-vs-c")] == store.catalog.comparisons_for("a")
