"""Subscriptions and publishing through the real adapters: exactly once, retries, dead channels,
and a kill -9 in the middle of dispatching."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.discord.poster import DiscordPoster
from adapters.slack.poster import SlackPoster
from bot.commands import ShipBot
from bot.dispatch import MAX_PERMANENT_ATTEMPTS, Dispatcher, delivery_rows
from bot.models import Context
from bot.store import Store
from tests.fakes.discord import CHANNEL_ID, MANAGE_CHANNELS, VIEW_SEND
from tests.fakes.slack import FakeSlack
from tests.rigs import DiscordRig, SlackRig, dispatching, new_tool_file, run_cli

CH_EVERYTHING = 300000000000000777
CH_404 = 300000000000000404


@pytest.fixture
def dispatchers(rig: SlackRig, drig: DiscordRig, bot: ShipBot) -> Iterator[dict[str, Dispatcher]]:
    made = {"slack": Dispatcher(bot.store, SlackPoster(rig.adapter), rate=50, base_delay=0.05),
            "discord": Dispatcher(bot.store, DiscordPoster(drig.client), rate=50, base_delay=0.05)}
    assert rig.loop is not None
    with dispatching(rig.loop.loop, made["slack"]), \
            dispatching(drig.client.loop, made["discord"]):
        yield made


def test_publish_from_cli_reaches_each_matching_channel_once(
        rig: SlackRig, drig: DiscordRig, dispatchers: dict[str, Dispatcher], store: Store,
        tmp_path: Path) -> None:
    rig.command("/shipbot", "subscribe vendor:microsoft", channel="C-MS")
    rig.command("/shipbot", "subscribe vendor:anthropic", channel="C-ANT")
    rig.command("/shipbot", "subscribe", channel="C-ALL")
    manage = VIEW_SEND | MANAGE_CHANNELS
    for channel, text in ((CH_EVERYTHING, ""), (CHANNEL_ID, "vendor:anthropic")):
        token = drig.fake.interaction("subscribe", {"filter": text}, permissions=manage,
                                      channel_id=channel)
        assert drig.fake.wait_for(lambda t=token: bool(drig.fake.callbacks(t)))
    assert 5 == len(store.subscriptions.list())
    posts_before = len(rig.posted())

    done = run_cli(store.location, "publish", str(new_tool_file(tmp_path)))
    assert 0 == done.returncode, done.stderr
    assert "Queued 3 deliveries." in done.stdout

    def slack_channels() -> list[str]:
        return sorted(p["channel"] for p in rig.posted()[posts_before:])

    def discord_posts() -> list[str]:
        return [c.path for c in drig.fake.of("POST", r"^/channels/\d+/messages$")]

    # Every delivery's outcome is written after its post: once all three say sent, nothing
    # more can arrive (there are only three), so the counts below are final.
    assert rig.fake.wait_for(lambda: [r["status"] for r in delivery_rows(store)] == ["sent"] * 3)
    assert ["C-ALL", "C-MS"] == slack_channels()
    assert [f"/channels/{CH_EVERYTHING}/messages"] == discord_posts()
    assert "New verdict" in json.dumps(rig.posted()[-1]["blocks"])
    rows = delivery_rows(store)
    assert ["sent"] * 3 == [r["status"] for r in rows]
    assert all(r["message_id"] for r in rows)
    for row in rows:  # the delivered cards take votes
        assert store.cards.card_at(row["platform"], row["channel"], row["message_id"]) is not None
    again = run_cli(store.location, "publish", str(new_tool_file(tmp_path)))
    assert "Nothing new or changed: no deliveries queued." in again.stdout


def test_slack_429_retry_after_is_respected(rig: SlackRig, dispatchers: dict[str, Dispatcher],
                                            bot: ShipBot, store: Store, tmp_path: Path) -> None:
    bot.handle("subscribe", Context(platform="slack", workspace="T1", channel="C-RL", user="U1", can_manage=True))
    rig.fake.rate_limit_next = 4  # more than slack-sdk's own three retries
    started = time.monotonic()
    assert 0 == run_cli(store.location, "publish", str(new_tool_file(tmp_path))).returncode
    assert rig.fake.wait_for(lambda: delivery_rows(store)[0]["status"] == "sent", 20)
    attempts = [p for p in rig.posted() if p["channel"] == "C-RL"]
    assert 5 == len(attempts)  # four 429s, then the post that landed
    assert time.monotonic() - started >= 4.0  # each Retry-After: 1 was waited out
    assert 2 == delivery_rows(store)[0]["attempts"]


def test_discord_429_retry_after_is_respected(drig: DiscordRig, dispatchers: dict[str, Dispatcher],
                                              bot: ShipBot, store: Store, tmp_path: Path) -> None:
    bot.handle("subscribe", Context(platform="discord", workspace="1", channel=str(CH_EVERYTHING),
                                    user="42", can_manage=True))
    drig.fake.rate_limit_next = 1
    assert 0 == run_cli(store.location, "publish", str(new_tool_file(tmp_path))).returncode
    assert drig.fake.wait_for(lambda: delivery_rows(store)[0]["status"] == "sent", 20)
    posts = drig.fake.of("POST", rf"^/channels/{CH_EVERYTHING}/messages$")
    assert 2 == len(posts)  # the 429, then the retry discord.py made after Retry-After
    assert 1 == delivery_rows(store)[0]["attempts"]


def test_dead_channels_are_disabled_after_the_documented_attempts(
        rig: SlackRig, drig: DiscordRig, dispatchers: dict[str, Dispatcher], bot: ShipBot,
        store: Store, tmp_path: Path) -> None:
    rig.fake.channel_errors["C-GONE"] = "channel_not_found"
    drig.fake.missing_channels.add(CH_404)
    drig.fake.forbidden_channels.add(CH_EVERYTHING)
    bot.handle("subscribe", Context(platform="slack", workspace="T1", channel="C-GONE", user="U", can_manage=True))
    for channel in (CH_404, CH_EVERYTHING):
        bot.handle("subscribe", Context(platform="discord", workspace="1", channel=str(channel),
                                        user="42", can_manage=True))
    assert 0 == run_cli(store.location, "publish", str(new_tool_file(tmp_path))).returncode
    assert rig.fake.wait_for(lambda: all(r["status"] == "failed" for r in delivery_rows(store)), 20)
    assert [MAX_PERMANENT_ATTEMPTS] * 3 == [r["attempts"] for r in delivery_rows(store)]
    subs = {s.channel: s for s in store.subscriptions.list()}
    assert not subs["C-GONE"].active
    assert subs["C-GONE"].disabled_reason.startswith("channel_not_found")
    assert not subs[str(CH_404)].active
    assert subs[str(CH_404)].disabled_reason.startswith("not found: Unknown Channel")
    assert subs[str(CH_EVERYTHING)].disabled_reason.startswith("forbidden: Missing Access")
    listing = run_cli(store.location, "subscriptions").stdout
    assert "DISABLED: channel_not_found" in listing
    assert "failed" in run_cli(store.location, "deliveries").stdout


def test_kill_9_mid_dispatch_loses_nothing(tmp_path: Path, fake: FakeSlack) -> None:
    db = tmp_path / "kill.db"
    store = Store.open(db)
    bot = ShipBot(store)
    from shipbot.bootstrap import open_store

    open_store(db)
    channels = [f"C{n:02d}" for n in range(30)]
    for channel in channels:
        bot.handle("subscribe", Context(platform="slack", workspace="T1", channel=channel, user="U", can_manage=True))
    assert 0 == run_cli(db, "publish", str(new_tool_file(tmp_path))).returncode
    fake.post_delay = 0.1
    env = {**os.environ, "SHIPBOT_DB": str(db), "SLACK_BOT_TOKEN": "xoxb-test",
           "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": f"{fake.url}/api/",
           "SHIPBOT_DISPATCH_POLL": "0.2"}
    env.pop("SLACK_APP_TOKEN", None)
    env.pop("DISCORD_TOKEN", None)
    command = [sys.executable, "-m", "shipbot", "run", "--port", "0", "--rate", "50"]

    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert fake.wait_for(lambda: len(fake.of("chat.postMessage")) >= 8, 30)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    posted_before_restart = len(fake.of("chat.postMessage"))
    assert posted_before_restart < 30, "dispatch finished before the kill; slow the fake down"

    second = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert fake.wait_for(lambda: set(channels) <= {p["channel"] for p in
                                                       fake.of("chat.postMessage")}, 60)
        assert fake.wait_for(lambda: all(r["status"] == "sent" for r in delivery_rows(store)), 10)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(15)
    posts = [p["channel"] for p in fake.of("chat.postMessage")]
    assert set(channels) == set(posts)  # nothing lost
    assert len(posts) - len(channels) <= 1  # at most the one post in flight at the kill


def test_a_claimed_delivery_is_not_posted_after_unsubscribe(rig: SlackRig, bot: ShipBot,
                                                           store: Store, tmp_path: Path) -> None:
    ctx = Context(platform="slack", workspace="T1", channel="C-LEFT", user="U", can_manage=True)
    bot.handle("subscribe", ctx)
    assert 0 == run_cli(store.location, "publish", str(new_tool_file(tmp_path))).returncode
    dispatcher = Dispatcher(bot.store, SlackPoster(rig.adapter), rate=50)
    claimed = dispatcher.claim()
    assert ["C-LEFT"] == [c.channel for c in claimed]
    bot.handle("unsubscribe all", ctx)  # while the batch waits for its turn
    for item in claimed:
        rig.loop.call(dispatcher.deliver(item))  # type: ignore[union-attr]
    assert [] == [p for p in rig.posted() if p["channel"] == "C-LEFT"]
