"""#11 through the core and the console: watches, weekly digests, freshness, the community
flag and team decisions, with what the store and the outbox hold afterwards."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.commands import ShipBot
from bot.digest import DigestTime, parse_digest_at
from bot.models import Context
from bot.publishing import publish_files
from bot.render_text import render_text
from bot.schedule import queue_digests, queue_due, queue_reminders
from bot.store import Store
from shipbot.cli import cli
from tests.conftest import AZURE, CLAUDE, add_tools, make_tool

PERSONAS = ("Builder", "Skeptic", "Futurist", "Founder")
NOW = datetime.now(UTC)


def slack(user: str = "U1", channel: str = "C1", manage: bool = True) -> Context:
    return Context(platform="slack", workspace="T1", channel=channel, user=user,
                   can_manage=manage)


def comparison_file(tmp_path: Path, name: str, scores: dict[str, int], *,
                    published: str | None = None, reviewed: str | None = None,
                    verdict: str = "ship") -> Path:
    """A JSON import: one tool per (id -> every reviewer's score) and their comparison."""
    tools = [{"id": tid, "name": tid.replace("-", " ").title(),
              "short_name": tid.replace("-", " ").title(), "vendor": "Acme",
              "category": "Developer Tools", **({"reviewed": reviewed} if reviewed else {}),
              "reviews": [{"persona": p, "score": s, "verdict": verdict} for p in PERSONAS]}
             for tid, s in scores.items()]
    comparison = {"tools": list(scores), **({"published": published} if published else {})}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"tools": tools, "comparisons": [comparison]}))
    return path


def outbox(store: Store) -> list[dict]:  # type: ignore[type-arg]
    return list(reversed(store.outbox.rows(limit=1000)))


# ---- watches ---------------------------------------------------------------------------

def test_watch_unwatch_watching(bot: ShipBot) -> None:
    me = slack()
    card = bot.handle("watch claude", me)
    assert card.ephemeral and card.lines[0].startswith("Watching Claude 4 API: I'll send you")
    assert "You already watch Claude 4 API; nothing changed." == bot.handle(
        "watch claude 4", me).lines[0]
    bot.handle("watch azure", me)
    # per person, in every channel of the workspace; nobody else's list
    assert ["Azure AI Foundry — since", "Claude 4 API — since"] == sorted(
        line[:len(line) - 11] for line in bot.handle("watching", slack(channel="C9")).lines)
    assert "You watch no tools" in bot.handle("watching", slack(user="U2")).lines[0]
    assert "Stopped watching Claude 4 API." == bot.handle("unwatch claude", me).lines[0]
    assert "You don't watch Claude 4 API; nothing changed." == bot.handle(
        "unwatch claude", me).lines[0]
    assert "Stopped watching 1 tool(s)." == bot.handle("unwatch all", me).lines[0]
    assert [] == bot.store.watches.of("slack", "T1", "U1")


def test_watch_bad_and_ambiguous_names_change_nothing(bot: ShipBot) -> None:
    me = slack()
    assert "error" == bot.handle("watch", me).kind
    missing = bot.handle("watch qqqzzz", me)
    assert "did_you_mean" == missing.kind and "couldn't find" in missing.title
    two = bot.handle("watch claude azure", me)  # two tools: which one? never both, never a guess
    assert ("did_you_mean", [f"watch {CLAUDE}", f"watch {AZURE}"]) == (
        two.kind, [c.command for c in two.choices])
    assert 0 == bot.store.stats()["watches"]
    assert "Watching" == bot.choose(two.choices[1], me).title
    assert [AZURE] == [t for t, _ in bot.store.watches.of("slack", "T1", "U1")]


def test_discord_watches_follow_the_person_across_servers(bot: ShipBot) -> None:
    here = Context(platform="discord", workspace="111", channel="1", user="42",
                   users_global=True)
    bot.handle("watch claude", here)
    there = here.model_copy(update={"workspace": "222", "channel": "2"})
    assert bot.handle("watching", there).lines[0].startswith("Claude 4 API — since")


