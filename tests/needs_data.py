"""The need-search catalog and labelled queries (#21): tests/data/catalog_real.json with what
each tool is for (tests/data/needs_descriptions.tsv, our own words), and the labelled needs
(tests/data/needs_queries.tsv). Used by tests/test_needs.py and benchmarks/bench_needs.py."""

from __future__ import annotations

import json
from pathlib import Path

from bot.commands import ShipBot
from bot.models import Bundle, Context
from bot.store import Store

DATA = Path(__file__).resolve().parent / "data"


def need_bundle() -> Bundle:
    """The 101 catalog tools, each with a tagline and what it is best for."""
    raw = json.loads((DATA / "catalog_real.json").read_text(encoding="utf-8"))
    described = {}
    for line in (DATA / "needs_descriptions.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            tool_id, tagline, best_for = line.split("\t")
            described[tool_id] = (tagline, best_for)
    for tool in raw["tools"]:
        tool["tagline"], tool["best_for"] = described[tool["id"]]
    return Bundle.model_validate(raw)


def labelled(part: str | None = None) -> list[tuple[str, set[str]]]:
    """(need, right tool ids) of one part ("tune" or "holdout"), or of both."""
    rows = []
    for line in (DATA / "needs_queries.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            need, right, which = line.split("\t")
            if part is None or which == part:
                rows.append((need, set(right.split(","))))
    return rows


def need_bot(store: Store) -> ShipBot:
    """A bot over `store` with the need catalog imported."""
    store.catalog.import_bundle(need_bundle())
    return ShipBot(store)


def top3(bot: ShipBot, need: str) -> list[str]:
    """The tool ids of the first three entries the need card lists, as a person sees them."""
    card = bot.handle(f"which {need}", Context())
    return [c.tool_id for c in card.choices if c.tool_id][:3]
