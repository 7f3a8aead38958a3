"""Splitting free text like `claude 4 api azure ai foundry` into the tool names it holds."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from bot.matching import ACCEPT, NameIndex, Resolution, normalize

MAX_TOOLS = 4
MAX_WORDS = 12  # beyond this, trying every split point is pointless and slow
_SEPARATORS = re.compile(r"\s+(?:vs\.?|versus|or|and)\s+|\s*[,/|;]\s*|\s+v\s+", re.IGNORECASE)


def split_explicit(text: str) -> list[str]:
    """Split on the separators a person types between names: vs, versus, or, and, , / |."""
    padded = f" {text.strip()} "
    return [p.strip() for p in _SEPARATORS.split(padded) if normalize(p)]


@dataclass(frozen=True)
class ToolsResolution:
    """The names found in a query and how each resolved."""

    parts: tuple[Resolution, ...]

    @property
    def ok(self) -> bool:
        """Every name resolved confidently."""
        return all(r.ok for r in self.parts)

    @property
    def tool_ids(self) -> list[str]:
        """The resolved ids, in query order (only meaningful when ok)."""
        return [r.best.tool_id for r in self.parts if r.best]


def resolve_tools(index: NameIndex, text: str) -> ToolsResolution:
    """Split `text` into tool names and resolve each; spaces alone are tried at every split."""
    parts = split_explicit(text)
    if len(parts) >= 2:
        return ToolsResolution(tuple(index.resolve(p) for p in parts))
    words = normalize(text).split()
    if len(words) <= 1:
        return ToolsResolution(tuple(index.resolve(p) for p in parts))
    return _best_partition(index, words[:MAX_WORDS])


def _best_partition(index: NameIndex, words: list[str]) -> ToolsResolution:
    """Try every way to cut the words into 2-4 names; keep the cut whose weakest name is best."""
    resolve = lru_cache(maxsize=None)(index.resolve)
    best: tuple[tuple[float, float, int], ToolsResolution] | None = None
    for count in range(2, min(MAX_TOOLS, len(words)) + 1):
        for cuts in itertools.combinations(range(1, len(words)), count - 1):
            bounds = (0, *cuts, len(words))
            parts = tuple(resolve(" ".join(words[a:b])) for a, b in itertools.pairwise(bounds))
            rank = (_strength(parts), _mean(parts), -count)
            if best is None or rank > best[0]:
                best = (rank, ToolsResolution(parts))
        if best and best[0][0] >= 100:
            break  # every name matched exactly: more cuts cannot do better
    assert best is not None
    return best[1]


def _strength(parts: tuple[Resolution, ...]) -> float:
    """The weakest part's score, zero if two parts are the same tool or one is ambiguous."""
    ids = [p.best.tool_id if p.best else None for p in parts]
    if None in ids or len(set(ids)) < len(ids):
        return 0.0
    worst = min(p.best.score for p in parts if p.best)
    if any(p.status == "ambiguous" for p in parts):
        return min(worst, ACCEPT - 1)
    return worst


def _mean(parts: tuple[Resolution, ...]) -> float:
    return sum(p.best.score for p in parts if p.best) / len(parts)
