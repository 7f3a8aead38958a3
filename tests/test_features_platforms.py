"""#11 end to end on the platforms: the real bolt app against the fake Slack, the real
discord.py client against the fake Discord, and the real dispatcher between the outbox and
them. Each test asserts what a person sees there and what the store keeps."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.client import ShipbotDiscord
from adapters.discord.poster import DiscordPoster
from adapters.slack.poster import SlackPoster
from bot.commands import ShipBot
from bot.digest import DigestTime
from bot.dispatch import Dispatcher
from bot.publishing import publish_files
from bot.schedule import queue_digests, queue_due
from bot.store import Store
from tests.conftest import AZURE, CLAUDE
from tests.fakes.discord import CHANNEL_ID, GUILD_ID, MANAGE_CHANNELS, VIEW_SEND, FakeDiscord
from tests.rigs import DiscordRig, SlackRig, discord_settings, dispatching
from tests.test_features import comparison_file

EVERY_MINUTE_AGO = DigestTime(0, 0, 0)  # digests due whenever a week has passed since the last


def _slack_texts(message: dict[str, Any]) -> str:
    blocks = message["blocks"]
    return json.dumps(json.loads(blocks) if isinstance(blocks, str) else blocks,
                      ensure_ascii=False)


def _embed_text(body: dict[str, Any]) -> str:
    return json.dumps(body.get("embeds") or body, ensure_ascii=False)


@contextmanager
def _dispatching(bot: ShipBot, poster: SlackPoster | DiscordPoster,
                 loop: asyncio.AbstractEventLoop) -> Iterator[Dispatcher]:
    """The platform's dispatcher as a task on its adapter's loop, as `shipbot run` starts it
    (due work first)."""
    dispatcher = Dispatcher(bot.store, poster, rate=50, base_delay=0.05,
                            due=functools.partial(queue_due, bot.cards, poster.platform,
                                                  EVERY_MINUTE_AGO))
    with dispatching(loop, dispatcher, poll=0.1):
        yield dispatcher


@pytest.fixture
def slack_dispatch(rig: SlackRig, bot: ShipBot) -> Iterator[Dispatcher]:
    assert rig.loop is not None
    with _dispatching(bot, SlackPoster(rig.adapter), rig.loop.loop) as dispatcher:
        yield dispatcher


@pytest.fixture
def discord_dispatch(drig: DiscordRig, bot: ShipBot) -> Iterator[Dispatcher]:
    with _dispatching(bot, DiscordPoster(drig.client), drig.client.loop) as dispatcher:
        yield dispatcher


def _statuses(store: Store) -> list[tuple[str, str, str]]:
    return [(r["target"], r["channel"], r["status"]) for r in
            reversed(store.outbox.rows(limit=100))]


# ---- Slack ---------------------------------------------------------------------------------

def test_slack_watch_is_private_and_the_alert_is_a_dm(rig: SlackRig, bot: ShipBot,
                                                      slack_dispatch: Dispatcher,
                                                      tmp_path: Path) -> None:
    publish_files(bot.cards, [comparison_file(tmp_path, "v0", {"watched-tool": 70, "other-tool": 60})])
    rig.command("/shipbot", "watch watched tool", user="U5")
    reply = rig.fake.responses[-1]
    assert "ephemeral" == reply["response_type"]
    assert "Watching Watched Tool" in json.dumps(reply["blocks"], ensure_ascii=False)
    rig.command("/shipbot", "watching", user="U5")
    assert "Watched Tool — since" in json.dumps(rig.fake.responses[-1]["blocks"], ensure_ascii=False)
    assert [] == rig.posted()  # nothing public

    publish_files(bot.cards, [comparison_file(tmp_path, "v1", {"watched-tool": 70, "new-tool": 60})])
    assert rig.fake.wait_for(lambda: len(rig.posted()) == 1)
    dm = rig.posted()[0]
    assert "U5" == dm["channel"]  # chat.postMessage to a user id: the bot's DM with them
    assert "Watched Tool vs New Tool" in _slack_texts(dm)
    # The fake records the post before the dispatcher writes its outcome: poll for both.
    assert rig.fake.wait_for(lambda: bot.store.outbox.rows()[0]["status"] == "sent")
    # the DM is a card like any other: votes on it count
    assert rig.fake.wait_for(
        lambda: bot.store.cards.card_at("slack", "D5", "1700000001.000100") is not None)


def test_slack_decision_shows_on_cards_in_its_channel_and_is_reminded(
        rig: SlackRig, bot: ShipBot, slack_dispatch: Dispatcher) -> None:
    rig.command("/shipbot", "decide claude over azure because cheaper caching revisit 2020-01-01")
    confirmation = rig.posted()[0]
    assert "C1" == confirmation["channel"]  # a team record: posted in the channel
    assert "This channel shipped Claude 4 API over Azure AI Foundry on" in _slack_texts(
        confirmation)
    # the reminder (revisit date already past) goes out at the dispatcher's next pass, once
    assert rig.fake.wait_for(lambda: any("Time to revisit decision #1" in _slack_texts(m)
                                         for m in rig.posted()))
    rig.command("/compare", "azure claude")
    card = _slack_texts(rig.posted()[-1])
    assert "This channel shipped Claude 4 API over Azure AI Foundry" in card
    assert "cheaper caching" in card
    rig.command("/compare", "claude azure", channel="C2")
    assert "This channel shipped" not in _slack_texts(rig.posted()[-1])
    assert ["reminder:1"] == [r["subject"] for r in bot.store.outbox.rows()]
    rig.command("/shipbot", "decisions")
    assert "#1 This channel shipped" in json.dumps(rig.fake.responses[-1]["blocks"], ensure_ascii=False)


def test_slack_decision_in_a_channel_the_bot_cannot_post_to(rig: SlackRig, bot: ShipBot) -> None:
    rig.fake.channel_errors["CPRIV"] = "not_in_channel"
    rig.command("/shipbot", "decide claude because fast", channel="CPRIV")
    reply = rig.fake.responses[-1]
    assert "ephemeral" == reply["response_type"]
    shown = json.dumps(reply["blocks"], ensure_ascii=False)
    assert "invite me with `/invite @shipbot`" in shown
    assert "Decision #1 recorded" in shown  # recorded, and the person is told so
    assert 1 == bot.store.stats()["decisions"]


def test_slack_weekly_digest_is_posted_once(rig: SlackRig, bot: ShipBot,
                                            slack_dispatch: Dispatcher, tmp_path: Path) -> None:
    rig.command("/shipbot", "subscribe weekly")
    assert "a weekly digest" in _slack_texts(rig.posted()[-1])
    publish_files(bot.cards, [comparison_file(tmp_path, "a", {"tool-one": 90, "tool-two": 70})])
    assert 1 == queue_digests(bot.cards, datetime.now(UTC))
    assert rig.fake.wait_for(lambda: "Weekly verdicts: 1 comparison" in _slack_texts(
        rig.posted()[-1]))
    assert "Tool One vs Tool Two: ship Tool One" in _slack_texts(rig.posted()[-1])
    assert 0 == queue_digests(bot.cards, datetime.now(UTC))
    rig.command("/shipbot", "subscriptions")
    assert "#1 weekly: everything" in json.dumps(rig.fake.responses[-1]["blocks"], ensure_ascii=False)


def test_slack_card_freshness_and_community_flag(rig: SlackRig, bot: ShipBot) -> None:
    for n in range(10):
        bot.store.votes.cast("slack", "T1", f"V{n}", AZURE, "ship", at=float(n),
                             source="command")
    rig.command("/compare", "claude azure")
    card = _slack_texts(rig.posted()[-1])
    assert "Community disagrees: 10 of 10 votes prefer Azure AI Foundry" in card
    assert f"Added {datetime.now(UTC).date().isoformat()}" in card


# ---- Discord -------------------------------------------------------------------------------

def test_discord_watch_is_private_and_the_alert_is_a_dm(drig: DiscordRig, bot: ShipBot,
                                                        discord_dispatch: Dispatcher,
                                                        tmp_path: Path) -> None:
    publish_files(bot.cards, [comparison_file(tmp_path, "v0", {"watched-tool": 70, "other-tool": 60})])
    for uid in (42, 43):
        token = drig.fake.interaction("watch", {"tool": "watched tool"}, uid=uid)
        assert drig.fake.wait_for(lambda t=token: bool(drig.fake.callbacks(t)))
        data = drig.fake.callbacks(token)[0]["data"]
        assert 64 == data["flags"] and "Watching Watched Tool" in _embed_text(data)
    drig.fake.closed_dms.add(43)  # 43 takes no DMs from bots

    publish_files(bot.cards, [comparison_file(tmp_path, "v1", {"watched-tool": 70, "new-tool": 60})])
    assert drig.fake.wait_for(lambda: all(s != "pending" for *_, s in _statuses(bot.store)))
    assert [("dm", "42", "sent"), ("dm", "43", "failed")] == sorted(_statuses(bot.store))
    failed = next(r for r in bot.store.outbox.rows() if r["channel"] == "43")
    assert "Cannot send messages to this user" in failed["last_error"]
    assert 2 == bot.store.stats()["watches"]  # a closed DM does not end the watch
    dm_channel = next(c for c, u in drig.fake.dm_channels.items() if u == 42)
    (post,) = drig.fake.of("POST", rf"^/channels/{dm_channel}/messages$")
    assert "Watched Tool vs New Tool" in _embed_text(post.body)
    assert ["Ship Watched Tool", "Ship New Tool", "Reviews"] == [
        b["label"] for b in post.body["components"][0]["components"]]


def _press(fake: FakeDiscord, message: dict[str, Any], custom_id: str, uid: int) -> str:
    token = fake.interaction("", kind=3, custom_id=custom_id, message=message, uid=uid)
    assert fake.wait_for(lambda: bool(fake.callbacks(token))), "the press was not answered"
    return token


def test_discord_vote_buttons_toggle_and_share_one_vote_with_reactions(
        drig: DiscordRig, store: Store) -> None:
    message_id = drig.compare_card()
    message = drig.fake.messages[message_id]
    buttons = message["components"][0]["components"]
    assert [("Ship Claude 4 API", "shipbot:vote:0:ship"),
            ("Ship Azure AI Foundry", "shipbot:vote:1:ship"), ("Reviews", "shipbot:reviews")] == [
        (b["label"], b["custom_id"]) for b in buttons]

    token = _press(drig.fake, message, "shipbot:vote:1:ship", uid=42)
    assert 6 == drig.fake.callbacks(token)[0]["type"]  # acknowledged after it was stored
    assert (0, 1) == (store.votes.community([CLAUDE])[CLAUDE][0],
                      store.votes.community([AZURE])[AZURE][0])
    # the card is edited to show it
    assert drig.fake.wait_for(lambda: "1 ship / 0 skip" in _embed_text(
        drig.fake.messages[message_id]))
    _press(drig.fake, message, "shipbot:vote:1:ship", uid=42)  # again: withdrawn
    assert drig.fake.wait_for(lambda: store.votes.community([AZURE])[AZURE] == (0, 0))
    # a reaction, then a button: one vote per person and card, the last one used
    drig.fake.react(message_id, "🅰️", uid=42)
    assert drig.fake.wait_for(lambda: store.votes.community([CLAUDE])[CLAUDE] == (1, 0))
    _press(drig.fake, message, "shipbot:vote:1:ship", uid=42)
    assert drig.fake.wait_for(lambda: store.votes.community([AZURE])[AZURE] == (1, 0))
    assert (0, 0) == store.votes.community([CLAUDE])[CLAUDE]


def test_discord_vote_buttons_work_after_a_restart(fake_discord: FakeDiscord, bot: ShipBot,
                                                   tmp_path: Path) -> None:
    settings = discord_settings(fake_discord, tmp_path / "x.db")
    first = DiscordRig(fake_discord, ShipbotDiscord(bot, settings, refresh_delay=0.3,
                                                    guild_ready_timeout=0.1)).start()
    token = fake_discord.interaction("verdict", {"tool": "azure"})
    assert fake_discord.wait_for(lambda: fake_discord.original(token) is not None)
    message = fake_discord.original(token)
    assert message is not None
    assert fake_discord.wait_for(lambda: bot.store.cards.card_at(
        "discord", str(CHANNEL_ID), message["id"]) is not None)
    first.stop()
    # a new process (or another replica): no view was ever registered for this message
    second = DiscordRig(fake_discord, ShipbotDiscord(ShipBot(bot.store), settings,
                                                     refresh_delay=0.3,
                                                     guild_ready_timeout=0.1)).start()
    try:
        assert ["Ship", "Skip", "Reviews"] == [b["label"] for b in message["components"][0]["components"]]
        _press(fake_discord, message, "shipbot:vote:0:skip", uid=77)
        assert fake_discord.wait_for(lambda: bot.store.votes.community([AZURE])[AZURE] == (0, 1))
        # the Reviews button too: the card's tools are read from the store, on any replica
        token = _press(fake_discord, message, "shipbot:reviews", uid=77)
        reply = fake_discord.callbacks(token)[0]["data"]
        assert reply["flags"] & 64 and "Reviews: Azure AI Foundry" == reply["embeds"][0]["title"]
    finally:
        second.stop()


def test_discord_vote_command(drig: DiscordRig, store: Store) -> None:
    token = drig.fake.interaction("vote", {"tool": "azure", "choice": "skip"}, uid=42)
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(token)))
    assert "Recorded: skip Azure AI Foundry." in _embed_text(drig.fake.callbacks(token)[0]["data"])
    assert (0, 1) == store.votes.community([AZURE])[AZURE]


def test_discord_card_freshness_and_community_flag(drig: DiscordRig, bot: ShipBot) -> None:
    for n in range(12):
        bot.store.votes.cast("discord", "1", f"{n}", AZURE if n < 8 else CLAUDE, "ship",
                             at=float(n), source="command")
    token = drig.fake.interaction("compare", {"tool_a": "claude", "tool_b": "azure"})
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(token)))
    embed = drig.fake.callbacks(token)[0]["data"]["embeds"][0]
    notes = next(f["value"] for f in embed["fields"] if f["name"] == "Notes")
    assert "Community disagrees: 8 of 12 votes prefer Azure AI Foundry" in notes
    assert embed["footer"]["text"].startswith(
        f"Added {datetime.now(UTC).date().isoformat()} · Review date not recorded")


def test_discord_decisions_are_channel_records(drig: DiscordRig, bot: ShipBot) -> None:
    token = drig.fake.interaction("decide", {"tool": "claude", "over": "azure",
                                             "because": "cheaper caching",
                                             "revisit": "2031-01-01"}, uid=42)
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(token)))
    data = drig.fake.callbacks(token)[0]["data"]
    assert 0 == data.get("flags", 0)  # public: a team record
    assert "This channel shipped Claude 4 API over Azure AI Foundry" in _embed_text(data)
    card = drig.fake.original(drig.fake.interaction("compare", {"tool_a": "azure",
                                                                "tool_b": "claude"}))
    assert drig.fake.wait_for(lambda: any("cheaper caching" in _embed_text(m)
                                          for m in drig.fake.messages.values()
                                          if "vs" in _embed_text(m)))
    other = drig.fake.interaction("undecide", {"decision": "1"}, uid=99)
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(other)))
    assert "Only the person who recorded" in _embed_text(drig.fake.callbacks(other)[0]["data"])
    manager = drig.fake.interaction("undecide", {"decision": "1"}, uid=99,
                                    permissions=VIEW_SEND | MANAGE_CHANNELS)
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(manager)))
    assert "Removed #1" in _embed_text(drig.fake.callbacks(manager)[0]["data"])
    assert 0 == bot.store.stats()["decisions"]
    del card


def test_discord_weekly_subscription_and_reminder(drig: DiscordRig, bot: ShipBot,
                                                  discord_dispatch: Dispatcher) -> None:
    token = drig.fake.interaction("subscribe", {"filter": "", "weekly": True},
                                  permissions=VIEW_SEND | MANAGE_CHANNELS)
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(token)))
    assert "a weekly digest" in _embed_text(drig.fake.callbacks(token)[0]["data"])
    assert ["weekly"] == [s.cadence for s in bot.store.subscriptions.list()]
    decided = drig.fake.interaction("decide", {"tool": "azure", "revisit": "2020-02-02"})
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(decided)))
    posts = lambda: drig.fake.of("POST", rf"^/channels/{CHANNEL_ID}/messages$")  # noqa: E731
    assert drig.fake.wait_for(lambda: any("Time to revisit decision #1" in _embed_text(p.body)
                                          for p in posts()))
    reminder = next(p.body for p in posts() if "Time to revisit" in _embed_text(p.body))
    assert ["Ship", "Skip", "Reviews"] == [b["label"] for b in reminder["components"][0]["components"]]


def test_discord_decide_options_reach_the_core_as_typed(drig: DiscordRig, store: Store) -> None:
    """#18: options are passed to the typed command, not joined into a sentence: a reason with
    the word `revisit` in it is a reason (joined, `decide claude because we will revisit
    later` was refused as a bad date)."""
    token = drig.fake.interaction("decide", {"tool": "claude",
                                             "because": "we will revisit later"}, uid=42)
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(token)))
    text = _embed_text(drig.fake.callbacks(token)[0]["data"])
    assert "This channel shipped Claude 4 API" in text and "we will revisit later" in text
    (decision,) = store.decisions.of_channel("discord", str(GUILD_ID), str(CHANNEL_ID))
    assert ("we will revisit later", "") == (decision.reason, decision.revisit)
    # a revisit that is no date is refused with the reason, and nothing is recorded
    bad = drig.fake.interaction("decide", {"tool": "azure", "revisit": "next week"}, uid=42)
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(bad)))
    assert "“next week” is not a date" in _embed_text(drig.fake.callbacks(bad)[0]["data"])
    assert 1 == store.stats()["decisions"]


def _queued_dm_and_post(bot: ShipBot, platform: str, workspace: str, channel: str,
                        user: str) -> None:
    """A subscription, a watch and a queued delivery of each kind, in one workspace."""
    bot.store.subscriptions.add(platform, workspace, channel, "{}", "everything", user,
                                "instant")
    bot.store.watches.add(platform, workspace, user, CLAUDE)
    (sub,) = [s for s in bot.store.subscriptions.list() if s.workspace == workspace]
    bot.store.outbox.queue("compare:x@1", [CLAUDE], '{"kind": "info", "title": "x"}', [sub.id])
    bot.store.outbox.queue_to("watch:x@1", [CLAUDE], '{"kind": "info", "title": "x"}',
                              [(platform, workspace, user, "dm")])


def test_slack_uninstall_forgets_the_workspace(rig: SlackRig, bot: ShipBot) -> None:
    """#16: app_uninstalled (and tokens_revoked) deletes the tokens and stops every delivery
    to the workspace; another workspace is untouched."""
    _queued_dm_and_post(bot, "slack", "T1", "C1", "U5")
    _queued_dm_and_post(bot, "slack", "T2", "C9", "U9")
    bot.store.installations.save("slack", "T1", '{"bot_token": "xoxb-old"}')
    for workspace in ("T1", "T2"):  # what Slack said of a voter (bot or not), kept per workspace
        bot.store.people.remember("slack", workspace, "U5", False)
    body = json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1",
                       "token": "x", "event_id": "EvUn", "event_time": 1,
                       "event": {"type": "app_uninstalled", "event_ts": "1.0"}})
    assert 200 == rig.send(body, "application/json")[0]
    assert bot.store.installations.get("slack", "T1") is None
    assert bot.store.people.is_bot("slack", "T1", "U5") is None
    assert bot.store.people.is_bot("slack", "T2", "U5") is False
    subs = {s.workspace: s for s in bot.store.subscriptions.list()}
    assert not subs["T1"].active and "removed" in subs["T1"].disabled_reason
    assert subs["T2"].active
    pending = {(r["workspace"], r["status"]) for r in bot.store.outbox.rows()}
    assert {("T1", "failed"), ("T2", "pending")} == pending
    assert [] == bot.store.watches.of("slack", "T1", "U5")
    assert [(CLAUDE, bot.store.watches.of("slack", "T2", "U9")[0][1])] == \
        bot.store.watches.of("slack", "T2", "U9")


def test_discord_server_removing_the_bot_is_forgotten(drig: DiscordRig, bot: ShipBot) -> None:
    _queued_dm_and_post(drig.client.core, "discord", str(GUILD_ID), str(CHANNEL_ID), "42")
    store = drig.client.core.store
    drig.fake.dispatch("GUILD_DELETE", {"id": str(GUILD_ID)})
    assert drig.fake.wait_for(lambda: all(r["status"] == "failed"
                                          for r in store.outbox.rows()))
    (sub,) = store.subscriptions.list()
    assert not sub.active and "removed from this server" in sub.disabled_reason
