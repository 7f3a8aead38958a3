"""Splitting free text like `claude 4 api azure ai foundry` into the tool names it holds."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from bot.matching import ACCEPT, NameIndex, Resolution, normalize

MAX_TOOLS = 4
MAX_WORDS = 12  # beyond this, trying every split point is pointless and slow
_MAX_OPTIONAL = 4  # separators that may be part of a name: beyond this many, all of them split
# `vs`, commas and bars always separate names; `or`, `and`, `&`, `v` and `/` may be inside one
# (`Weights & Biases`, `AI/ML API`), so a split there is one reading among others.
_SEPARATOR = re.compile(
    r"(?P<always>\s+(?:vs\.?|versus)\s+|\s*[,|;]\s*)|(?P<maybe>\s+(?:or|and|v|&)\s+|\s*/\s*)",
    re.IGNORECASE)


def _pieces(text: str) -> tuple[list[str], list[tuple[bool, str]]]:
    """The text between separators, and each separator with whether it always splits."""
    padded = f" {text.strip()} "
    pieces, seps, last = [], [], 0
    for match in _SEPARATOR.finditer(padded):
        pieces.append(padded[last:match.start()])
        seps.append((match.group("always") is not None, match.group()))
        last = match.end()
    pieces.append(padded[last:])
    return pieces, seps


def split_explicit(text: str) -> list[str]:
    """Split on every separator a person types between names: vs, versus, or, and, , / |."""
    pieces, _ = _pieces(text)
    return [p.strip() for p in pieces if normalize(p)]


def readings(text: str) -> list[list[str]]:
    """Every way to read the separators: each optional one splits or stays inside a name."""
    pieces, seps = _pieces(text)
    # An optional separator with nothing on one side (`v llm`) is part of a name, not a split.
    inside = {n for n, (always, _) in enumerate(seps)
              if not always and not (normalize(pieces[n]) and normalize(pieces[n + 1]))}
    optional = [n for n, (always, _) in enumerate(seps) if not always and n not in inside]
    if len(optional) > _MAX_OPTIONAL:
        optional = []
    out = []
    for kept in itertools.product((False, True), repeat=len(optional)):
        joined = inside | {n for n, keep in zip(optional, kept, strict=True) if keep}
        parts, current = [], pieces[0]
        for n, (_, sep) in enumerate(seps):
            if n in joined:
                current += sep + pieces[n + 1]
            else:
                parts.append(current)
                current = pieces[n + 1]
        parts.append(current)
        out.append([p.strip() for p in parts if normalize(p)])
    return out


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


def resolve_tools(index: NameIndex, text: str,
                  learned: Mapping[str, str] | None = None) -> ToolsResolution:
    """Split `text` into tool names and resolve each: typed separators first (the reading whose
    weakest name is best), else every split of the words at spaces."""
    resolve: Callable[[str], Resolution] = lru_cache(maxsize=None)(
        lambda part: index.resolve(part, learned))
    options = [ToolsResolution(tuple(resolve(p) for p in parts)) for parts in readings(text)]
    several = [o for o in options if len(o.parts) >= 2]
    if several:
        return max(several, key=lambda o: (_strength(o.parts), _distinct(o.parts),
                                           _mean(o.parts), len(o.parts)))
    # Cut only where the person typed a space: `4o-mini` normalizes to `4 o mini`, and a cut
    # inside it would read one model as two names.
    units = [u for u in (normalize(t) for t in text.split(None, MAX_WORDS * 2)[:MAX_WORDS * 2])
             if u]
    if len(units) <= 1:
        return options[0]
    return _best_partition(resolve, units[:MAX_WORDS])


def _best_partition(resolve: Callable[[str], Resolution], words: list[str]) -> ToolsResolution:
    """Try every way to cut the words into 2-4 names; keep the cut whose weakest name is best."""
    best: tuple[tuple[float, bool, float, int], ToolsResolution] | None = None
    # Up to two names past the limit, so that a fifth name is found and reported as left out
    # rather than glued to a neighbour.
    for count in range(2, min(MAX_TOOLS + 2, len(words)) + 1):
        for cuts in itertools.combinations(range(1, len(words)), count - 1):
            bounds = (0, *cuts, len(words))
            parts = tuple(resolve(" ".join(words[a:b])) for a, b in itertools.pairwise(bounds))
            rank = (_strength(parts), _distinct(parts), _mean(parts), -count)
            if best is None or rank > best[0]:
                best = (rank, ToolsResolution(parts))
        if best and best[0][0] >= 100:
            break  # every name matched exactly: more cuts cannot do better
    assert best is not None
    return best[1]


def _strength(parts: tuple[Resolution, ...]) -> float:
    """The weakest part's score (zero if a part found nothing; below ACCEPT if one is
    ambiguous). A tool named twice is not a weakness: the compare collapses it."""
    ids = [p.best.tool_id if p.best else None for p in parts]
    if None in ids:
        return 0.0
    worst = min(p.best.score for p in parts if p.best)
    if any(p.status == "ambiguous" for p in parts):
        return min(worst, ACCEPT - 1)
    return worst


def _distinct(parts: tuple[Resolution, ...]) -> bool:
    """No tool is named twice (preferred when two readings are otherwise equal)."""
    ids = [p.best.tool_id for p in parts if p.best]
    return len(set(ids)) == len(ids)


def _mean(parts: tuple[Resolution, ...]) -> float:
    return sum(p.best.score for p in parts if p.best) / len(parts)
