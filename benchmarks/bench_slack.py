"""Slack answers per second for shipbot replicas, against a bare bolt app on the same stack;
and reaction votes per second through two replicas into PostgreSQL.

Run: .venv/bin/python benchmarks/bench_slack.py [seconds-per-case]      (answers, default 5 s)
     .venv/bin/python benchmarks/bench_slack.py --votes [events]        (votes, default 20000)
     .venv/bin/python benchmarks/bench_slack.py --profile [seconds]     (py-spy on 1 replica)
     .venv/bin/python benchmarks/bench_slack.py --profile-votes [events] (the same, votes, PG)
PostgreSQL cases use SHIPBOT_BENCH_POSTGRES, else postgresql://127.0.0.1:5432/test (each run
in a schema of its own, dropped after).

Every app runs in its own process as in production: the bare app is bolt's AsyncApp on aiohttp
that acks /compare and posts one fixed, pre-built card (a lazy listener); shipbot is `shipbot
run` (aiohttp, bolt AsyncApp, the store on a thread pool). The Web API stand-in and the load
generator (wrk when installed, else a lean asyncio generator; one pre-signed request, 8 in
flight) are processes of their own on 127.0.0.1. All share this machine's cores.

answers/s is cards posted (and, for shipbot, recorded) per second from the start of the load
until the backlog has drained. CPU is milliseconds per answer in the app's processes; RSS is
each replica's resident memory at the end. Targets (#19): one replica >= 0.8x the bare app on
SQLite, >= 0.7x on PostgreSQL; reaction votes of one replica into PostgreSQL >= 0.7x a bare
bolt app that only acks them, with exact final counts.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.slack import signed_headers  # noqa: E402

SECRET = "bench-secret"
POSTGRES = os.environ.get("SHIPBOT_BENCH_POSTGRES", "postgresql://127.0.0.1:5432/test")


def _request_parts() -> tuple[str, dict[str, str]]:
    """One signed /compare request (bolt accepts a signature for five minutes)."""
    body = urlencode({"command": "/compare", "text": "claude vs azure", "user_id": "U1",
                      "team_id": "T1", "channel_id": "C1", "channel_name": "general",
                      "response_url": os.environ.get("BENCH_RESPONSE_URL",
                                                     "http://127.0.0.1:9/none"),
                      "trigger_id": "t"})
    return body, signed_headers(SECRET, body, "application/x-www-form-urlencoded")


def drive(port: int, seconds: float, concurrency: int) -> tuple[float, float, int]:
    """Send signed /compare requests for `seconds` from a separate process (`concurrency`
    requests in flight, keep-alive); returns requests per second, when the load started
    (epoch) and how many requests were answered 200. Uses wrk when it is installed (it takes
    far less CPU from the machine the apps share), else a lean asyncio generator."""
    if shutil.which("wrk"):
        return _drive_wrk(port, seconds, concurrency)
    done = subprocess.run([sys.executable, __file__, "--drive", str(port), str(seconds),
                           str(concurrency)], capture_output=True, text=True, check=True)
    rate, started, count = done.stdout.split()
    return float(rate), float(started), int(count)


def _drive_wrk(port: int, seconds: float, concurrency: int) -> tuple[float, float, int]:
    body, headers = _request_parts()
    script = Path(tempfile.mkdtemp()) / "compare.lua"
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body)}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    lines += ["done = function(summary, latency, requests)",
              '  io.write(string.format("RESULT %d %d %d\\n", summary.requests,',
              "    summary.errors.status + summary.errors.connect + summary.errors.read"
              " + summary.errors.write + summary.errors.timeout, summary.duration))",
              "end"]
    script.write_text("\n".join(lines) + "\n")
    started = time.time()
    done = subprocess.run(["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "-s", str(script),
                           f"http://127.0.0.1:{port}/slack/events"],
                          capture_output=True, text=True, check=True)
    result = next(line for line in done.stdout.splitlines() if line.startswith("RESULT"))
    count, errors, micros = (int(x) for x in result.split()[1:])
    assert errors == 0, done.stdout
    return count / (micros / 1e6), started, count


def _drive_child(port: int, seconds: float, concurrency: int) -> None:
    """The load generator (child process): prints the rate it achieved.

    Kept lean (one pre-signed request, a bare asyncio protocol) so the generator's own CPU
    takes little from the machine the apps share: bolt accepts a signature for five minutes.
    """
    import asyncio

    body, headers = _request_parts()
    request = ("POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Content-Length: {len(body)}\r\n"
               + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
               + "\r\n" + body).encode()


    async def run() -> tuple[float, float, int]:
        count = 0
        deadline = time.monotonic() + seconds

        async def worker() -> None:
            nonlocal count
            reader = writer = None
            while time.monotonic() < deadline:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                assert head.startswith((b"HTTP/1.0 200", b"HTTP/1.1 200")), head[:80]
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if length:
                    await reader.readexactly(length)
                count += 1
        started, wall = time.monotonic(), time.time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return count / (time.monotonic() - started), wall, count

    print(*asyncio.run(run()))


def _web_api_child() -> None:
    """A minimal Slack Web API stand-in (child process): answers auth.test and gives every
    chat.postMessage a new ts. Leaner than tests/fakes/slack.py (no recording, no aiohttp), so
    it takes little of the CPU that the app under test shares with it. GET /count says how many
    messages were posted."""
    import asyncio
    import json

    count = responses = 0

    class Api(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport, self.buffer = transport, b""

        def data_received(self, data: bytes) -> None:
            nonlocal count, responses
            self.buffer += data
            while b"\r\n\r\n" in self.buffer:
                head, rest = self.buffer.split(b"\r\n\r\n", 1)
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if len(rest) < length:
                    return
                self.buffer = rest[length:]
                first = head.split(b"\r\n", 1)[0]
                if first.startswith(b"GET /count"):
                    answer = {"posts": count, "responses": responses}
                elif first.startswith(b"POST /response"):  # a reply to the person alone
                    responses += 1
                    answer = {"ok": True}
                elif b"auth.test" in first:
                    answer = {"ok": True, "team_id": "T1", "user_id": "UBOT", "bot_id": "BBOT"}
                else:
                    count += 1
                    answer = {"ok": True, "channel": "C1", "ts": f"{1700000000 + count}.000100"}
                body = json.dumps(answer).encode()
                self.transport.write(  # type: ignore[attr-defined]
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Api, "127.0.0.1", 0)
        print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
        await server.serve_forever()

    asyncio.run(main())


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of other processes (Linux /proc), for the workers' share."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def fake_in_child() -> tuple[subprocess.Popen[str], str]:
    """The Web API stand-in in its own process, as the real one is not in ours."""
    child = subprocess.Popen([sys.executable, __file__, "--web-api"], stdout=subprocess.PIPE,
                             text=True)
    return child, child.stdout.readline().strip()  # type: ignore[union-attr]


def posts(api: str) -> int:
    """How many messages the stand-in has seen posted."""
    return counts(api)["posts"]


def counts(api: str) -> dict[str, int]:
    """Messages posted, and replies sent to response URLs (past the in-flight bound, "ask
    again in a minute")."""
    with urllib.request.urlopen(f"{api}/count", timeout=10) as answer:
        return {k: int(v) for k, v in json.loads(answer.read()).items()}


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _bare_child(api: str) -> None:
    """The reference (child process): bolt's AsyncApp served by aiohttp; /compare acks, then
    a lazy listener posts one fixed card, built once at start-up. Prints its port."""
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack.blocks import render
    from shipbot.bootstrap import open_bot

    blocks, text = render(open_bot(Path(tempfile.mkdtemp()) / "card.db").handle(
        "compare claude azure", __import__("bot.models").models.Context()))
    app = AsyncApp(signing_secret=SECRET, process_before_response=True,
                   client=AsyncWebClient(token="xoxb-bench", base_url=f"{api}/api/"))

    async def ack(ack):  # type: ignore[no-untyped-def]
        await ack()

    async def post(body, client):  # type: ignore[no-untyped-def]
        await client.chat_postMessage(channel=body["channel_id"], blocks=blocks, text=text)

    app.command("/compare")(ack=ack, lazy=[post])
    app.event("reaction_added")(ack)  # the votes case: acked, nothing stored

    async def events(request: web.Request) -> web.StreamResponse:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    async def main() -> None:
        web_app = web.Application()
        web_app.router.add_post("/slack/events", events)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


def start_bare(api: str) -> tuple[subprocess.Popen[str], int]:
    """The bare app in its own process, and its port."""
    child = subprocess.Popen([sys.executable, __file__, "--bare", api], stdout=subprocess.PIPE,
                             text=True)
    return child, int(child.stdout.readline())  # type: ignore[union-attr]


def start_replica(db: str, api: str) -> tuple[subprocess.Popen[str], int]:
    """`shipbot run` on `db` in its own process, and the port it listens on."""
    env = {**os.environ, "SHIPBOT_DB": db, "SLACK_BOT_TOKEN": "xoxb-bench",
           "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": f"{api}/api/",
           "SHIPBOT_HEAL_DAYS": "0"}
    for key in ("SLACK_APP_TOKEN", "DISCORD_TOKEN", "SLACK_CLIENT_ID"):
        env.pop(key, None)
    child = subprocess.Popen([sys.executable, "-m", "shipbot", "run", "--port", "0"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in iter(child.stderr.readline, ""):  # type: ignore[union-attr]
        if found := re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line):
            threading_drain(child)
            return child, int(found.group(1))
    raise RuntimeError("shipbot run did not start")


def threading_drain(child: subprocess.Popen[str]) -> None:
    """Keep reading a child's stderr so it never blocks on a full pipe."""
    import threading

    threading.Thread(target=lambda: list(iter(child.stderr.readline, "")),  # type: ignore[union-attr]
                     daemon=True).start()


def drain(api: str, before: int, started: float) -> tuple[int, float]:
    """Wait until posting stops (a second with none); returns posts and when the last came."""
    last, when = posts(api), time.time()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = posts(api)
        if now != last:
            last, when = now, time.time()
        elif time.time() - when > 1.0:
            break
    return last - before, max(when - started, 1e-3)


def answers_case(name: str, api: str, ports: list[int], pids: list[int], seconds: float,
                 rates: dict[str, float], concurrency: int = 8) -> None:
    """Load the apps (split evenly over `ports`), drain, print one row."""
    from concurrent.futures import ThreadPoolExecutor

    for port in ports:
        drive(port, 0.5, 8 // len(ports))  # warm-up
    time.sleep(1.5)
    before, cpu = posts(api), cpu_seconds(pids)
    replied = counts(api)["responses"]
    started = time.time()
    with ThreadPoolExecutor(len(ports)) as pool:
        acked = sum(r[2] for r in pool.map(
            lambda p: drive(p, seconds, concurrency // len(ports)), ports))
    answered, elapsed = drain(api, before, started)
    rate = answered / elapsed
    rates[name] = rate
    per = (cpu_seconds(pids) - cpu) * 1000 / max(answered, 1)
    memory = " ".join(f"{rss_mb(p):.0f}" for p in pids)
    shed = counts(api)["responses"] - replied
    print(f"{name:<34} {acked:>7} {answered:>8} {rate:>9.0f} {per:>8.2f}  {memory}"
          + (f"  ({shed} past the in-flight bound: told to ask again)" if shed else ""),
          flush=True)


def main(seconds: float) -> None:
    """Every answers case, then the ratios."""
    child, api = fake_in_child()
    os.environ["BENCH_RESPONSE_URL"] = f"{api}/response"  # the load generator's requests
    stop: list[subprocess.Popen[str]] = [child]
    rates: dict[str, float] = {}
    print(f"{'app':<34} {'acked':>7} {'answered':>8} {'answers/s':>9} {'CPU ms':>8}  RSS MB")
    try:
        bare, port = start_bare(api)
        stop.append(bare)
        answers_case("bare AsyncApp, fixed card", api, [port], [bare.pid], seconds, rates)
        replica, port = start_replica(str(Path(tempfile.mkdtemp()) / "bench.db"), api)
        stop.append(replica)
        answers_case("shipbot, 1 replica, SQLite", api, [port], [replica.pid], seconds, rates)
        # a 10x backlog: ten times the requests in flight, for CPU and memory under it
        answers_case("shipbot, SQLite, 10x in flight", api, [port], [replica.pid], seconds,
                     rates, concurrency=80)
        if os.environ.get("BENCH_SQLITE_ONLY"):
            return
        with postgres_schema() as url:
            one, port_one = start_replica(url, api)
            stop.append(one)
            answers_case("shipbot, 1 replica, PostgreSQL", api, [port_one], [one.pid], seconds,
                         rates)
            two, port_two = start_replica(url, api)
            stop.append(two)
            answers_case("shipbot, 2 replicas, PostgreSQL", api, [port_one, port_two],
                         [one.pid, two.pid], seconds, rates)
            for process in (one, two):
                process.terminate()
                process.wait(30)
    finally:
        for process in stop:
            process.terminate()
    bare_rate = rates["bare AsyncApp, fixed card"]
    if "shipbot, 1 replica, PostgreSQL" not in rates:
        print(f"SQLite: {rates['shipbot, 1 replica, SQLite'] / bare_rate:.2f}x the bare app")
        return
    for name in ("shipbot, 1 replica, SQLite", "shipbot, 1 replica, PostgreSQL"):
        print(f"{name}: {rates[name] / bare_rate:.2f}x the bare app")
    print(f"2 replicas / 1 replica on PostgreSQL: "
          f"{rates['shipbot, 2 replicas, PostgreSQL'] / rates['shipbot, 1 replica, PostgreSQL']:.2f}x")


def _reaction_bodies(events: int, ts: str = "1.000100") -> list[str]:
    """Signed-ready reaction_added events by `events` different people: a on 2 of 3, b on 1."""
    return [json.dumps({
        "type": "event_callback", "team_id": "T1", "api_app_id": "A1", "token": "x",
        "event_id": f"Ev{n}", "event_time": 1,
        "event": {"type": "reaction_added", "user": f"U{n}", "reaction": "ab"[n % 3 == 0],
                  "item_user": "UBOT", "event_ts": f"{1_700_000_000 + n}.000100",
                  "item": {"type": "message", "channel": "C1", "ts": ts}}})
        for n in range(events)]


def votes(events: int) -> None:
    """Reaction events into PostgreSQL: a bare bolt app that only acks them, then one replica
    and two replicas of shipbot (stored before the ack, final counts checked); the ratios."""
    from bot.store import CardRef
    from shipbot.bootstrap import open_store

    child, api = fake_in_child()
    claude, azure = "claude-4-api-tool-use-streaming-prompt-caching", \
        "azure-ai-foundry-real-time-voice-api-model-router"
    bodies = _reaction_bodies(events)
    rates: dict[int, float] = {}
    try:
        bare, port = start_bare(api)
        try:
            cpu = cpu_seconds([bare.pid])
            elapsed = asyncio.run(_send_all(bodies, [port], 32))
            rates[0] = events / elapsed
            print(f"bare AsyncApp (acks only): {rates[0]:.0f} events/s; CPU "
                  f"{(cpu_seconds([bare.pid]) - cpu) * 1000 / events:.2f} ms/event; RSS "
                  f"{rss_mb(bare.pid):.0f} MB", flush=True)
        finally:
            bare.terminate()
        for count in (1, 2):
            with postgres_schema() as url:
                store = open_store(url)
                store.cards.remember_card(CardRef("slack", "T1", "C1", "1.000100", "compare",
                                                  (claude, azure)))
                replicas = [start_replica(url, api) for _ in range(count)]
                try:
                    pids = [p.pid for p, _ in replicas]
                    cpu = cpu_seconds(pids)
                    elapsed = asyncio.run(_send_all(bodies, [p for _, p in replicas], 32))
                    rates[count] = events / elapsed
                    found = store.votes.community([claude, azure])
                    want = {claude: (sum(1 for n in range(events) if n % 3), 0),
                            azure: (sum(1 for n in range(events) if n % 3 == 0), 0)}
                    print(f"shipbot, {count} replica(s), PostgreSQL: {rates[count]:.0f} events/s;"
                          f" final counts {'exact' if found == want else f'WRONG {found}'}; CPU "
                          f"{(cpu_seconds(pids) - cpu) * 1000 / events:.2f} ms/event; RSS "
                          + " ".join(f"{rss_mb(p):.0f}" for p in pids) + " MB", flush=True)
                finally:
                    for process, _ in replicas:
                        process.terminate()
                        process.wait(30)
                    store.close()
    finally:
        child.terminate()
    print(f"1 replica / bare app: {rates[1] / rates[0]:.2f}x; "
          f"2 replicas / 1 replica: {rates[2] / rates[1]:.2f}x")


def profile(seconds: float, votes: int = 0) -> None:
    """One replica run under py-spy while answers (on SQLite) or `votes` reaction events (on
    PostgreSQL) load it: where its time goes. Prints the functions holding the most samples,
    by self time and including callees."""
    if votes:
        with postgres_schema() as url:
            _profile(seconds, votes, url)
    else:
        _profile(seconds, 0, str(Path(tempfile.mkdtemp()) / "bench.db"))


def _profile(seconds: float, votes: int, db: str) -> None:
    from collections import Counter

    child, api = fake_in_child()
    out = Path(tempfile.mkdtemp()) / "profile.txt"
    if votes:
        from bot.store import CardRef
        from shipbot.bootstrap import open_store

        store = open_store(db)
        store.cards.remember_card(CardRef("slack", "T1", "C1", "1.000100", "compare", (
            "claude-4-api-tool-use-streaming-prompt-caching",
            "azure-ai-foundry-real-time-voice-api-model-router")))
        store.close()
    env = {**os.environ, "SHIPBOT_DB": db,
           "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": f"{api}/api/", "SHIPBOT_HEAL_DAYS": "0"}
    for key in ("SLACK_APP_TOKEN", "DISCORD_TOKEN", "SLACK_CLIENT_ID"):
        env.pop(key, None)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    replica = subprocess.Popen([spy, "record", "--gil", "-f", "raw", "-o", str(out), "-r", "200",
                                "--",
                                sys.executable, "-m", "shipbot", "run", "--port", "0"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    port = 0
    for line in iter(replica.stderr.readline, ""):  # type: ignore[union-attr]
        if found := re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line):
            port = int(found.group(1))
            break
    threading_drain(replica)
    if votes:
        elapsed = asyncio.run(_send_all(_reaction_bodies(votes), [port], 32))
        print(f"{votes} reaction events in {elapsed:.1f} s (under py-spy)")
    else:
        drive(port, seconds, 8)
    time.sleep(2)
    for proc in psutil_children(replica.pid):
        os.kill(proc, 15)
    replica.wait(60)
    child.terminate()
    own, ours, total = Counter[str](), Counter[str](), 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [_frame(f) for f in stack.split(";") if " (" in f]
        if not frames:
            continue
        n = int(count)
        total += n
        own[f"{frames[-1][0]} ({frames[-1][1]})"] += n
        for name, where in set(frames):
            if where.split("/")[0] in ("bot", "adapters"):
                ours[f"{name} ({where})"] += n
    print(f"{total} samples at 200/s over {seconds:.0f} s of load (the thread holding the GIL)")
    print("self time:")
    for name, n in own.most_common(12):
        print(f"  {n * 100 / total:5.1f}%  {name}")
    print("shipbot's own functions, including callees:")
    for name, n in ours.most_common(12):
        print(f"  {n * 100 / total:5.1f}%  {name}")


def _frame(raw: str) -> tuple[str, str]:
    """A py-spy raw frame `func (path:line)` as (func, path from its package on)."""
    name, _, rest = raw.partition(" (")
    path = rest.rsplit(":", 1)[0]
    parts = path.split("/")
    for anchor in ("site-packages", "python3.11"):
        if anchor in parts:
            return name, "/".join(parts[parts.index(anchor) + 1:])
    for top in ("bot", "adapters", "shipbot"):
        if top in parts:
            return name, "/".join(parts[len(parts) - 1 - parts[::-1].index(top):])
    return name, parts[-1]


def psutil_children(pid: int) -> list[int]:
    """The child processes of `pid` (Linux /proc): the replica py-spy started."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


async def _send_all(bodies: list[str], ports: list[int], concurrency: int) -> float:
    """POST every signed body, round robin over the ports; seconds until all were answered 200."""
    import aiohttp

    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for n, body in enumerate(bodies):
        queue.put_nowait((ports[n % len(ports)], body))
    async with aiohttp.ClientSession() as session:
        async def worker() -> None:
            while not queue.empty():
                port, body = queue.get_nowait()
                headers = signed_headers(SECRET, body, "application/json")
                async with session.post(f"http://127.0.0.1:{port}/slack/events", data=body,
                                        headers=headers) as response:
                    assert response.status == 200, response.status
        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.monotonic() - started


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A schema of its own on the benchmark server, dropped afterwards."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--web-api"]:
        _web_api_child()
    elif sys.argv[1:2] == ["--drive"]:
        _drive_child(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1:2] == ["--bare"]:
        _bare_child(sys.argv[2])
    elif sys.argv[1:2] == ["--profile"]:
        profile(float(sys.argv[2]) if len(sys.argv) > 2 else 10.0)
    elif sys.argv[1:2] == ["--profile-votes"]:
        profile(0, int(sys.argv[2]) if len(sys.argv) > 2 else 5000)
    elif sys.argv[1:2] == ["--votes"]:
        votes(int(sys.argv[2]) if len(sys.argv) > 2 else 20000)
    else:
        main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
