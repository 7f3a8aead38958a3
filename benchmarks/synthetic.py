"""A SYNTHETIC catalog generator for benchmarks: made-up tool names, never real reviews.

Names are pronounceable invented brands ("Zorvant Studio") plus product words, vendors are
invented too, so the catalog has the shape of a real one (distinctive brand words, shared
generic words) at any size. The two real seed tools are added so real queries work as well.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.models import slugify  # noqa: E402
from bot.store import Store  # noqa: E402
from shipbot.bootstrap import open_store  # noqa: E402

_ONSETS = ["b", "br", "c", "cl", "d", "dr", "f", "g", "gr", "h", "j", "k", "kr", "l", "m", "n",
           "p", "pr", "q", "r", "s", "st", "t", "tr", "v", "w", "x", "z", "zh", "sk"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y"]
_CODAS = ["", "n", "r", "x", "l", "m", "s", "nt", "rk", "th", "v"]
_PRODUCTS = ["API", "Studio", "Copilot", "Agents", "Cloud", "SDK", "Router", "Voice", "Code",
             "Search", "Vision", "Gateway", "Lab", "Assistant", "Pipelines", "Hub", "Runtime"]
CATEGORIES = ["Developer Tools", "Voice", "Agents", "Search", "Observability", "Data", "Security",
              "Design", "Productivity", "Infrastructure"]


def brand(rng: random.Random) -> str:
    """An invented, pronounceable brand word."""
    syllables = rng.choice((2, 2, 3))
    word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                   for _ in range(syllables))
    return word.capitalize()


def generate(count: int, seed: int = 7) -> list[dict]:  # type: ignore[type-arg]
    """`count` synthetic tools as plain rows (id, name, short name, vendor, category, scores)."""
    rng = random.Random(seed)
    vendors = [brand(rng) + rng.choice([" Labs", " AI", " Inc", ""]) for _ in range(max(count // 20, 5))]
    seen: set[str] = set()
    out = []
    while len(out) < count:
        short = f"{brand(rng)} {rng.choice(_PRODUCTS)}"
        name = f"{short}: {rng.choice(_PRODUCTS)} for {rng.choice(CATEGORIES).lower()}"
        tool_id = slugify(name)
        if tool_id in seen or slugify(short) in seen:
            continue
        seen.update((tool_id, slugify(short)))
        out.append({"id": tool_id, "name": name, "short_name": short, "vendor": rng.choice(vendors),
                    "category": rng.choice(CATEGORIES),
                    "scores": [rng.randint(40, 95) for _ in range(4)]})
    return out


def load(store: Store, rows: list[dict]) -> None:  # type: ignore[type-arg]
    """Bulk-insert synthetic rows (faster than the validating importer, same tables)."""
    personas = ("Builder", "Skeptic", "Futurist", "Founder")
    tool_sql = ("INSERT INTO tools (id, name, short_name, vendor, vendor_initial, category, "
                "tagline, best_for, pricing_model, pricing_text, summary, reviewed, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 'synthetic', 'synthetic', 'Paid', 'synthetic', "
                "'synthetic', '', '')")
    review_sql = ("INSERT INTO reviews (tool_id, persona, score, verdict, text, position) "
                  "VALUES (?, ?, ?, ?, '', ?)")
    with store.transaction() as db:
        db.executemany(tool_sql, ([r["id"], r["name"], r["short_name"], r["vendor"],
                                   r["short_name"][0], r["category"]] for r in rows))
        db.executemany(review_sql, ([r["id"], p, s, "ship" if s >= 60 else "skip", n]
                                    for r in rows
                                    for n, (p, s) in enumerate(zip(personas, r["scores"],
                                                                   strict=True))))
        db.execute("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) "
                   "WHERE key = 'catalog_version'")


def build_db(target: str, count: int) -> tuple[Store, list[dict]]:  # type: ignore[type-arg]
    """A database (a new file, or an empty PostgreSQL URL) with the bundled data plus `count`
    synthetic tools."""
    if "://" not in target:
        Path(target).unlink(missing_ok=True)
    store = open_store(target)
    rows = generate(count)
    load(store, rows)
    return store, rows


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    target = sys.argv[2] if len(sys.argv) > 2 else f"synthetic-{size}.db"
    build_db(target, size)
    print(f"wrote {size} synthetic tools to {target}")
