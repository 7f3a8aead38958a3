"""Fuzzy tool-name resolution: the one module that wraps rapidfuzz, with its scorer and cut-offs.

A full scan of every name per query is far too slow at 100k tools, so names are indexed:
exact keys (names, short names, aliases, vendors) in a dict; words in an inverted index; typos
found through a symmetric-delete index of the vocabulary (edit distance 1, SymSpell style).
Only the few best candidates from the index are scored with rapidfuzz.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import re
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

ACCEPT = 72.0  # a resolution at or above this score is confident
MARGIN = 6.0  # two different tools this close are ambiguous
SUGGEST_FLOOR = 45.0  # below this a candidate is not worth offering as "did you mean"
MAX_SUGGESTIONS = 5
_CANDIDATES = 24  # how many index candidates are scored with rapidfuzz
_COMMON_DF = 0.05  # words in more than this share of tools only count when nothing rarer does

_NON_WORD = re.compile(r"[^0-9a-z]+")
# Words too generic to stand for a tool on their own when derived from its name.
GENERIC = frozenset(
    "a an the and or of for with to in on by new api apis ai app apps tool tools sdk model models "
    "real time voice code cloud platform studio pro plus lite use streaming assistant agent "
    "agents service services open data labs router".split()
)


def normalize(text: str) -> str:
    """Lowercase, punctuation to spaces, whitespace collapsed."""
    return " ".join(_NON_WORD.split(text.lower())).strip()


def derive_keys(name: str, short_name: str, vendor: str, aliases: Iterable[str]) -> list[str]:
    """Every normalized string a tool answers to: names, part before a colon, words, vendor."""
    keys = [name, short_name, name.split(":", 1)[0], vendor, *aliases]
    for word in normalize(short_name).split():
        if len(word) >= 3 and word not in GENERIC and not word.isdigit():
            keys.append(word)
    out: list[str] = []
    for key in keys:
        norm = normalize(key)
        if norm and norm not in out:
            out.append(norm)
    return out


@dataclass(frozen=True)
class Match:
    """One candidate tool for a query, scored 0-100."""

    tool_id: str
    name: str
    score: float


@dataclass(frozen=True)
class Resolution:
    """The answer for one tool name: a confident match, an ambiguous one, or nothing."""

    query: str
    status: Literal["ok", "ambiguous", "missing"]
    candidates: tuple[Match, ...]

    @property
    def best(self) -> Match | None:
        """The top candidate, if any."""
        return self.candidates[0] if self.candidates else None

    @property
    def ok(self) -> bool:
        """True when the query names one tool confidently."""
        return self.status == "ok"


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


class MultiMap:
    """A compact str -> [int] multimap: one sorted array of packed (key hash, value) integers.

    A dict of lists costs ~200 bytes an entry; this costs 8, which is what keeps 100k tools
    (about two million keys, words and typo variants) well inside the memory budget. Hash
    collisions only add candidates, and every candidate is verified or scored afterwards.
    """

    _VALUE_BITS = 21  # values (tool or word numbers) below two million
    _HASH_MASK = (1 << (63 - _VALUE_BITS)) - 1
    _VALUE_MASK = (1 << _VALUE_BITS) - 1

    def __init__(self, pairs: Iterable[tuple[str, int]]) -> None:
        bits = self._VALUE_BITS
        self._data = array("q", sorted(((hash(k) & self._HASH_MASK) << bits) | v
                                       for k, v in pairs))

    def _span(self, key: str) -> tuple[int, int]:
        low = (hash(key) & self._HASH_MASK) << self._VALUE_BITS
        return (bisect.bisect_left(self._data, low),
                bisect.bisect_left(self._data, low + (1 << self._VALUE_BITS)))

    def get(self, key: str) -> list[int]:
        """Every value stored under `key` (plus, very rarely, a colliding key's)."""
        start, stop = self._span(key)
        return [x & self._VALUE_MASK for x in self._data[start:stop]]

    def count(self, key: str) -> int:
        """How many values `key` has, without materialising them."""
        start, stop = self._span(key)
        return stop - start


class NameIndex:
    """An in-memory index of every tool's names, built once from the store."""

    def __init__(self, ids: list[str], names: list[str], tool_keys: list[tuple[str, ...]]) -> None:
        self.ids = ids
        self.names = names
        self._tool_keys = tool_keys
        self._keys = MultiMap((k, n) for n, keys in enumerate(tool_keys) for k in keys)
        self._words = MultiMap((w, n) for n, keys in enumerate(tool_keys)
                               for w in {w for k in keys for w in k.split()})
        self._vocab = sorted({w for keys in tool_keys for k in keys for w in k.split()})
        self._deletes = MultiMap((v, n) for n, w in enumerate(self._vocab) if len(w) >= 4
                                 for v in _deletes(w))
        self._buckets: dict[tuple[int, str], list[str]] = defaultdict(list)
        for word in self._vocab:
            for letter in set(word[:2]):
                self._buckets[len(word), letter].append(word)
        first = sorted(range(len(ids)), key=lambda i: names[i].lower())[:25]
        self._alphabetical = [Match(ids[i], names[i], 0.0) for i in first]

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, str, str, str]]) -> NameIndex:
        """Index rows of (id, name, short name, vendor, '|'-joined aliases)."""
        ids: list[str] = []
        names: list[str] = []
        tool_keys: list[tuple[str, ...]] = []
        for tool_id, name, short, vendor, aliases in rows:
            ids.append(tool_id)
            names.append(short or name)
            extra = [*(aliases.split("|") if aliases else []), tool_id]
            tool_keys.append(tuple(derive_keys(name, short, vendor, extra)))
        return cls(ids, names, tool_keys)

    def __len__(self) -> int:
        return len(self.ids)

    def resolve(self, text: str) -> Resolution:
        """Resolve one tool name: exact key first, then indexed fuzzy candidates."""
        query = normalize(text)
        if not query:
            return Resolution(text, "missing", ())
        # A generic word can be a key of thousands of tools: a handful proves it ambiguous.
        hits = (n for n in self._keys.get(query) if query in self._tool_keys[n])
        exact = list(itertools.islice(hits, MAX_SUGGESTIONS))
        if exact:
            matches = tuple(Match(self.ids[i], self.names[i], 100.0) for i in exact)
            if len(matches) == 1:
                return Resolution(text, "ok", matches)
            return Resolution(text, "ambiguous", matches)
        scored = self._score(query, self._candidates(query.split(), prefix_last=False))
        return self._judge(text, scored)

    def suggest(self, text: str, limit: int = 25) -> list[Match]:
        """Autocomplete: best tools for a partly typed name, the last word taken as a prefix."""
        query = normalize(text)
        if not query:
            return self._alphabetical[:limit]
        candidates = self._candidates(query.split(), prefix_last=True, wanted=limit * 2)
        scored = self._score(query, candidates, scorer=_prefix_score)
        return [m for m in scored if m.score >= SUGGEST_FLOOR][:limit]

    def _word_matches(self, token: str, prefix: bool) -> list[tuple[str, float]]:
        """Vocabulary words a query token may stand for, with a similarity weight 0-1."""
        found: dict[str, float] = {}
        if self._words.count(token):
            found[token] = 1.0
        if prefix:
            start = bisect.bisect_left(self._vocab, token)
            for word in self._vocab[start:start + 40]:
                if not word.startswith(token):
                    break
                found.setdefault(word, 0.9)
        if len(token) >= 4 and (not found or prefix):
            for variant in (*_deletes(token), token):
                for number in self._deletes.get(variant):
                    word = self._vocab[number]
                    found.setdefault(word, fuzz.ratio(token, word) / 100)
                if self._words.count(variant):
                    found.setdefault(variant, fuzz.ratio(token, variant) / 100)
            found = {w: s for w, s in found.items() if s >= 0.6}
        if not found and len(token) >= 4:
            found.update(self._far_words(token))
        return list(found.items())

    def _far_words(self, token: str) -> dict[str, float]:
        """Slow path for worse typos: words of similar length sharing a first or second letter."""
        pool: set[str] = set()
        for length in range(len(token) - 1, len(token) + 2):
            for letter in set(token[:2]):
                pool.update(self._buckets.get((length, letter), ()))
        hits = process.extract(token, pool, scorer=fuzz.ratio, score_cutoff=60, limit=8)
        return {word: score / 100 for word, score, _ in hits}

    def _candidates(self, tokens: list[str], prefix_last: bool,
                    wanted: int = _CANDIDATES) -> list[int]:
        """The tools sharing the most (and rarest) words with the query."""
        total = max(len(self.ids), 1)
        weighted: list[tuple[str, int, float]] = []
        for n, token in enumerate(tokens):
            prefix = prefix_last and n == len(tokens) - 1
            for word, similarity in self._word_matches(token, prefix):
                df = self._words.count(word)
                weighted.append((word, df, similarity * math.log(1 + total / max(df, 1))))
        rare = [w for w in weighted if w[1] <= _COMMON_DF * total] or weighted
        tally: dict[int, float] = defaultdict(float)
        for word, _, weight in rare:
            for tool in self._words.get(word)[:5000]:
                tally[tool] += weight
        return heapq.nlargest(wanted, tally, key=tally.__getitem__)

    def _score(self, query: str, candidates: list[int],
               scorer: Callable[[str, str], float] | None = None) -> list[Match]:
        """Score each candidate by its best key, best first."""
        score = scorer or _name_score
        out = [Match(self.ids[i], self.names[i], round(score_keys(query, self._tool_keys[i],
                                                                  score), 1))
               for i in candidates]
        out.sort(key=lambda m: (-m.score, m.name))
        return out

    def _judge(self, text: str, scored: list[Match]) -> Resolution:
        """Turn scored candidates into ok / ambiguous / missing."""
        offer = tuple(m for m in scored if m.score >= SUGGEST_FLOOR)[:MAX_SUGGESTIONS]
        if not scored or scored[0].score < ACCEPT:
            return Resolution(text, "missing", offer)
        if len(scored) > 1 and scored[0].score - scored[1].score < MARGIN:
            return Resolution(text, "ambiguous", offer)
        return Resolution(text, "ok", offer)


