"""Compare-path latency, accuracy and memory at 1k/10k/100k SYNTHETIC tools, with a naive baseline.

Run: .venv/bin/python benchmarks/bench_compare.py [--postgres] [sizes...]
(default: 1000 10000 100000; --postgres stores the catalog in PostgreSQL, SHIPBOT_BENCH_POSTGRES
else postgresql://127.0.0.1:5432/test, in a schema of its own)
Prints, per size: index build time, RSS, end-to-end compare p50/p99 (parse, split, resolve
both, load, decide, render) and top-1 accuracy on a labeled query set (200 synthetic pairs,
8 hand-written queries about the real tools, and 8 naming tools that are not in the catalog,
where the only right answer is "did you mean"), and the same for a naive baseline that scans
every name with rapidfuzz WRatio for each tool name.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rapidfuzz import fuzz, process  # noqa: E402

from bot.commands import ShipBot  # noqa: E402
from bot.models import Context  # noqa: E402
from bot.render_text import render_text  # noqa: E402
from bot.splitting import split_explicit  # noqa: E402
from bot.store import Store  # noqa: E402

CLAUDE = "claude-4-api-tool-use-streaming-prompt-caching"
AZURE = "azure-ai-foundry-real-time-voice-api-model-router"
# Hand-written queries about the real tools, with the answer a person expects.
REAL = [
    ("claude azure", [CLAUDE, AZURE]), ("Claude vs Azure", [CLAUDE, AZURE]),
    ("claude 4 api, azure ai foundry", [CLAUDE, AZURE]),
    ("claude 4 api azure ai foundry", [CLAUDE, AZURE]),
    ("anthropic microsoft", [CLAUDE, AZURE]), ("cluade azrue", [CLAUDE, AZURE]),
    ("azure foundry vs claude", [AZURE, CLAUDE]), ("CLAUDE / AZURE", [CLAUDE, AZURE]),
]
# Tools that are not in the catalog: the right answer is "did you mean", never a card.
ABSENT = ["claude desktop app vs azure", "gemini vs claude", "notion ai vs azure",
          "claude vs windsurf editor", "perplexity pro vs azure ai foundry",
          "github copilot workspace vs claude", "llama 4 vs azure", "mistral le chat vs claude"]


def rss_mb() -> float:
    """Resident memory of this process in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def typo(word: str, rng: random.Random) -> str:
    """One realistic slip: swap, drop or double a letter."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def labeled_queries(rows: list[dict], count: int = 200) -> list[tuple[str, list[str] | None]]:  # type: ignore[type-arg]
    """Pairs of synthetic tools named as people type them: exact, lower case, typos, by name."""
    rng = random.Random(11)
    out: list[tuple[str, list[str] | None]] = [*REAL, *((q, None) for q in ABSENT)]
    for n in range(count):
        a, b = rng.sample(rows, 2)
        style = n % 4
        if style == 0:
            text = f"{a['short_name']} vs {b['short_name']}"
        elif style == 1:
            text = f"{a['short_name'].lower()} {b['short_name'].lower()}"
        elif style == 2:
            wa, wb = a["short_name"].split(), b["short_name"].split()
            text = f"{typo(wa[0].lower(), rng)} {wa[1]}, {typo(wb[0].lower(), rng)} {wb[1]}"
        else:
            text = f"{a['short_name'].split()[0]} {b['short_name'].split()[0]}"
        out.append((text, [a["id"], b["id"]]))
    return out


def bench_index(bot: ShipBot,
                queries: list[tuple[str, list[str] | None]]) -> tuple[list[float], float]:
    """Latency in ms of the full compare path, and top-1 accuracy."""
    ctx = Context(platform="bench")
    times, right = [], 0
    for text, expected in queries:
        start = time.perf_counter()
        card = bot.handle("compare " + text, ctx)
        render_text(card)
        times.append((time.perf_counter() - start) * 1000)
        right += (card.tool_ids == expected) if expected else card.kind != "compare"
    return times, right / len(queries)


def bench_naive(rows: list[dict],  # type: ignore[type-arg]
                queries: list[tuple[str, list[str] | None]]) -> tuple[list[float], float]:
    """The baseline: explicit separators, else halves; each name scanned against every name."""
    names = [r["short_name"] for r in rows] + ["Claude 4 API", "Azure AI Foundry"]
    ids = [r["id"] for r in rows] + [CLAUDE, AZURE]
    times, right = [], 0
    for text, expected in queries:
        start = time.perf_counter()
        parts = split_explicit(text)
        if len(parts) < 2:
            words = text.split()
            parts = [" ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2:])]
        found = [ids[process.extractOne(p, names, scorer=fuzz.WRatio)[2]] for p in parts]
        times.append((time.perf_counter() - start) * 1000)
        right += found == expected  # never right for an absent tool: it always answers
    return times, right / len(queries)


def pct(values: list[float], q: float) -> float:
    """The q-th percentile."""
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run_one(size: int, postgres: bool) -> None:
    """Measure one size in this (fresh) process; the catalog is built by a child process first
    so that RSS shows the running bot with the tools loaded, not the generator's leftovers."""
    from bench_slack import postgres_schema

    with tempfile.TemporaryDirectory() as tmp, \
            (postgres_schema() if postgres else nullcontext(str(Path(tmp) / "bench.db"))) as db:
        subprocess.run([sys.executable, str(Path(__file__).with_name("synthetic.py")), str(size),
                        db], check=True, capture_output=True)
        bot = ShipBot(Store.open(db))
        start = time.perf_counter()
        bot.index  # noqa: B018 - build the index once, as the running bot does at start
        build = time.perf_counter() - start
        memory = rss_mb()
        rows = [dict(r) for r in bot.store.db.query(
            "SELECT id, short_name FROM tools WHERE tagline = 'synthetic' ORDER BY id")]
        queries = labeled_queries(rows)
        bench_index(bot, queries[:20])  # warm caches
        times, accuracy = bench_index(bot, queries)
        naive_q = queries if size <= 10000 else queries[:40]
        ntimes, naccuracy = bench_naive(rows, naive_q)
        print(f"{size:>7} {build:>8.2f} {memory:>7.0f} {pct(times, 50):>7.2f} "
              f"{pct(times, 99):>7.2f} {accuracy:>6.1%} | {pct(ntimes, 50):>9.1f} "
              f"{pct(ntimes, 99):>9.1f} {naccuracy:>9.1%}", flush=True)
        bot.store.close()


def main(sizes: list[int], postgres: bool) -> None:
    """Run every size in its own process and print a table."""
    print("store:", "PostgreSQL" if postgres else "SQLite")
    print(f"{'tools':>7} {'build s':>8} {'RSS MB':>7} {'p50 ms':>7} {'p99 ms':>7} {'acc':>6} | "
          f"{'naive p50':>9} {'naive p99':>9} {'naive acc':>9}", flush=True)
    for size in sizes:
        subprocess.run([sys.executable, __file__, "--one", str(size),
                        *(["--postgres"] if postgres else [])], check=True)
    print("(the naive baseline runs the first 40 queries only above 10k tools: it is that slow)")


if __name__ == "__main__":
    flag = "--postgres" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--postgres"]
    if args[:1] == ["--one"]:
        run_one(int(args[1]), flag)
    else:
        main([int(a) for a in args] or [1000, 10000, 100000], flag)
