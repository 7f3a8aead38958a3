"""Test rigs: the real Slack and Discord adapters running against the fakes on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from adapters.discord.client import ShipbotDiscord
from adapters.settings import Settings
from adapters.slack.app import SlackAdapter
from adapters.slack.server import serve_http
from bot.commands import ShipBot
from bot.dispatch import Dispatcher, start_dispatcher
from bot.store import Store
from tests.fakes.discord import CHANNEL_ID, FakeDiscord
from tests.fakes.slack import FakeSlack, post, signed_headers

SECRET = "test-signing-secret"


class LoopThread:
    """An asyncio loop on its own thread, as `shipbot run` has one, for the adapters."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 30) -> Any:
        """Run a coroutine on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        """Stop the loop and its thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@contextmanager
def dispatching(loop: asyncio.AbstractEventLoop, dispatcher: Dispatcher,
                poll: float = 0.2) -> Iterator[Dispatcher]:
    """A dispatcher running as a task on an adapter's loop, as `shipbot run` starts it."""
    async def start() -> tuple[asyncio.Event, asyncio.Task[None]]:
        stop = asyncio.Event()
        return stop, start_dispatcher(dispatcher, stop, poll)

    stop, task = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield dispatcher
    finally:
        async def finish() -> None:
            stop.set()
            await asyncio.wait({task}, timeout=10)
        if not loop.is_closed():
            asyncio.run_coroutine_threadsafe(finish(), loop).result(15)


class SlackRig:
    """The bot's HTTP endpoint plus the fake Slack, and helpers to send it signed requests."""

    def __init__(self, fake: FakeSlack, adapter: SlackAdapter, port: int,
                 loop: LoopThread | None = None) -> None:
        self.fake, self.adapter, self.port = fake, adapter, port
        self.loop = loop
        self.url = f"http://127.0.0.1:{port}/slack/events"
        self._events = 0
        self._clock = 0

    def command(self, command: str, text: str, user: str = "U1", channel: str = "C1",
                wait: bool = True, **extra: str) -> tuple[int, str]:
        """Send a slash command; unless told not to, wait (as a person would) until its answer
        is posted or replied and every answer in flight has finished."""
        form = {"command": command, "text": text, "user_id": user, "team_id": "T1",
                "channel_id": channel, "channel_name": "general", "trigger_id": "t1",
                "response_url": f"{self.fake.url}/response/1", "token": "x", **extra}
        before = self._answers()
        result = self.send(urlencode(form), "application/x-www-form-urlencoded")
        if wait and result[0] == 200:
            assert self.fake.wait_for(lambda: self._answers() > before
                                      and not self.adapter.in_flight, 20), "no answer came"
        return result

    def _answers(self) -> int:
        return len(self.fake.of("chat.postMessage")) + len(self.fake.responses)

    def click(self, action_id: str, value: str, ts: str, user: str = "U1") -> tuple[int, str]:
        payload = {"type": "block_actions", "user": {"id": user, "team_id": "T1"},
                   "team": {"id": "T1"}, "channel": {"id": "C1"}, "api_app_id": "A1",
                   "message": {"ts": ts}, "container": {"type": "message", "message_ts": ts},
                   "response_url": f"{self.fake.url}/response/2", "trigger_id": "t2",
                   "token": "x",
                   "actions": [{"action_id": action_id, "value": value, "type": "button",
                                "block_id": "shipbot_actions", "action_ts": self._now()}]}
        return self.send(urlencode({"payload": json.dumps(payload)}),
                         "application/x-www-form-urlencoded")

    def _now(self) -> str:
        """Slack's time for the next event: later than every one before."""
        self._clock += 1
        return f"{1_700_000_000 + self._clock}.000100"

    def reaction(self, ts: str, name: str, user: str = "U2", added: bool = True,
                 event_id: str | None = None, retry: int | None = None,
                 event_ts: str | None = None) -> tuple[int, str]:
        self._events += 1
        if not retry:
            self.fake.show("C1", ts, name, user, added)
        body = json.dumps({
            "type": "event_callback", "team_id": "T1", "api_app_id": "A1", "token": "x",
            "event_id": event_id or f"Ev{self._events}", "event_time": int(time.time()),
            "event": {"type": "reaction_added" if added else "reaction_removed", "user": user,
                      "reaction": name, "item_user": "UBOT", "event_ts": event_ts or self._now(),
                      "item": {"type": "message", "channel": "C1", "ts": ts}},
        })
        extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "timeout"} if retry else {}
        return self.send(body, "application/json", extra)

    def send(self, body: str, content_type: str, extra: dict[str, str] | None = None,
             secret: str = SECRET, timestamp: int | None = None) -> tuple[int, str]:
        headers = {**signed_headers(secret, body, content_type, timestamp), **(extra or {})}
        return post(self.url, body, headers)

    def posted(self) -> list[dict[str, Any]]:
        return self.fake.of("chat.postMessage")


def settings_for(fake: FakeSlack, db: Path | str) -> Settings:
    return Settings(shipbot_db=str(db), slack_bot_token="xoxb-test", slack_signing_secret=SECRET,
                    slack_api_url=f"{fake.url}/api/")


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


@contextmanager
def serving(fake: FakeSlack, bot: ShipBot, settings: Settings | None = None) -> Iterator[SlackRig]:
    """The production Slack serving (aiohttp on an event loop) on a free port."""
    adapter = SlackAdapter(bot, settings or settings_for(fake, bot.store.location),
                           refresh_delay=0.3)
    loop = LoopThread()
    runner, port = loop.call(serve_http(adapter, "127.0.0.1", 0))  # HttpServing
    try:
        yield SlackRig(fake, adapter, port, loop)
    finally:
        loop.call(runner.cleanup())
        loop.call(adapter.close())
        loop.stop()


