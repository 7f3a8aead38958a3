"""Signed /compare requests per second through the Slack HTTP endpoint, vs a bare bolt app.

Run: .venv/bin/python benchmarks/bench_slack.py [seconds-per-case] [process|threads] [workers]
(defaults: 5, process, 2 -- what `shipbot run` does).

Both apps are served the same way in this process (bolt on waitress, shipbot's HTTP server).
The bare app is bolt's default app whose listener only calls ack(). The Web API stand-in and
the load generator (keep-alive, one pre-signed request, `conc` requests in flight) each run in
their own process on 127.0.0.1, as Slack would; all of them share this machine's cores.

Columns: acks/s is HTTP responses per second (the issue's "requests per second through the
endpoint"); answers/s is cards posted and recorded per second, counted until the backlog has
drained, so it is the rate shipbot can sustain. CPU columns are milliseconds of CPU per request
in the serving process, the worker processes, the load generator and the stand-in.
Target: shipbot >= 0.8x the bare app's rate. The last row, for reference only, is a bare app
that acks in the request thread as shipbot does (no 10 ms wait for the ack inside bolt).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_bolt import App  # noqa: E402

from adapters.slack.app import SlackAdapter, slack_client  # noqa: E402
from adapters.slack.lanes import WorkerLanes  # noqa: E402
from adapters.slack.server import HttpServer  # noqa: E402
from shipbot.bootstrap import open_bot  # noqa: E402
from bot.config import Settings  # noqa: E402
from tests.fakes.slack import signed_headers  # noqa: E402

SECRET = "bench-secret"


def serve(app: App) -> int:
    """Serve a bolt app on the same HTTP server shipbot uses; returns the port."""
    return HttpServer(app, "127.0.0.1", 0).start().port


def _request_parts() -> tuple[str, dict[str, str]]:
    """One signed /compare request (bolt accepts a signature for five minutes)."""
    body = urlencode({"command": "/compare", "text": "claude vs azure", "user_id": "U1",
                      "team_id": "T1", "channel_id": "C1", "channel_name": "general",
                      "response_url": "http://127.0.0.1:9/none", "trigger_id": "t"})
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
    it takes little of the CPU that the app under test shares with it."""
    import asyncio
    import json

    count = 0

    class Api(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport, self.buffer = transport, b""

        def data_received(self, data: bytes) -> None:
            nonlocal count
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
                if b"auth.test" in head.split(b"\r\n", 1)[0]:
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


def fake_in_child() -> tuple[subprocess.Popen[str], str]:
    """The Web API stand-in in its own process, as the real one is not in ours."""
    child = subprocess.Popen([sys.executable, __file__, "--web-api"], stdout=subprocess.PIPE,
                             text=True)
    return child, child.stdout.readline().strip()  # type: ignore[union-attr]


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


def main(seconds: float, work: str, workers: int) -> None:
    """Measure both apps at concurrency 1 and 8 and print the ratio."""
    child, fake_url = fake_in_child()
    try:
        _measure(fake_url, child, seconds, work, workers)
    finally:
        child.kill()


def _measure(fake_url: str, child: subprocess.Popen[str], seconds: float, work: str,
             workers: int) -> None:
    settings = Settings(shipbot_db=str(Path(tempfile.mkdtemp()) / "bench.db"),
                        slack_bot_token="xoxb-bench", slack_signing_secret=SECRET,
                        slack_api_url=f"{fake_url}/api/")
    shipbot = SlackAdapter(open_bot(settings.shipbot_db), settings, work=work,  # type: ignore[arg-type]
                           workers=workers)
    lanes = shipbot.lanes
    worker_pids = lanes.wait_ready(60) if isinstance(lanes, WorkerLanes) else []
    bare = App(signing_secret=SECRET, client=slack_client(settings, "xoxb-bench"))

    @bare.command("/compare")
    def ack_only(ack) -> None:  # type: ignore[no-untyped-def]
        ack()

    # For reference, not the target: a bare app that acks in the request thread like shipbot
    # does (process_before_response), so bolt's 10 ms wait for the ack is gone from it too.
    inline = App(signing_secret=SECRET, client=slack_client(settings, "xoxb-bench"),
                 process_before_response=True)
    inline.command("/compare")(ack_only)

    ports = {"bare bolt (ack only)": serve(bare), "shipbot /compare": serve(shipbot.app),
             "bare, inline ack (ref)": serve(inline)}

    def cards() -> int:
        return int(shipbot.bot.store.db.execute("SELECT count(*) FROM card_messages")
                   .fetchone()[0])

    def drained(before: int, requests: int) -> float:
        """Wait (bounded) until every request's card is posted and recorded; returns when."""
        deadline = time.monotonic() + 60
        while cards() - before < requests and time.monotonic() < deadline:
            time.sleep(0.01)
        return time.time()

    print(f"{'app':<22} {'conc':>4} {'acks/s':>8} {'answers/s':>10} {'CPU ms/req':>11} "
          f"{'workers':>8} {'driver':>7} {'web api':>8}")
    rates: dict[tuple[str, int], float] = {}
    answer_rates: dict[int, float] = {}
    for concurrency in (1, 8):
        for name, port in ports.items():
            drive(port, 0.5, concurrency)  # warm-up
            time.sleep(1.5)  # let the warm-up's queued answers finish
            cpu, wcpu, before = time.process_time(), cpu_seconds(worker_pids), cards()
            ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            fk0 = cpu_seconds([child.pid])
            rate, started, requests = drive(port, seconds, concurrency)
            rates[name, concurrency] = rate
            answers = "-"
            if name.startswith("shipbot"):
                finished = drained(before, requests)
                answers = f"{(cards() - before) / (finished - started):.0f}"
            else:
                time.sleep(0.5)
            per = (time.process_time() - cpu) * 1000 / requests
            wper = (cpu_seconds(worker_pids) - wcpu) * 1000 / requests
            ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            drv = (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime) * 1000 / requests
            fk = (cpu_seconds([child.pid]) - fk0) * 1000 / requests
            print(f"{name:<22} {concurrency:>4} {rate:>8.0f} {answers:>10} {per:>11.2f} "
                  f"{wper:>8.2f} {drv:>7.2f} {fk:>8.2f}", flush=True)
            if name.startswith("shipbot"):
                answer_rates[concurrency] = float(answers)
        bare_rate = rates["bare bolt (ack only)", concurrency]
        print(f"{'ratio to bare':<22} {concurrency:>4} "
              f"{rates['shipbot /compare', concurrency] / bare_rate:>8.2f} "
              f"{answer_rates[concurrency] / bare_rate:>10.2f}")
    print(f"cards posted and recorded: {cards()}")
    shipbot.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--web-api"]:
        _web_api_child()
    elif sys.argv[1:2] == ["--drive"]:
        _drive_child(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
    else:
        main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0,
             sys.argv[2] if len(sys.argv) > 2 else "process",
             int(sys.argv[3]) if len(sys.argv) > 3 else 1)
