"""Signed /compare requests per second through the Slack HTTP endpoint, vs a bare bolt app.

Run: .venv/bin/python benchmarks/bench_slack.py [seconds-per-case]
Both apps run the same way in this process (bolt on the threaded WSGI server); the fake Slack
Web API and the load generator each run in their own process on 127.0.0.1, as Slack would.
shipbot answers each /compare with a posted card; the bare app only acks. Concurrency 1 and 8.
Target: shipbot >= 0.8x the bare app's rate.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_bolt import App  # noqa: E402

from adapters.slack.app import SlackAdapter, slack_client  # noqa: E402
from adapters.slack.server import _QuietHandler, _ThreadingWSGIServer  # noqa: E402
from bot.bootstrap import open_bot  # noqa: E402
from bot.config import Settings  # noqa: E402
from tests.fakes.slack import signed_headers  # noqa: E402

SECRET = "bench-secret"


def serve(app: App) -> int:
    """Serve a bolt app on the same threaded WSGI server shipbot uses; returns the port."""
    from wsgiref.simple_server import make_server

    from slack_bolt.adapter.wsgi import SlackRequestHandler

    server = make_server("127.0.0.1", 0, SlackRequestHandler(app),
                         server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_port


def drive(port: int, seconds: float, concurrency: int) -> float:
    """Send signed /compare requests for `seconds` from a separate process (aiohttp, keep-alive,
    `concurrency` requests in flight); returns requests per second."""
    done = subprocess.run([sys.executable, __file__, "--drive", str(port), str(seconds),
                           str(concurrency)], capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def _drive_child(port: int, seconds: float, concurrency: int) -> None:
    """The load generator (child process): prints the rate it achieved."""
    import asyncio

    import aiohttp

    url = f"http://127.0.0.1:{port}/slack/events"
    body = urlencode({"command": "/compare", "text": "claude vs azure", "user_id": "U1",
                      "team_id": "T1", "channel_id": "C1", "channel_name": "general",
                      "response_url": "http://127.0.0.1:9/none", "trigger_id": "t"})

    async def run() -> float:
        count = 0
        deadline = time.monotonic() + seconds
        async with aiohttp.ClientSession() as session:
            async def worker() -> None:
                nonlocal count
                while time.monotonic() < deadline:
                    headers = signed_headers(SECRET, body, "application/x-www-form-urlencoded")
                    async with session.post(url, data=body, headers=headers) as response:
                        assert response.status == 200, response.status
                        await response.read()
                    count += 1
            started = time.monotonic()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return count / (time.monotonic() - started)

    print(asyncio.run(run()))


def fake_in_child() -> tuple[subprocess.Popen[str], str]:
    """The fake Slack Web API in its own process, as the real one is not in ours."""
    code = ("import sys, time; sys.path.insert(0, %r)\n"
            "from tests.fakes.slack import FakeSlack\n"
            "f = FakeSlack().start(); print(f.url, flush=True)\n"
            "while True: time.sleep(60)\n") % str(Path(__file__).resolve().parents[1])
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    return child, child.stdout.readline().strip()  # type: ignore[union-attr]


def main(seconds: float) -> None:
    """Measure both apps at concurrency 1 and 8 and print the ratio."""
    child, fake_url = fake_in_child()
    settings = Settings(shipbot_db=Path(tempfile.mkdtemp()) / "bench.db",
                        slack_bot_token="xoxb-bench", slack_signing_secret=SECRET,
                        slack_api_url=f"{fake_url}/api/")
    shipbot = SlackAdapter(open_bot(settings.shipbot_db), settings)
    bare = App(signing_secret=SECRET, client=slack_client(settings, "xoxb-bench"))

    @bare.command("/compare")
    def ack_only(ack) -> None:  # type: ignore[no-untyped-def]
        ack()

    ports = {"bare bolt (ack only)": serve(bare), "shipbot /compare": serve(shipbot.app)}
    print(f"{'app':<22} {'conc':>4} {'req/s':>8} {'CPU ms/req':>11}")
    rates: dict[tuple[str, int], float] = {}
    for concurrency in (1, 8):
        for name, port in ports.items():
            drive(port, 0.5, concurrency)  # warm-up
            time.sleep(1.0)  # let the warm-up's queued answers finish
            cpu = time.process_time()
            rates[name, concurrency] = drive(port, seconds, concurrency)
            time.sleep(1.0)  # count the CPU of answers still queued when the load stopped
            per = (time.process_time() - cpu) * 1000 / (rates[name, concurrency] * seconds)
            print(f"{name:<22} {concurrency:>4} {rates[name, concurrency]:>8.0f} {per:>11.2f}",
                  flush=True)
        ratio = rates["shipbot /compare", concurrency] / rates["bare bolt (ack only)", concurrency]
        print(f"{'ratio':<22} {concurrency:>4} {ratio:>8.2f}")
    time.sleep(2)  # let queued listeners finish posting
    cards = shipbot.bot.store.db.execute("SELECT count(*) FROM card_messages").fetchone()[0]
    print(f"cards posted and recorded: {cards}")
    child.kill()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--drive"]:
        _drive_child(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
    else:
        main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
