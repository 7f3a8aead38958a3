"""One replica, one event loop (#19): nothing hands work back and forth between threads and
the loop, and a platform call that never answers holds up no other answer or delivery."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest

from adapters.slack import app as slack_app
from adapters.slack import server
from bot.commands import ShipBot
from bot.dispatch import Dispatcher
from bot.models import Context
from bot.publishing import publish_files
from bot.store import Store
from tests.conftest import AZURE, CLAUDE
from tests.fakes.slack import FakeSlack
from tests.rigs import dispatching, new_tool_file, serving

ROOT = Path(__file__).resolve().parents[1]
# What a thread waiting on the loop, or a timer thread, is made with.
FORBIDDEN = {"run_coroutine_threadsafe", "Timer", "Thread"}


def _uses(path: Path, root: Path = ROOT) -> list[str]:
    """Each forbidden name a module calls or imports, as `file:line name`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        name = None
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN:
            name = node.attr
        elif isinstance(node, ast.ImportFrom) and node.module in ("asyncio", "threading"):
            name = next((a.name for a in node.names if a.name in FORBIDDEN), None)
        if name:
            found.append(f"{path.relative_to(root)}:{node.lineno} {name}")
    return found


def test_no_module_hands_work_between_threads_and_the_loop() -> None:
    modules = [p for package in ("bot", "adapters", "shipbot")
               for p in sorted((ROOT / package).rglob("*.py"))]
    assert len(modules) > 40  # the scan sees the code
    assert [] == [use for path in modules for use in _uses(path)]


def test_the_scan_finds_what_it_forbids(tmp_path: Path) -> None:
    """The check above can fail: each way of writing the forbidden calls is caught."""
    (tmp_path / "bad.py").write_text(
        "import asyncio, threading\nfrom threading import Timer\n"
        "asyncio.run_coroutine_threadsafe(x, loop)\nthreading.Timer(1, f).start()\n"
        "threading.Thread(target=f).start()\n")
    assert 4 == len(_uses(tmp_path / "bad.py", tmp_path))


def test_a_hanging_slack_call_delays_no_other_answer_or_delivery(
        fake: FakeSlack, bot: ShipBot, store: Store, tmp_path: Path) -> None:
    with serving(fake, bot) as rig:
        assert rig.loop is not None
        rig.command("/compare", "claude vs azure", channel="C1")
        ts = "1700000001.000100"  # the fake's first message
        # From now on, posts to C-HANG and C-HANG2 and edits of C1's card never answer in time.
        fake.hang_channels = {"C-HANG", "C-HANG2", "C1"}
        rig.command("/compare", "claude vs azure", channel="C-HANG", wait=False)
        rig.reaction(ts, "a")  # counted, then its card's refresh (chat.update) hangs
        assert fake.wait_for(lambda: fake.hanging == 2), "the answer and the edit should hang"
        assert {CLAUDE: (1, 0), AZURE: (0, 0)} == store.votes.community([CLAUDE, AZURE])

        rig.command("/compare", "claude vs azure", channel="C2", wait=False)
        assert fake.wait_for(lambda: any(p["channel"] == "C2" for p in rig.posted()), 10)
        assert 2 == fake.hanging  # C2 was answered while both calls still hung

        for channel in ("C-HANG2", "C3"):
            bot.handle("subscribe", Context(platform="slack", workspace="T1", channel=channel,
                                            user="U1", can_manage=True))
        assert 2 == publish_files(bot.cards, [new_tool_file(tmp_path)]).queued
        with dispatching(rig.loop.loop, Dispatcher(store, rig.adapter.cards, rate=50)):
            assert fake.wait_for(lambda: any(p["channel"] == "C3" for p in rig.posted()), 10)
            assert 3 == fake.hanging  # C3's card went out while C-HANG2's post still hung