def test_publish_messages_watchers_only_when_the_news_is_real(bot: ShipBot,
                                                              tmp_path: Path) -> None:
    publish_files(bot.cards, [comparison_file(tmp_path, "v0", {"watched-tool": 70, "other-tool": 60})])
    bot.handle("watch watched tool", slack("U1"))
    bot.handle("watch watched tool", Context(platform="discord", workspace="9", channel="5",
                                             user="42", users_global=True))
    bot.handle("watch watched tool", Context(platform="console", user="me"))  # gets no DMs
    bot.handle("watch claude", slack("U7"))  # not in this comparison
    first = comparison_file(tmp_path, "v1", {"watched-tool": 70, "brand-new-tool": 60})
    result = publish_files(bot.cards, [first])
    dms = [r for r in outbox(bot.store) if r["target"] == "dm"]
    assert [("discord", "", "42"), ("slack", "T1", "U1")] == sorted(
        (r["platform"], r["workspace"], r["channel"]) for r in dms)
    assert 2 == result.queued  # no channel subscribes; two direct messages
    card = json.loads(bot.store.db.execute(
        "SELECT card_json FROM publications WHERE subject LIKE 'watch:%'").rows[0][0])
    assert ("Watched Tool vs Brand New Tool", "Ship Watched Tool") == (
        card["title"], "Ship " + card["recommendation"]["pick_name"])

    publish_files(bot.cards, [first])  # the same again: nothing new, nobody told
    assert 2 == len([r for r in outbox(bot.store) if r["target"] == "dm"])

    flipped = comparison_file(tmp_path, "v2", {"watched-tool": 50, "brand-new-tool": 60})
    publish_files(bot.cards, [flipped])  # a different pick: the watchers hear of it
    assert 4 == len([r for r in outbox(bot.store) if r["target"] == "dm"])


# ---- weekly digests --------------------------------------------------------------------