def score_keys(query: str, keys: Iterable[str], score: Callable[[str, str], float]) -> float:
    """The best key's score, each key's scaled down by the share of query words it does not
    cover: `claude desktop app` must not match a tool called `claude` with confidence."""
    words = query.split()
    if len(words) < 2 or score is _prefix_score:
        return max(score(query, k) for k in keys)
    best = 0.0
    for key in keys:
        raw = score(query, key)
        if raw <= best:
            continue  # coverage only lowers a score
        key_words = key.split()
        covered = sum(any(fuzz.ratio(w, k) >= 80 for k in key_words) for w in words)
        best = max(best, raw * (0.5 + 0.5 * covered / len(words)))
    return best


def _name_score(query: str, key: str) -> float:
    """WRatio, the rapidfuzz scorer that copes with word order, subsets and typos."""
    return float(fuzz.WRatio(query, key, processor=None))


def _prefix_score(query: str, key: str) -> float:
    """For autocomplete: a key that starts with what was typed ranks first."""
    if key.startswith(query):
        return 100.0 - min(len(key) - len(query), 20) * 0.5
    return _name_score(query, key)


def closest(text: str, choices: list[str]) -> tuple[str | None, list[str]]:
    """The choice `text` names (exact or a confident typo), else None and the nearest few."""
    wanted = normalize(text)
    by_norm = {normalize(c): c for c in choices}
    if wanted in by_norm:
        return by_norm[wanted], []
    found = process.extract(wanted, list(by_norm), scorer=fuzz.WRatio, limit=MAX_SUGGESTIONS)
    if found and found[0][1] >= ACCEPT + 10:
        return by_norm[found[0][0]], []
    return None, [by_norm[f[0]] for f in found if f[1] >= SUGGEST_FLOOR]
