"""Following the verdict site: a feed of 1,000 pages on a local server, a first pass and an
unchanged second pass. Prints pages per second, requests sent, CPU and peak memory of each.

Run: .venv/bin/python benchmarks/bench_sync.py [pages]
The unchanged pass must cost under a tenth of the first (the feed answers 304).
"""

from __future__ import annotations

import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.web import PoliteFetcher  # noqa: E402
from bot.sources.sync import sync_source  # noqa: E402
from shipbot.bootstrap import open_bot  # noqa: E402
from tests.fakes.site import FakeSite  # noqa: E402
from tests.test_sources import page_html, rss  # noqa: E402


def one_pass(bot, url: str) -> tuple[float, float, int, int]:  # type: ignore[no-untyped-def]
    """(seconds, CPU seconds, requests, pages) of one pass."""
    src = bot.store.sources.by_url(url)

    async def run() -> tuple[int, int]:
        async with PoliteFetcher(per_host=10_000) as fetch:  # the local site: no pacing
            result = await sync_source(bot.cards, src, fetch, "bench")
            return fetch.requests, len(result.pages)
    started, cpu = time.perf_counter(), time.process_time()
    requests, pages = asyncio.run(run())
    return time.perf_counter() - started, time.process_time() - cpu, requests, pages


def main(count: int) -> None:
    """Serve `count` pages behind one feed; time a first and an unchanged second pass."""
    site = FakeSite()
    server = site.start()
    paths = [f"/c/{n}" for n in range(count)]
    for n, path in enumerate(paths):
        site.put(path, page_html(f"Bench {n} One", f"Bench {n} Two", (60 + n % 30, 70)))
    site.put("/feed.xml", rss(site, paths), "application/rss+xml")
    with tempfile.TemporaryDirectory() as tmp:
        bot = open_bot(str(Path(tmp) / "sync.db"))
        bot.store.sources.add(site.url("/feed.xml"), 3600)
        for label in ("first pass", "unchanged pass"):
            wall, cpu, requests, pages = one_pass(bot, site.url("/feed.xml"))
            rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{label:>15}: {wall:6.2f} s, {pages / wall:7.1f} pages/s, "
                  f"{requests:5d} requests, CPU {cpu:6.2f} s, peak RSS {rss_mb:.0f} MB")
        bot.store.close()
    server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
