"""unsubscribe, undecide and unwatch each cancel exactly the queued deliveries they own (#16):
never another person's direct messages or another channel's reminders, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.commands import ShipBot
from bot.models import Context
from bot.publishing import publish_files
from bot.schedule import queue_reminders
from tests.test_features import comparison_file


def _ctx(user: str = "U1", channel: str = "C1") -> Context:
    return Context(platform="slack", workspace="T1", channel=channel, user=user,
                   can_manage=True)


def _pending(bot: ShipBot) -> list[tuple[str, str, str]]:
    rows = bot.store.db.execute(
        "SELECT p.subject, d.target, d.channel FROM deliveries d JOIN publications p ON "
        "p.id = d.publication_id WHERE d.status = 'pending' ORDER BY d.id").rows
    return [(r[0].split("@")[0], r[1], r[2]) for r in rows]


def test_unsubscribe_all_on_the_last_subscription_keeps_dms_and_reminders(
        bot: ShipBot, tmp_path: Path) -> None:
    bot.handle("watch watched tool", _ctx("U5"))  # not known yet: a did-you-mean
    publish_files(bot.cards, [comparison_file(tmp_path, "v0", {"watched-tool": 70,
                                                               "other-tool": 60})])
    assert "Watching" == bot.handle("watch watched tool", _ctx("U5")).title
    bot.handle("subscribe", _ctx())
    bot.handle("decide claude over azure revisit 2020-01-01", _ctx(channel="C2"))
    assert 1 == queue_reminders(bot.cards, "slack", datetime.now(UTC))
    publish_files(bot.cards, [comparison_file(tmp_path, "v1", {"watched-tool": 70,
                                                               "new-tool": 60})])
    before = _pending(bot)
    assert {"channel", "dm"} <= {t for _, t, _ in before}
    assert "Unsubscribed" == bot.handle("unsubscribe all", _ctx()).title
    after = _pending(bot)
    assert [p for p in before if p[1] != "channel" or p[2] != "C1"] == after
    assert ("reminder:1", "channel", "C2") in after
    assert any(t == "dm" and c == "U5" for _, t, c in after)


def test_undecide_cancels_its_own_queued_reminder_only(bot: ShipBot) -> None:
    bot.handle("decide claude over azure revisit 2020-01-01", _ctx())
    bot.handle("decide azure revisit 2020-01-01", _ctx(channel="C2"))
    assert 2 == queue_reminders(bot.cards, "slack", datetime.now(UTC))
    assert "Decision removed" == bot.handle("undecide 1", _ctx()).title
    assert [("reminder:2", "channel", "C2")] == _pending(bot)


def test_unwatch_cancels_the_dms_no_other_watch_stands_behind(bot: ShipBot,
                                                              tmp_path: Path) -> None:
    publish_files(bot.cards, [comparison_file(tmp_path, "v0", {"tool-one": 70,
                                                               "tool-two": 60})])
    for user in ("U5", "U6"):
        bot.handle("watch tool one", _ctx(user))
    bot.handle("watch tool two", _ctx("U6"))
    publish_files(bot.cards, [comparison_file(tmp_path, "v1", {"tool-one": 50,
                                                               "tool-two": 90})])
    assert {"U5", "U6"} == {c for _, t, c in _pending(bot) if t == "dm"}
    bot.handle("unwatch tool one", _ctx("U5"))  # U5 watched only this one: the DM goes
    bot.handle("unwatch tool one", _ctx("U6"))  # U6 still watches tool two: the DM stays
    assert ["U6"] == [c for _, t, c in _pending(bot) if t == "dm"]


def test_a_decided_tool_keeps_its_line_after_many_newer_decisions(bot: ShipBot) -> None:
    """The line came from the channel's newest 200 decisions; past 200 newer ones about other
    tools it vanished from cards (#16)."""
    from tests.conftest import add_tools, make_tool

    add_tools(bot.store, *(make_tool(f"Filler {n}", (60, 60, 60, 60)) for n in range(3)))
    bot.handle("decide claude over azure because cheaper caching", _ctx())
    for n in range(205):
        bot.store.decisions.add("slack", "T1", "C1", f"filler-{n % 3}", [], f"r{n}", "", "U1")
    card = bot.handle("compare claude azure", _ctx())
    assert any(r.startswith("This channel shipped Claude 4 API over Azure AI Foundry")
               for r in card.remarks)
