"""Publishing and dispatch figures.

Run: .venv/bin/python benchmarks/bench_publish.py [subscriptions] [dispatch-count] [rate]
1. Publishing one new verdict with N (default 10,000) matching subscriptions: seconds to import
   and queue every delivery in one transaction. Target <= 1 s.
2. Dispatch throughput through the real Slack adapter against the fake Slack Web API (its own
   process), at a configured rate: posts/s achieved vs the rate set.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.settings import Settings  # noqa: E402
from adapters.slack.app import SlackAdapter  # noqa: E402
from benchmarks.bench_slack import fake_in_child  # noqa: E402
from bot.dispatch import Dispatcher  # noqa: E402
from bot.publishing import publish_files  # noqa: E402
from bot.store import utcnow  # noqa: E402
from shipbot.bootstrap import open_bot  # noqa: E402


def new_verdict(directory: Path, tool_id: str) -> Path:
    """A JSON file with one new tool and its four reviews."""
    path = directory / f"{tool_id}.json"
    reviews = [{"persona": p, "score": 80, "verdict": "ship"}
               for p in ("Builder", "Skeptic", "Futurist", "Founder")]
    path.write_text(json.dumps({"tools": [{"id": tool_id, "name": tool_id.title(),
                                           "short_name": tool_id.title(), "vendor": "Bench",
                                           "category": "Developer Tools", "reviews": reviews}]}))
    return path


def main(subscriptions: int, dispatch_count: int, rate: float) -> None:
    """Print both figures."""
    child, fake_url = fake_in_child()
    tmp = Path(tempfile.mkdtemp())
    settings = Settings(shipbot_db=str(tmp / "pub.db"), slack_bot_token="xoxb-bench",
                        slack_signing_secret="s", slack_api_url=f"{fake_url}/api/")
    bot = open_bot(settings.shipbot_db)
    with bot.store.transaction() as db:
        db.executemany(
            "INSERT INTO subscriptions (platform, workspace, channel, filter_json, filter_text, "
            "created_by, created_at, active, disabled_reason, failures) VALUES ('slack', 'T1', "
            "?, '{}', 'everything', 'bench', ?, 1, '', 0)",
            ([f"C{n:06d}", utcnow()] for n in range(subscriptions)))
    start = time.perf_counter()
    result = publish_files(bot.cards, [new_verdict(tmp, "bench-one")])
    elapsed = time.perf_counter() - start
    print(f"publish: 1 verdict -> {result.queued} deliveries queued in {elapsed:.3f} s", flush=True)

    async def dispatch() -> tuple[int, float]:
        """The dispatcher on this loop, as in a replica, until `dispatch_count` are sent."""
        adapter = SlackAdapter(bot, settings)
        await adapter.start()
        dispatcher = Dispatcher(bot.store, adapter.cards, rate=rate)
        sent_before = _sent(bot)
        start = time.perf_counter()
        while _sent(bot) - sent_before < dispatch_count and time.perf_counter() - start < 300:
            await dispatcher.run_once()
        await dispatcher.idle()
        elapsed = time.perf_counter() - start
        await adapter.close()
        return _sent(bot) - sent_before, elapsed

    done, elapsed = asyncio.run(dispatch())
    print(f"dispatch: {done} posts in {elapsed:.2f} s = {done / elapsed:.1f} posts/s "
          f"(configured rate {rate:g}/s)")
    child.kill()


def _sent(bot) -> int:  # type: ignore[no-untyped-def]
    return bot.store.db.execute("SELECT count(*) FROM deliveries WHERE status='sent'").fetchone()[0]


if __name__ == "__main__":
    args = [float(a) for a in sys.argv[1:]]
    main(int(args[0]) if args else 10_000, int(args[1]) if len(args) > 1 else 500,
         args[2] if len(args) > 2 else 50.0)