def test_answers_in_flight_are_bounded(fake: FakeSlack, bot: ShipBot,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the bound of answers acknowledged but not yet sent, a command is acked and told
    to ask again; it is not queued (memory stays bounded under any backlog)."""
    monkeypatch.setattr(slack_app, "MAX_IN_FLIGHT", 1)
    with serving(fake, bot) as rig:
        fake.hang_channels = {"C-HANG"}
        assert 200 == rig.command("/compare", "claude vs azure", channel="C-HANG", wait=False)[0]
        assert fake.wait_for(lambda: fake.hanging == 1)
        assert 200 == rig.command("/compare", "claude vs azure", channel="C2", wait=False)[0]
        assert fake.wait_for(lambda: any(slack_app.BUSY == r.get("text")
                                         for r in fake.responses))
        assert not any(p["channel"] == "C2" for p in rig.posted())


def test_idle_and_half_sent_connections_are_bounded_and_closed(
        fake: FakeSlack, bot: ShipBot, caplog: pytest.LogCaptureFixture) -> None:
    """#16: idle, half-sent and slow connections cannot pile up (1,100 of them made /healthz
    time out and the log grow by a traceback per connection): a new connection past the limit
    closes the one idle longest, the limit is logged once, and silent ones are closed."""
    import socket
    import urllib.request

    from tests.rigs import LoopThread, settings_for

    adapter = slack_app.SlackAdapter(bot, settings_for(fake, bot.store.location))
    loop = LoopThread()
    serving, port = loop.call(server.serve_http(adapter, "127.0.0.1", 0, max_connections=40,
                                                idle=1.0))
    held: list[socket.socket] = []
    try:
        for n in range(120):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            if n % 2:  # half a request, never finished
                sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 99\r\n")
            held.append(sock)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            assert 200 == answer.status
        assert fake.wait_for(lambda: len(serving.guard.open) == 0, 15), "silent ones stay open"
        for sock in held[-6:]:  # the server closed them: each client reads the end
            try:
                assert b"" == sock.recv(100)
            except ConnectionResetError:
                pass
        limit_lines = [r for r in caplog.records if "connections open, the limit" in r.message]
        assert 1 == len(limit_lines)
    finally:
        for sock in held:
            sock.close()
        loop.call(serving.cleanup())
        loop.call(adapter.close())
        loop.stop()


def test_healthz_fails_once_a_background_task_has_stopped(fake: FakeSlack, bot: ShipBot) -> None:
    """#16: a dispatcher that died (e.g. SHIPBOT_DISPATCH_POLL=inf once did) must not leave
    /healthz saying 200: the orchestrator restarts the replica."""
    import urllib.error
    import urllib.request

    async def dispatcher_that_dies() -> None:
        raise RuntimeError("the dispatcher stopped")

    async def running() -> asyncio.Task[None]:
        return asyncio.create_task(asyncio.sleep(3600), name="dispatch-slack")

    with serving(fake, bot) as rig:
        assert rig.loop is not None
        url = f"http://127.0.0.1:{rig.port}/healthz"
        alive = rig.loop.call(running())
        rig.adapter.background.append(alive)
        with urllib.request.urlopen(url, timeout=5) as answer:
            assert 200 == answer.status
        async def start_dying() -> asyncio.Task[None]:
            return asyncio.create_task(dispatcher_that_dies(), name="sources")
        dying = rig.loop.call(start_dying())
        rig.adapter.background.append(dying)
        assert fake.wait_for(lambda: dying.done())
        try:
            urllib.request.urlopen(url, timeout=5)
            raise AssertionError("healthz should fail")
        except urllib.error.HTTPError as failed:
            assert 503 == failed.code
            assert "stopped: sources" == failed.read().decode()
        rig.loop.loop.call_soon_threadsafe(alive.cancel)


def test_only_commands_that_never_write_are_read_only() -> None:
    """Read-only commands may run on the loop where reads never wait (SQLite in WAL mode);
    every command that writes goes to the store pool."""
    from bot.textcommands import PARSERS, READ_ONLY, reads_only

    writes = {"vote", "subscribe", "unsubscribe", "watch", "unwatch", "decide", "undecide"}
    assert writes.isdisjoint(READ_ONLY)
    assert set(PARSERS) - READ_ONLY == writes | {"shipbot"}
    for text in ("compare claude azure", "/verdict azure", "shipbot top", "which voice api",
                 "voice api for agents", ""):
        assert reads_only(text), text
    for text in ("vote claude ship", "shipbot subscribe weekly", "/decide claude"):
        assert not reads_only(text), text


def test_a_failing_write_in_a_group_is_rolled_back_alone(store: Store) -> None:
    """Group commit: one failing write is given its error and changes nothing; the others
    commit, each caller resumes after the commit."""
    from bot.grouped import GroupWriter
    from bot.store import CardRef

    def bad() -> None:
        store.cards.remember_card(CardRef("slack", "T1", "C1", "bad", "compare", (CLAUDE,)))
        raise ValueError("this write fails after writing")

    async def main() -> list[object]:
        writer = GroupWriter(store, "test")
        return await asyncio.gather(*(
            writer.write(lambda n=n: store.cards.remember_card(
                CardRef("slack", "T1", "C1", f"{n}.1", "compare", (CLAUDE, AZURE))), "card")
            for n in range(3)), writer.write(bad, "bad"), return_exceptions=True)

    outcomes = asyncio.run(main())
    assert [None, None, None] == outcomes[:3]
    assert isinstance(outcomes[3], ValueError)
    assert all(store.cards.card_at("slack", "C1", f"{n}.1") for n in range(3))
    assert store.cards.card_at("slack", "C1", "bad") is None  # its savepoint rolled back


def test_what_slack_says_of_a_voter_is_asked_once_for_every_replica(
        fake: FakeSlack, bot: ShipBot, store: Store) -> None:
    """#19: users.info (is this voter a bot?) is asked once; the answer is in the store, so
    another replica (a fresh adapter, empty memory) does not ask again."""
    with serving(fake, bot) as first:
        first.command("/compare", "claude vs azure")
        ts = "1700000001.000100"
        first.reaction(ts, "a", user="U7")
    assert 1 == len([c for c in fake.of("users.info") if c.get("user") == "U7"])
    assert store.people.is_bot("slack", "T1", "U7") is False
    with serving(fake, bot) as second:  # another replica: its own memory, the same store
        second.reaction(ts, "b", user="U7", event_ts="1700000099.000100", event_id="EvB")
        assert {CLAUDE: (0, 0), AZURE: (1, 0)} == store.votes.community([CLAUDE, AZURE])
    assert 1 == len([c for c in fake.of("users.info") if c.get("user") == "U7"])