@pytest.fixture
def rig(fake: FakeSlack, bot: ShipBot) -> Iterator[SlackRig]:
    """The Slack adapter served over HTTP against the fake Slack."""
    with serving(fake, bot) as running:
        yield running


class DiscordRig:
    """The running client on its own thread and loop, plus the fake it talks to."""

    def __init__(self, fake: FakeDiscord, client: ShipbotDiscord) -> None:
        self.fake, self.client = fake, client
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.run(self.client.start("fake-token"))

    def start(self) -> DiscordRig:
        self.thread.start()
        assert self.fake.wait_for(self.client.is_ready, 15), "client never became ready"
        return self

    def stop(self) -> None:
        if not self.client.is_closed():
            asyncio.run_coroutine_threadsafe(self.client.close(), self.client.loop).result(15)
        self.thread.join(15)

    def compare_card(self, a: str = "claude", b: str = "azure") -> int:
        """Run /compare and return the id of the posted card message."""
        token = self.fake.interaction("compare", {"tool_a": a, "tool_b": b})
        assert self.fake.wait_for(lambda: self.fake.original(token) is not None)
        message_id = int(self.fake.original(token)["id"])  # type: ignore[index]
        store = self.client.core.store
        assert self.fake.wait_for(lambda: store.cards.card_at("discord", str(CHANNEL_ID),
                                                        str(message_id)) is not None)
        return message_id


def discord_settings(fake: FakeDiscord, db: Path | str) -> Settings:
    return Settings(shipbot_db=str(db), discord_token="fake-token", discord_api_url=fake.api_url)


@pytest.fixture
def fake_discord() -> Iterator[FakeDiscord]:
    server = FakeDiscord().start()
    yield server
    server.stop()


@pytest.fixture
def drig(fake_discord: FakeDiscord, bot: ShipBot, tmp_path: Path) -> Iterator[DiscordRig]:
    client = ShipbotDiscord(bot, discord_settings(fake_discord, tmp_path / "shipbot.db"),
                            refresh_delay=0.3, guild_ready_timeout=0.1)
    rig = DiscordRig(fake_discord, client).start()
    yield rig
    rig.stop()


def new_tool_file(tmp_path: Path, tool_id: str = "copilot-voice", vendor: str = "Microsoft") -> Path:
    """A JSON import file with one new tool and four ship reviews."""
    personas = ["Builder", "Skeptic", "Futurist", "Founder"]
    path = tmp_path / f"{tool_id}.json"
    path.write_text(json.dumps({"tools": [{
        "id": tool_id, "name": tool_id.replace("-", " ").title(),
        "short_name": tool_id.replace("-", " ").title(), "vendor": vendor,
        "category": "Developer Tools",
        "reviews": [{"persona": p, "score": 80, "verdict": "ship"} for p in personas]}]}))
    return path


def run_cli(db: Path | str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m shipbot --db DB ARGS...` in its own process."""
    return subprocess.run([sys.executable, "-m", "shipbot", "--db", str(db), *args],
                          capture_output=True, text=True, timeout=120)


@contextmanager
def write_lock_held(store: Store, seconds: float | None = None) -> Iterator[bool]:
    """Another process holding the database's write lock (and, on PostgreSQL, the subscription
    and vote tables) until the block ends, or for `seconds` if given: what a slow or stuck
    database looks like to an adapter. Yields True."""
    release = threading.Event()
    if store.db.dialect == "sqlite":
        blocker = sqlite3.connect(store.location, isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN IMMEDIATE")
        unlock = lambda: blocker.execute("COMMIT")  # noqa: E731
    else:
        import psycopg

        blocker = psycopg.connect(store.location)
        blocker.execute("LOCK TABLE subscriptions, votes, card_votes, seen_events "
                        "IN ACCESS EXCLUSIVE MODE")
        unlock = blocker.commit
    timer = threading.Timer(seconds, release.set) if seconds else None
    if timer:
        timer.start()
    try:
        yield True
        if timer:
            release.wait(10)
    finally:
        unlock()
        blocker.close()


class Replica:
    """One `shipbot run` process (a replica) and the port its Slack endpoint listens on."""

    def __init__(self, env: dict[str, str], secret: str) -> None:
        self.secret = secret
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shipbot", "run", "--host", "127.0.0.1", "--port", "0"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(
            target=lambda: self.lines.extend(iter(self.process.stderr.readline, "")),  # type: ignore[union-attr]
            daemon=True)
        self._reader.start()

    @property
    def port(self) -> int | None:
        """The bound port, once the replica logged it."""
        found = (re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line) for line in self.lines)
        return next((int(m.group(1)) for m in found if m), None)

    def send(self, body: str, content_type: str, extra: dict[str, str] | None = None,
             secret: str | None = None) -> int:
        """A signed request (with its secret, or `secret`) to this replica's /slack/events;
        0 if it is not there."""
        headers = {**signed_headers(secret or self.secret, body, content_type), **(extra or {})}
        try:
            return post(f"http://127.0.0.1:{self.port}/slack/events", body, headers, timeout=10)[0]
        except OSError:
            return 0

    @property
    def log(self) -> str:
        """What it wrote to stderr so far."""
        return "".join(self.lines)

    def stop(self) -> int:
        """SIGTERM; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self._reader.join(10)
        return self.process.returncode
