"""Two real `shipbot run` replicas on one database (PostgreSQL, and one SQLite file), against the
fake Slack and Discord: answers spread over both, a reaction storm spread over both (retries
sent to the other replica, removes arriving before their adds), one replica killed with SIGKILL
in the middle."""

from __future__ import annotations

import json
import os
import random
import signal
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bot.dispatch import delivery_rows
from bot.models import Context
from bot.store import Store
from shipbot.bootstrap import open_bot
from tests.conftest import AZURE, CLAUDE, postgres_schema
from tests.fakes.discord import CHANNEL_ID, GUILD_ID, FakeDiscord
from tests.fakes.server import wait_for
from tests.fakes.slack import FakeSlack
from tests.rigs import Replica, new_tool_file, run_cli

SECRET = "replica-secret"


@pytest.fixture(params=["postgres", "sqlite"])
def shared_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The database both replicas use: PostgreSQL (replicas on several machines), or one SQLite
    file (several replicas on one machine)."""
    if request.param == "sqlite":
        yield str(tmp_path / "shared.db")
        return
    with postgres_schema() as url:
        yield url


def _reaction(user: str, name: str, added: bool, at: float, event_id: str, ts: str) -> str:
    return json.dumps({
        "type": "event_callback", "team_id": "T1", "api_app_id": "A1", "token": "x",
        "event_id": event_id, "event_time": int(at),
        "event": {"type": "reaction_added" if added else "reaction_removed", "user": user,
                  "reaction": name, "item_user": "UBOT", "event_ts": f"{at:.6f}",
                  "item": {"type": "message", "channel": "C1", "ts": ts}}})


def test_two_replicas_share_one_store(shared_db: str, tmp_path: Path, fake: FakeSlack,
                                      fake_discord: FakeDiscord) -> None:
    bot = open_bot(shared_db)
    store: Store = bot.store
    for n in range(6):
        bot.handle("subscribe", Context(platform="slack", workspace="T1", channel=f"CS{n}",
                                        user="U", can_manage=True))
    bot.handle("subscribe", Context(platform="discord", workspace=str(GUILD_ID),
                                    channel=str(CHANNEL_ID), user="42", can_manage=True))
    env = {**os.environ, "SHIPBOT_DB": shared_db, "SLACK_BOT_TOKEN": "xoxb-rep",
           "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": f"{fake.url}/api/",
           "DISCORD_TOKEN": "discord-rep", "DISCORD_API_URL": fake_discord.api_url,
           "DISCORD_GATEWAY_URL": fake_discord.gateway_url, "DISCORD_SHARD_COUNT": "2",
           "SHIPBOT_DISPATCH_POLL": "0.2"}
    for key in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID"):
        env.pop(key, None)
    a = Replica({**env, "DISCORD_SHARD_IDS": "0"}, SECRET)
    b = Replica({**env, "DISCORD_SHARD_IDS": "1"}, SECRET)
    replicas = [a, b]
    try:
        assert wait_for(lambda: a.port and b.port, 30), "".join(a.lines + b.lines)
        assert wait_for(lambda: sorted(fake_discord.shards_identified) == [[0, 2], [1, 2]], 30)

        # Deliveries: both dispatchers claim from one outbox; each is posted exactly once.
        assert 0 == run_cli(shared_db, "publish", str(new_tool_file(tmp_path))).returncode
        assert wait_for(lambda: len(delivery_rows(store)) == 7 and
                        all(r["status"] == "sent" for r in delivery_rows(store)), 30)
        assert sorted(f"CS{n}" for n in range(6)) == sorted(
            p["channel"] for p in fake.of("chat.postMessage"))
        assert 1 == len(fake_discord.of("POST", rf"^/channels/{CHANNEL_ID}/messages$"))

        # Answers spread over both replicas (a load balancer's round robin): each once.
        for n in range(10):
            body = urlencode({"command": "/compare", "text": "claude vs azure", "user_id": "U1",
                              "team_id": "T1", "channel_id": f"C{n}", "channel_name": "general",
                              "response_url": f"{fake.url}/response/{n}", "trigger_id": "t"})
            assert 200 == replicas[n % 2].send(body, "application/x-www-form-urlencoded")
        assert wait_for(lambda: store.db.execute(
            "SELECT COUNT(*) FROM card_messages WHERE platform = 'slack' AND channel NOT LIKE "
            "'CS%'").rows[0][0] == 10, 30)
        answers = [p["channel"] for p in fake.of("chat.postMessage") if not p["channel"]
                   .startswith("CS")]
        assert sorted(f"C{n}" for n in range(10)) == sorted(answers)
        # C1's card was posted by B; B dies during the storm, and A must refresh it.
        card_ts = store.db.execute("SELECT message_id FROM card_messages WHERE channel = 'C1'"
                                   ).rows[0][0]

        # The storm: 60 people react, switch and take reactions off; events shuffled, sent to
        # either replica, some sent again to the other (Slack's retries); B dies midway and
        # what it did not acknowledge goes to A, as Slack would send it again.
        rng = random.Random(9)
        events, shown = [], {}
        for person in range(60):
            user, at, on = f"UP{person}", 1_800_000_000.0 + person, set()
            for step in range(rng.randint(1, 6)):
                at += 0.001
                name = rng.choice("ab")
                added = name not in on or rng.random() < 0.2
                (on.add if added else on.discard)(name)
                events.append((user, name, added, at, f"Ev{person}-{step}"))
            shown[user] = on
        rng.shuffle(events)
        for number, (user, name, added, at, event_id) in enumerate(events):
            if number == len(events) // 2:
                b.process.send_signal(signal.SIGKILL)
                b.process.wait(10)
            body = _reaction(user, name, added, at, event_id, card_ts)
            first = replicas[number % 2]
            if first.send(body, "application/json") != 200:  # refused, or gone: Slack retries
                assert 200 == a.send(body, "application/json",
                                     {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "x"})
            if rng.random() < 0.2:  # a duplicate delivery, to the other replica
                a.send(body, "application/json", {"X-Slack-Retry-Num": "1",
                                                  "X-Slack-Retry-Reason": "timeout"})
        expected = {CLAUDE: 0, AZURE: 0}
        for user, on in shown.items():
            latest = max(((e[3], e[1]) for e in events if e[0] == user and e[2] and e[1] in on),
                         default=None)
            if latest:
                expected[CLAUDE if latest[1] == "a" else AZURE] += 1
        assert {CLAUDE: (expected[CLAUDE], 0), AZURE: (expected[AZURE], 0)} == \
            store.votes.community([CLAUDE, AZURE])
        # The card shows the final counts once the coalesced edit lands (from A).
        want = f"{expected[CLAUDE]} ship / 0 skip"
        assert wait_for(lambda: any(u["ts"] == card_ts and want in str(u["blocks"])
                                    for u in fake.of("chat.update")), 30)
    finally:
        codes = [r.stop() for r in replicas]
    assert 0 == codes[0], "".join(a.lines)
    assert -signal.SIGKILL == codes[1]
    assert "xoxb-rep" not in "".join(a.lines) and "replica-secret" not in "".join(a.lines)
