"""Need queries at catalog scale (#21): p50/p99 of a whole `which ...` answer (parse, full-text
search in the database, the card) over 100,000 synthetic tools, on SQLite and PostgreSQL.

Run: .venv/bin/python benchmarks/bench_needs.py [size]        (default 100000)
PostgreSQL: SHIPBOT_BENCH_POSTGRES, else postgresql://127.0.0.1:5432/test (a schema of its own).
Target: p99 <= 20 ms on each engine.

The synthetic tools (benchmarks/synthetic.py) get a purpose of six words drawn from a
vocabulary of ~120 need words, so common words match thousands of tools, as in a real catalog.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_slack import postgres_schema  # noqa: E402
from synthetic import build_db  # noqa: E402

from bot.commands import ShipBot  # noqa: E402
from tests.needs_data import labelled  # noqa: E402

VOCABULARY = """voice speech transcription translation agents agent memory retrieval search vector
embeddings rerank code completion review refactoring terminal editor ide notebook data labeling
images video audio music streaming latency fast cheap private local self hosted open weights
enterprise compliance security observability tracing evaluation monitoring prompts routing
gateway fine-tuning training serving inference gpu batch serverless realtime chat support
customer documents pdf citations web browsing scraping spreadsheets sql database analytics
dashboards forecasting recommendations personalization email calendar scheduling meetings
summaries notes writing marketing copy seo design ui components mobile apps websites testing
qa bugs tickets devops kubernetes cloud aws azure google infrastructure costs billing
multilingual accessibility captions dubbing narration avatars games education tutoring legal
medical finance insurance hr recruiting sales crm workflows automation orchestration""".split()


def main(size: int) -> None:
    """Both engines, one row each."""
    print(f"{size} tools; whole need answers (parse, search, card)")
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", str(Path(tmp) / "needs.db"), size)
    with postgres_schema() as url:
        run("PostgreSQL", url, size)


def run(engine: str, target: str, size: int) -> None:
    """Build, index, then time 400 needs (the labelled ones and random vocabulary needs)."""
    rng = random.Random(5)
    store, rows = build_db(target, size)
    started = time.perf_counter()
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO tool_search (tool_id, category, mean, title, purpose, detail) VALUES "
            "(?, ?, ?, ?, ?, ?) ON CONFLICT (tool_id) DO NOTHING",
            ([r["id"], r["category"], sum(r["scores"]) / 4, f"{r['name']} {r['vendor']}",
              " ".join(rng.sample(VOCABULARY, 6)), ""] for r in rows))
    indexed = time.perf_counter() - started
    bot = ShipBot(store)
    needs = [need for need, _ in labelled()]
    needs += [" ".join(rng.sample(VOCABULARY, rng.choice((1, 2, 3)))) for _ in range(400)]
    for need in needs[:50]:  # warm the caches a replica would have warm
        bot.needs.need(need)
    timed = []
    for need in needs[:400]:
        start = time.perf_counter()
        card = bot.needs.need(need)
        timed.append(((time.perf_counter() - start) * 1000, need))
        assert card.kind == "need"
    times = sorted(t for t, _ in timed)
    print(f"{engine:<11} index {indexed:6.1f} s   p50 {statistics.median(times):6.2f} ms   "
          f"p99 {times[int(len(times) * 0.99) - 1]:6.2f} ms   max {times[-1]:6.2f} ms", flush=True)
    print("            slowest: " + "; ".join(f"{need!r} {t:.0f} ms"
                                              for t, need in sorted(timed)[-5:]))
    store.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
