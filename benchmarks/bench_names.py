"""Name-resolution accuracy on a realistic catalog of real AI developer products.

Run: .venv/bin/python benchmarks/bench_names.py [-v]
queries_real.tsv is the set the resolver was tuned on; queries_real_holdout.tsv was written
afterwards and is the honest figure; queries_classes.tsv holds issue #17's classes (family words,
model parts), written before the resolver was tuned for them.
The catalog (tests/data/catalog_real.json: official names, vendors, categories, no aliases, as a
publisher enters them) is imported into a fresh SQLite store beside the bundled data, and every
labeled query of each set goes through the real `compare` command. Prints the share answered
right, the confidently wrong cards (a card for the wrong tools, or a card where the only right
answer was to ask) and, with -v, every miss. A naive one-line rapidfuzz resolver is the baseline.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz import fuzz, process  # noqa: E402

from bot.commands import ShipBot  # noqa: E402
from bot.models import Bundle, Context  # noqa: E402
from bot.splitting import split_explicit  # noqa: E402
from shipbot.bootstrap import open_store  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def load_queries(path: Path = DATA / "queries_real.tsv") -> list[tuple[str, list[str] | None]]:
    """(query, expected ids) pairs; None where the right answer is to ask."""
    out: list[tuple[str, list[str] | None]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        query, label = line.split("\t")
        out.append((query, None if label == "?" else label.split(",")))
    return out


def load_bot(tmp: Path) -> ShipBot:
    """A ShipBot over a fresh store holding the bundled data (as every install has) and the
    realistic catalog."""
    store = open_store(tmp / "names.db")
    bundle = Bundle.model_validate_json((DATA / "catalog_real.json").read_text(encoding="utf-8"))
    store.catalog.import_bundle(bundle)
    return ShipBot(store)


def judge(found: list[str] | None, expected: list[str] | None) -> str:
    """`right`, `wrong` (a confident card that should not be) or `missed` (asked needlessly)."""
    if found is None:
        return "right" if expected is None else "missed"
    return "right" if found == expected else "wrong"


def run_bot(bot: ShipBot, queries: list[tuple[str, list[str] | None]]) -> list[tuple[str, str]]:
    """Each query's outcome through the real compare command, with the card's title."""
    ctx = Context(platform="bench")
    out = []
    for text, expected in queries:
        card = bot.handle("compare " + text, ctx)
        found = card.tool_ids if card.kind == "compare" else None
        out.append((judge(found, expected), f"{card.kind}: {card.title} {found or ''}"))
    return out


def run_naive(bot: ShipBot, queries: list[tuple[str, list[str] | None]]) -> list[str]:
    """The baseline: explicit separators else halves, each part the best WRatio name."""
    rows = list(bot.store.catalog.match_rows())
    names, ids = [r[1] for r in rows], [r[0] for r in rows]
    out = []
    for text, expected in queries:
        parts = split_explicit(text)
        if len(parts) < 2:
            words = text.split()
            parts = [" ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2:])]
        found = [ids[process.extractOne(p, names, scorer=fuzz.WRatio)[2]] for p in parts]
        out.append(judge(found, expected))
    return out


def main(verbose: bool) -> None:
    """Print accuracy and confidently wrong cards for each query set, shipbot and the baseline."""
    for name in ("queries_real.tsv", "queries_real_holdout.tsv", "queries_classes.tsv"):
        print(name)
        report(load_queries(DATA / name), verbose)


def report(queries: list[tuple[str, list[str] | None]], verbose: bool) -> None:
    """Print accuracy and confidently wrong cards for shipbot and the baseline on one set."""
    with tempfile.TemporaryDirectory() as tmp:
        bot = load_bot(Path(tmp))
        ours = run_bot(bot, queries)
        naive = run_naive(bot, queries)
        bot.store.close()
    for label, outcomes in (("shipbot", [o for o, _ in ours]), ("naive", naive)):
        right = outcomes.count("right")
        print(f"{label:>8}: {right}/{len(queries)} right ({right / len(queries):.1%}), "
              f"{outcomes.count('wrong')} confidently wrong, {outcomes.count('missed')} asked "
              "needlessly")
    if verbose:
        for (text, expected), (outcome, detail) in zip(queries, ours, strict=True):
            if outcome != "right":
                print(f"  {outcome:>6}  {text!r} want {expected or 'ask'}  got {detail}")


if __name__ == "__main__":
    main("-v" in sys.argv[1:])