def test_digest_time_setting() -> None:
    monday_nine = parse_digest_at("mon 09:00")
    wednesday = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert datetime(2026, 11, 23, 9, 0, tzinfo=UTC) == monday_nine.last(wednesday)
    assert datetime(2026, 11, 23, 9, 0, tzinfo=UTC) == monday_nine.last(
        datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    assert datetime(2026, 11, 16, 9, 0, tzinfo=UTC) == monday_nine.last(
        datetime(2026, 11, 23, 8, 59, tzinfo=UTC))
    assert DigestTime(4, 16, 30, "Europe/Berlin") == parse_digest_at("Friday 16:30 Europe/Berlin")
    for bad in ("monday", "mon 25:00", "someday 09:00", "mon 09:00 Mars/Base"):
        with pytest.raises(ValueError):
            parse_digest_at(bad)


def test_weekly_digest_lists_what_changed_once(bot: ShipBot, tmp_path: Path) -> None:
    made = bot.handle("subscribe weekly category:developer tools", slack())
    assert made.lines[0].startswith("Subscribed (#1): a weekly digest (Mon 09:00 UTC) of "
                                    "verdicts for category:Developer Tools")
    bot.handle("subscribe", slack())
    assert ["#1 weekly: category:Developer Tools", "#2 instant: everything"] == [
        line.split(" — ")[0] for line in bot.handle("subscriptions", slack()).lines]
    assert 0 == queue_digests(bot.cards, datetime.now(UTC))  # nothing published since: no message

    publish_files(bot.cards, [comparison_file(tmp_path, "a", {"tool-one": 90, "tool-two": 70})])
    publish_files(bot.cards, [comparison_file(tmp_path, "b", {"tool-three": 60, "tool-four": 80})])
    instant_before = len(outbox(bot.store))
    assert 1 == queue_digests(bot.cards, datetime.now(UTC))
    digest = json.loads(bot.store.db.execute(
        "SELECT card_json FROM publications WHERE subject LIKE 'digest:%'").rows[0][0])
    assert digest["title"].startswith("Weekly verdicts: 2 comparisons since ")
    assert ["Tool One vs Tool Two: ship Tool One (margin 16.0 points)",
            "Tool Three vs Tool Four: ship Tool Four (margin 16.0 points)"] == digest["lines"]
    rows = outbox(bot.store)
    assert instant_before + 1 == len(rows) and "C1" == rows[-1]["channel"]
    assert 0 == queue_digests(bot.cards, datetime.now(UTC))  # a second run right after: nothing


def test_digest_waits_for_the_schedule(bot: ShipBot, tmp_path: Path) -> None:
    bot.handle("subscribe weekly", slack())
    publish_files(bot.cards, [comparison_file(tmp_path, "a", {"tool-one": 90, "tool-two": 70})])
    now = datetime.now(UTC)
    not_yet = DigestTime(now.weekday(), 0, 0) if now.hour or now.minute else None
    if not_yet is not None:  # the subscription was made after today's slot: not due yet
        assert 0 == queue_due(bot.cards, "slack", not_yet, now)
    next_week = now + timedelta(days=7)
    assert 1 == queue_due(bot.cards, "slack", DigestTime(now.weekday(), now.hour, now.minute),
                          next_week)
    assert 0 == queue_due(bot.cards, "slack", DigestTime(now.weekday(), now.hour, now.minute),
                          next_week)
    assert 0 == queue_due(bot.cards, "discord", DigestTime(0, 0, 0), next_week)  # not its platform


def test_digest_now_from_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    runner = CliRunner()
    from shipbot.bootstrap import open_bot

    bot = open_bot(db)
    bot.handle("subscribe weekly", slack())
    publish_files(bot.cards, [comparison_file(tmp_path, "a", {"tool-one": 90, "tool-two": 70})])
    first = runner.invoke(cli, ["--db", str(db), "digest", "--now"])
    assert 0 == first.exit_code and first.output.startswith("Queued 1 digest;")
    again = runner.invoke(cli, ["--db", str(db), "digest", "--now"])
    assert again.output.startswith("Queued 0 digests;")


# ---- freshness -------------------------------------------------------------------------

def test_cards_say_when_published_and_reviewed_and_stale(bot: ShipBot, tmp_path: Path) -> None:
    old = comparison_file(tmp_path, "old", {"old-one": 80, "old-two": 70},
                          published="2025-01-10", reviewed="2025-01-05")
    publish_files(bot.cards, [old])
    card = bot.handle("compare old one vs old two", slack())
    age = (datetime.now(UTC).date() - datetime(2025, 1, 10).date()).days
    assert card.footer.startswith("Stale · Published 2025-01-10 · Reviewed 2025-01-05 · ")
    assert f"Stale: this verdict is {age} days old (over 180)" in " ".join(card.remarks)
    assert "Published 2025-01-10" in bot.handle("verdict old one", slack()).footer
    assert f"· {age} days old · stale" in " ".join(bot.handle("top", slack()).lines)
    assert f"{age} days old · stale" in bot.handle("search old one", slack()).lines[0]

    fresh = bot.handle("compare claude azure", slack())
    today = datetime.now(UTC).date().isoformat()
    assert fresh.footer.startswith(f"Added {today} · Review date not recorded")  # no date in the data
    assert not any("Stale" in r for r in fresh.remarks)
    young = ShipBot(bot.store, stale_days=100000)
    assert not young.handle("compare old one vs old two", slack()).remarks


# ---- community disagrees ---------------------------------------------------------------

def test_community_disagrees_once_ten_people_voted(bot: ShipBot) -> None:
    for n in range(9):
        bot.store.votes.cast("slack", "T1", f"V{n}", AZURE if n < 7 else CLAUDE, "ship",
                             at=float(n), source="command")
    assert not bot.handle("compare claude azure", slack()).remarks  # 9 votes: not yet
    bot.store.votes.cast("slack", "T1", "V9", CLAUDE, "skip", at=10.0, source="command")
    card = bot.handle("compare claude azure", slack())
    assert ["Community disagrees: 7 of 10 votes prefer Azure AI Foundry"] == card.remarks
    assert "Ship Claude 4 API" in render_text(card)  # the rule stays; the flag explains
    assert "!  Community disagrees: 7 of 10 votes prefer Azure AI Foundry" in render_text(card)


def test_community_agreeing_says_nothing(bot: ShipBot) -> None:
    for n in range(12):
        bot.store.votes.cast("slack", "T1", f"V{n}", CLAUDE, "ship", at=float(n),
                             source="command")
    assert not bot.handle("compare claude azure", slack()).remarks


# ---- team decisions --------------------------------------------------------------------

def test_decide_list_show_on_cards_and_undecide(bot: ShipBot) -> None:
    alice, bob = slack("UA", manage=False), slack("UB", manage=False)
    made = bot.handle("decide claude over azure because cheaper caching revisit 2030-01-01",
                      alice)
    assert not made.ephemeral and "Decision #1 recorded" == made.title
    line = (f"This channel shipped Claude 4 API over Azure AI Foundry on "
            f"{datetime.now(UTC).date().isoformat()}: cheaper caching")
    assert line == made.lines[0]
    again = bot.handle("decide claude over azure because cheaper caching revisit 2030-01-01",
                       bob)
    assert again.lines[0].startswith("This channel already recorded that decision as #1 on ")
    assert 1 == bot.store.stats()["decisions"]
    assert [f"#1 {line} — by UA · revisit 2030-01-01"] == bot.handle("decisions", bob).lines
    assert line in bot.handle("compare azure claude", bob).remarks
    assert line in bot.handle("verdict azure", bob).remarks
    # channel data: another channel, workspace or platform sees nothing
    for elsewhere in (slack(channel="C2"), Context(platform="slack", workspace="T2",
                                                   channel="C1", user="UA"),
                      Context(platform="discord", workspace="T1", channel="C1", user="UA")):
        assert not bot.handle("compare claude azure", elsewhere).remarks
        assert "no decisions" in bot.handle("decisions", elsewhere).lines[0]
        assert "This channel has no decision #1." == bot.handle("undecide 1", elsewhere).lines[0]
    refused = bot.handle("undecide 1", bob)
    assert "error" == refused.kind and "Only the person who recorded" in refused.lines[0]
    assert 1 == bot.store.stats()["decisions"]
    assert "Removed #1: " + line == bot.handle("undecide #1", alice).lines[0]
    assert not bot.handle("compare claude azure", bob).remarks


def test_a_channel_manager_may_remove_anyones_decision(bot: ShipBot) -> None:
    bot.handle("decide claude", slack("UA", manage=False))
    assert "Decision removed" == bot.handle("undecide 1", slack("UM", manage=True)).title


@pytest.mark.parametrize("text, message", [
    ("", "Which tool did the channel decide on?"),
    ("claude over", "Which tool did the channel decide on?"),
    ("claude because", "`because` needs a reason after it."),
    ("claude revisit next week", "“next week” is not a date"),
    ("claude revisit", "`revisit` needs a date"),
    ("claude revisit 2027-02-30", "“2027-02-30” is not a date"),
    ("claude over claude", "A tool can't be chosen over itself."),
    ("claude over a, b, c, d", "A decision names at most 3 tools"),
    ("claude because " + "x" * 301, "Keep the reason under 300 characters"),
])
def test_bad_decide_is_explained_and_changes_nothing(bot: ShipBot, text: str,
                                                     message: str) -> None:
    card = bot.handle(f"decide {text}", slack())
    assert "error" == card.kind and card.lines[0].startswith(message), card.lines
    assert 0 == bot.store.stats()["decisions"]


def test_decide_with_an_unclear_name_offers_choices_that_keep_the_rest(store: Store) -> None:
    add_tools(store, make_tool("Cursor", (80, 80, 80, 80)),
              make_tool("Cursive", (70, 70, 70, 70)))
    bot = ShipBot(store)
    card = bot.handle("decide claude over cursxx because fast revisit 2030-05-01", slack())
    assert "did_you_mean" == card.kind
    chosen = next(c for c in card.choices if c.label == "Cursor")
    assert f"decide {CLAUDE} over cursor because fast revisit 2030-05-01" == chosen.command
    assert 0 == bot.store.stats()["decisions"]
    assert "Decision #1 recorded" == bot.choose(chosen, slack()).title


def test_reminder_once_from_the_revisit_date(bot: ShipBot) -> None:
    bot.handle("decide claude over azure because cheaper revisit 2020-01-01", slack())
    bot.handle("decide azure revisit 2999-01-01", slack(channel="C2"))
    now = datetime.now(UTC)
    assert 1 == queue_reminders(bot.cards, "slack", now)
    assert 0 == queue_reminders(bot.cards, "slack", now)  # once
    (row,) = outbox(bot.store)
    assert ("slack", "T1", "C1", "channel", "reminder:1") == (
        row["platform"], row["workspace"], row["channel"], row["target"], row["subject"])
    card = json.loads(bot.store.db.execute("SELECT card_json FROM publications").rows[0][0])
    assert card["kind"] == "compare" and card["notice"].startswith("Time to revisit decision #1")
    # the channel's decision line is added once, when the dispatcher sends it to the channel
    from bot.cards import Card
    from bot.team import with_channel_decision

    assert not any("This channel shipped" in r for r in card["remarks"])
    sent = with_channel_decision(bot.store, Card.model_validate(card), "slack", "T1", "C1")
    assert 1 == sum(r.startswith("This channel shipped Claude 4 API over Azure")
                    for r in sent.remarks)


def test_console_speaks_every_new_word(tmp_path: Path) -> None:
    script = ("help\nwatch claude\nwatching\nunwatch claude\n"
              "decide claude over azure because cheaper revisit 2030-01-01\ndecisions\n"
              "compare claude azure\nundecide 1\nsubscribe weekly\ndecide\n")
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "c.db"), "console"], input=script)
    out = " ".join(result.output.split())  # lines are wrapped to 80 columns
    assert 0 == result.exit_code, out
    for word in ("watch <tool>", "decide <tool>", "subscribe [weekly]", "undecide <id>"):
        assert word in out
    assert "Alerts are direct messages in Slack or Discord; this console only keeps the list." \
        in out
    assert "Claude 4 API — since" in out
    assert "Revisit reminders are posted in Slack and Discord channels" in out
    assert "! This channel shipped Claude 4 API over Azure AI Foundry on" in out
    assert "Removed #1: This channel shipped" in out
    assert "New verdicts are posted to a Slack or Discord channel; this one cannot" in out
    assert "Which tool did the channel decide on?" in out


def test_a_decision_made_in_another_replica_shows_at_once(bot: ShipBot) -> None:
    """Cards cache a channel's decisions; a decision recorded or removed by another process
    (another Store on the same database) is seen on the next card."""
    other = ShipBot(Store.open(bot.store.location))
    try:
        assert not other.handle("compare claude azure", slack()).remarks  # cached: none
        bot.handle("decide azure over claude because voice", slack())
        assert other.handle("compare claude azure", slack()).remarks[0].endswith(": voice")
        bot.handle("undecide 1", slack())
        assert not other.handle("compare claude azure", slack()).remarks
    finally:
        other.store.close()
