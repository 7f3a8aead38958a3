"""`shipbot run` as a real process: Slack and Discord together, deliveries, clean shutdown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.dispatch import delivery_rows
from bot.models import Context
from shipbot.bootstrap import open_bot
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.rigs import Replica, new_tool_file, run_cli


def test_run_starts_both_platforms_delivers_and_stops_on_sigterm(
        tmp_path: Path, fake: FakeSlack, fake_discord: FakeDiscord) -> None:
    db = tmp_path / "run.db"
    bot = open_bot(db)
    bot.handle("subscribe", Context(platform="slack", workspace="T1", channel="C-RUN", user="U", can_manage=True))
    bot.handle("subscribe", Context(platform="discord", workspace="1", channel="300000000000000999",
                                    user="42", can_manage=True))
    env = {**os.environ, "SHIPBOT_DB": str(db), "SLACK_BOT_TOKEN": "xoxb-run",
           "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": f"{fake.url}/api/",
           "DISCORD_TOKEN": "discord-run", "DISCORD_API_URL": fake_discord.api_url,
           "SHIPBOT_DISPATCH_POLL": "0.2"}
    env.pop("SLACK_APP_TOKEN", None)
    process = subprocess.Popen([sys.executable, "-m", "shipbot", "run", "--port", "0"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert fake_discord.wait_for(lambda: bool(fake_discord.of("PUT", r"/commands$")), 30)
        assert fake_discord.identified.wait(30)
        assert 0 == run_cli(db, "publish", str(new_tool_file(tmp_path))).returncode
        assert fake.wait_for(lambda: all(r["status"] == "sent" for r in delivery_rows(bot.store))
                             and len(delivery_rows(bot.store)) == 2, 30)
        assert ["C-RUN"] == [p["channel"] for p in fake.of("chat.postMessage")]
        assert 1 == len(fake_discord.of("POST", r"^/channels/300000000000000999/messages$"))
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert 0 == process.returncode, stderr
    assert "xoxb-run" not in stderr and "discord-run" not in stderr


def test_run_answers_slack_over_http(tmp_path: Path, fake: FakeSlack) -> None:
    """The production path: aiohttp, bolt acking then answering, clean SIGTERM."""
    import time
    from urllib.parse import urlencode

    from tests.fakes.server import wait_for

    db = tmp_path / "run.db"
    store = open_bot(db).store
    replica = Replica(_slack_env(db, fake, "xoxb-run"), "run-secret")
    try:
        assert wait_for(lambda: replica.port is not None, 30), replica.log
        body = urlencode({"command": "/compare", "text": "claude vs azure", "user_id": "U1",
                          "team_id": "T1", "channel_id": "C1", "channel_name": "general",
                          "response_url": f"{fake.url}/response/1", "trigger_id": "t"})
        started = time.monotonic()
        assert 200 == replica.send(body, "application/x-www-form-urlencoded")
        assert time.monotonic() - started < 3.0
        assert wait_for(lambda: store.cards.card_at("slack", "C1", "1700000001.000100") is not None, 30)
        assert "Ship Claude 4 API" in str(fake.of("chat.postMessage")[0]["blocks"])
        assert 401 == replica.send(body, "application/x-www-form-urlencoded",
                                   secret="wrong-secret")
    finally:
        code = replica.stop()
    assert 0 == code, replica.log
    assert 1 == len(fake.of("chat.postMessage"))
    assert "xoxb-run" not in replica.log and "run-secret" not in replica.log


def _slack_env(db: Path, fake: FakeSlack, token: str) -> dict[str, str]:
    """The environment of a Slack-only `shipbot run` against the fake Slack."""
    env = {**os.environ, "SHIPBOT_DB": str(db), "SLACK_BOT_TOKEN": token,
           "SLACK_SIGNING_SECRET": "run-secret", "SLACK_API_URL": f"{fake.url}/api/"}
    for key in ("SLACK_APP_TOKEN", "DISCORD_TOKEN", "SLACK_CLIENT_ID"):
        env.pop(key, None)
    return env


def test_run_on_a_taken_port_says_so_and_exits_1(tmp_path: Path, fake: FakeSlack) -> None:
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    env = {**os.environ, "SHIPBOT_DB": str(tmp_path / "p.db"), "SLACK_BOT_TOKEN": "xoxb-port",
           "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": f"{fake.url}/api/"}
    for key in ("SLACK_APP_TOKEN", "DISCORD_TOKEN", "SLACK_CLIENT_ID"):
        env.pop(key, None)
    try:
        done = subprocess.run([sys.executable, "-m", "shipbot", "run", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, capture_output=True, text=True,
                              timeout=60)
    finally:
        taken.close()
    assert 1 == done.returncode
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_sigterm_with_a_slow_answer_in_flight_exits_promptly_and_quietly(
        tmp_path: Path, fake: FakeSlack) -> None:
    import time
    from urllib.parse import urlencode

    from tests.fakes.server import wait_for

    fake.post_delay = 30.0  # Slack is stuck: the answer cannot finish
    replica = Replica(_slack_env(tmp_path / "t.db", fake, "xoxb-term"), "run-secret")
    assert wait_for(lambda: replica.port is not None, 30), replica.log
    body = urlencode({"command": "/compare", "text": "claude azure", "user_id": "U1",
                      "team_id": "T1", "channel_id": "C1", "response_url": f"{fake.url}/r/1"})
    assert 200 == replica.send(body, "application/x-www-form-urlencoded")
    # the answer is computed and its post is waiting on the stuck Slack
    assert wait_for(lambda: fake.posts_started == 1, 30)
    started = time.monotonic()
    assert 0 == replica.stop()
    assert time.monotonic() - started < 10
    assert "Traceback" not in replica.log and "gave up 1 answer" in replica.log


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_platform_at_start_is_one_sentence_and_exit_1(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}"
    base = {**os.environ, "SHIPBOT_DB": str(tmp_path / "u.db")}
    for key in ("SLACK_APP_TOKEN", "DISCORD_TOKEN", "SLACK_CLIENT_ID", "SLACK_BOT_TOKEN"):
        base.pop(key, None)
    cases = [
        ({"DISCORD_TOKEN": "discord-dead", "DISCORD_API_URL": f"{dead}/api/v10"},
         "cannot reach Discord"),
        ({"SLACK_BOT_TOKEN": "xoxb-dead", "SLACK_APP_TOKEN": "xapp-dead",
          "SLACK_API_URL": f"{dead}/api/"}, "cannot open a Socket Mode connection to Slack"),
    ]
    for extra, says in cases:
        done = subprocess.run([sys.executable, "-m", "shipbot", "run", "--port", "0"],
                              env={**base, **extra}, capture_output=True, text=True, timeout=90)
        assert 1 == done.returncode, done.stderr
        assert says in done.stderr and "Traceback" not in done.stderr
        assert "discord-dead" not in done.stderr and "xapp-dead" not in done.stderr


def test_run_sends_due_reminders_digests_and_watch_dms(tmp_path: Path, fake: FakeSlack) -> None:
    """`shipbot run` queues what falls due with time (a past revisit date; a digest once its
    SHIPBOT_DIGEST_AT has passed) in its dispatcher's pass, and posts a watcher's DM."""
    import json
    from datetime import UTC, datetime, timedelta

    from tests.conftest import CLAUDE
    from tests.fakes.server import wait_for

    db = tmp_path / "due.db"
    bot = open_bot(db)
    here = Context(platform="slack", workspace="T1", channel="C-DUE", user="U1", can_manage=True)
    bot.handle("decide claude over azure because cheaper revisit 2020-01-01", here)
    bot.handle("subscribe weekly", here)
    bot.handle("watch claude", here.model_copy(update={"user": "U-WATCH"}))
    # the digest is due once a slot has passed since the subscription was made: make it older
    bot.store.db.execute("UPDATE subscriptions SET digest_at = ?",
                         [(datetime.now(UTC) - timedelta(days=8)).isoformat()])
    page = tmp_path / "new-comparison.json"  # a new comparison of Claude with a new tool
    new = json.loads(new_tool_file(tmp_path).read_text())
    new["comparisons"] = [{"tools": [CLAUDE, "copilot-voice"], "published": "2026-01-02"}]
    page.write_text(json.dumps(new))
    assert 0 == run_cli(db, "publish", str(page)).returncode
    env = {**_slack_env(db, fake, "xoxb-due"), "SHIPBOT_DISPATCH_POLL": "0.2"}
    replica = Replica(env, "run-secret")
    try:
        def posted() -> str:
            return json.dumps([p.get("blocks") for p in fake.of("chat.postMessage")],
                              ensure_ascii=False)
        assert wait_for(lambda: "Time to revisit decision #1" in posted()
                        and "Claude 4 API vs Copilot Voice: ship Claude 4 API" in posted()
                        and len(fake.of("chat.postMessage")) == 3, 30), replica.log
    finally:
        assert 0 == replica.stop(), replica.log
    # once each, however many passes ran: the reminder and the digest in the channel, the
    # alert as a direct message to the watcher
    assert ["C-DUE", "C-DUE", "U-WATCH"] == sorted(p["channel"] for p in fake.of(
        "chat.postMessage"))
