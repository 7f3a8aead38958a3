"""Discord figures: autocomplete time at 100k SYNTHETIC tools, and reaction events per second.

Run: .venv/bin/python benchmarks/bench_discord.py [tools] [reactions]
1. The autocomplete core call (what the /compare option handler runs) on partial names typed
   as people type them, p50/p99 in ms. Target p99 <= 20 ms at 100k tools.
2. Reaction events pushed by the fake gateway through the running, unmodified discord.py client
   into the store: events/s until the final counts are exact. Target >= 1,000/s.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.discord.client import ShipbotDiscord  # noqa: E402
from adapters.discord.commands import tool_choices  # noqa: E402
from adapters.settings import Settings  # noqa: E402
from bot.commands import ShipBot  # noqa: E402
from bot.store import Store  # noqa: E402
from shipbot.bootstrap import open_bot  # noqa: E402
from tests.fakes.discord import CHANNEL_ID, FakeDiscord, reaction_event  # noqa: E402

CLAUDE = "claude-4-api-tool-use-streaming-prompt-caching"
AZURE = "azure-ai-foundry-real-time-voice-api-model-router"


def autocomplete(size: int) -> None:
    """p50/p99 of the autocomplete core call over partial inputs."""
    path = Path(tempfile.mkdtemp()) / "ac.db"
    subprocess.run([sys.executable, str(Path(__file__).with_name("synthetic.py")), str(size),
                    str(path)], check=True, capture_output=True)
    core = ShipBot(Store.open(path))
    core.index  # noqa: B018 - built once at start-up
    names = [r[0] for r in core.store.db.execute(
        "SELECT short_name FROM tools ORDER BY random() LIMIT 300")]
    rng = random.Random(3)
    inputs = [""] + [n[: rng.randint(1, len(n))].lower() for n in names]
    times = []
    for text in inputs * 2:
        start = time.perf_counter()
        tool_choices(core, text)
        times.append((time.perf_counter() - start) * 1000)
    q = statistics.quantiles(times, n=100, method="inclusive")
    print(f"autocomplete at {size} tools: p50 {q[49]:.2f} ms, p99 {q[98]:.2f} ms "
          f"({len(times)} calls)", flush=True)


def reactions(count: int) -> None:
    """Events/s through the running client into the store, with exact final counts."""
    fake = FakeDiscord().start()
    settings = Settings(shipbot_db=str(Path(tempfile.mkdtemp()) / "r.db"), discord_token="t",
                        discord_api_url=fake.api_url)
    core = open_bot(settings.shipbot_db)
    client = ShipbotDiscord(core, settings, refresh_delay=1.0, guild_ready_timeout=0.1)
    thread = threading.Thread(target=lambda: asyncio.run(client.start("t")), daemon=True)
    thread.start()
    assert fake.wait_for(client.is_ready, 20)
    token = fake.interaction("compare", {"tool_a": "claude", "tool_b": "azure"})
    assert fake.wait_for(lambda: fake.original(token) is not None)
    message_id = int(fake.original(token)["id"])  # type: ignore[index]
    assert fake.wait_for(lambda: core.store.cards.card_at("discord", str(CHANNEL_ID),
                                                    str(message_id)) is not None)
    events = [reaction_event(message_id, "🅰️" if n % 3 else "🅱️", uid=10_000 + n)
              for n in range(count)]
    expected = {CLAUDE: (count - len(range(0, count, 3)), 0),
                AZURE: (len(range(0, count, 3)), 0)}
    start = time.perf_counter()
    fake.dispatch_many(events)
    exact = fake.wait_for(lambda: core.store.votes.community([CLAUDE, AZURE]) == expected, 120)
    elapsed = time.perf_counter() - start
    edits = len(fake.of("PATCH", rf"/messages/{message_id}$"))
    print(f"reactions: {count} events in {elapsed:.2f} s = {count / elapsed:.0f} events/s, "
          f"final counts exact: {exact}, card edits: {edits}", flush=True)
    asyncio.run_coroutine_threadsafe(client.close(), client.loop).result(15)
    fake.stop()


if __name__ == "__main__":
    autocomplete(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
    reactions(int(sys.argv[2]) if len(sys.argv) > 2 else 5000)
