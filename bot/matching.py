"""Fuzzy tool-name resolution: the one module that wraps rapidfuzz, with its scorer and cut-offs.
Longer than ~300 lines because the index and its tiers of exactness are one piece: splitting
them would spread one ranking rule over several files.

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
from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz, process

from bot.names import (
    FILLER,
    GENERIC,
    compact,
    content,
    derive_keys,
    derive_words,
    domain_host,
    forms,
    id_token,
    normalize,
    own_forms,
    vendor_handles,
    vendor_keys,
    vendor_words,
    versions,
)

__all__ = ["ACCEPT", "GENERIC", "Match", "NameIndex", "Resolution", "closest", "normalize"]

ACCEPT = 72.0  # a resolution at or above this score is confident
MARGIN = 6.0  # two different tools this close are ambiguous
SUGGEST_FLOOR = 45.0  # below this a candidate is not worth offering as "did you mean"
MAX_SUGGESTIONS = 5
_CANDIDATES = 24  # how many index candidates are scored with rapidfuzz
_COMMON_DF = 0.05  # words in more than this share of tools only count when nothing rarer does
_QUALIFIER_CAP = ACCEPT - 1  # a typed word the tool's names lack: offer it, never assume it
_VERSION_CAP = ACCEPT - 12  # another version of the tool: offer it, never assume it
_VENDOR_DISCOUNT = 0.9  # a vendor names many tools: a near name outranks a near vendor
MAX_VALUE = 100  # the longest choice value a platform takes (Discord's autocomplete)
_MAX_WALK = 5000  # the most tools one exact lookup examines (a huge vendor or a common word)


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

    def get(self, key: str, limit: int | None = None) -> list[int]:
        """Every value stored under `key` (plus, very rarely, a colliding key's); the first
        `limit` of them when given."""
        start, stop = self._span(key)
        if limit is not None:
            stop = min(stop, start + limit)
        return [x & self._VALUE_MASK for x in self._data[start:stop]]

    def count(self, key: str) -> int:
        """How many values `key` has, without materialising them."""
        start, stop = self._span(key)
        return stop - start


@dataclass(frozen=True)
class _Query:
    """One typed name in the forms every comparison needs."""

    text: str
    words: tuple[str, ...]
    joined: str
    versions: frozenset[str]

    @classmethod
    def of(cls, normal: str, raw: str) -> _Query:
        """The forms of a normalized name; versions are read from the raw text."""
        return cls(normal, tuple(normal.split()), compact(normal), versions(raw))


@lru_cache(maxsize=1 << 16)
def _vendor_forms(vendor: str) -> tuple[frozenset[str], frozenset[str], tuple[str, ...]]:
    """A vendor's handles, its words, and the keys that are only its name (cached: few vendors)."""
    return vendor_handles(vendor), vendor_words(vendor), tuple(vendor_keys(vendor))


class NameIndex:
    """An in-memory index of every tool's names, built once from the store.

    Each tool has published names (name, short name, aliases, id: an exact one wins outright) and
    looser handles (the name without its vendor, distinctive words, the vendor: an exact one wins
    only when no published name matched). Both are indexed by their joined form, so spacing and
    punctuation never decide a match.
    """

    def __init__(self, ids: list[str], names: list[str], name_keys: list[tuple[str, ...]],
                 handle_keys: list[tuple[str, ...]], vendors: list[str]) -> None:
        self.ids = ids
        self.names = names
        self._name_keys = name_keys
        self._handle_keys = handle_keys
        self._vendors = vendors
        self._by_vendor = MultiMap((h, n) for n, vendor in enumerate(vendors)
                                   for h in _vendor_forms(vendor)[0])
        self._exact_names = MultiMap((f, n) for n in range(len(ids))
                                     for k in name_keys[n] for f in forms(k))
        self._exact_handles = MultiMap((compact(k), n) for n in range(len(ids))
                                       for k in self._handles(n))
        # Generated twice rather than kept: a set per tool would double the peak memory at 100k.
        self._words = MultiMap((w, n) for n in range(len(ids)) for w in self._word_set(n))
        self._vocab: list[str] = sorted({w for n in range(len(ids)) for w in self._word_set(n)})
        self._longest = max((len(w) for w in self._vocab), default=0)
        self._deletes = MultiMap((v, n) for n, w in enumerate(self._vocab) if len(w) >= 4
                                 for v in _deletes(w))
        self._buckets: dict[tuple[int, str], list[str]] = defaultdict(list)
        for word in self._vocab:
            for letter in set(word[:2]):
                self._buckets[len(word), letter].append(word)
        # Ids too long for a platform's choice value answer to a short token (names.id_token).
        self._tokens = {id_token(tool_id): n for n, tool_id in enumerate(ids)
                        if len(tool_id) > MAX_VALUE}
        first = sorted(range(len(ids)), key=lambda i: names[i].lower())[:25]
        self._alphabetical = [Match(ids[i], names[i], 0.0) for i in first]

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, str, str, str]]) -> NameIndex:
        """Index rows of (id, name, short name, vendor, '|'-joined aliases)."""
        ids: list[str] = []
        names: list[str] = []
        name_keys: list[tuple[str, ...]] = []
        handle_keys: list[tuple[str, ...]] = []
        vendors: list[str] = []
        shared: dict[str, str] = {}  # one string per vendor, however many tools it makes
        for tool_id, name, short, vendor, aliases in rows:
            ids.append(tool_id)
            names.append(short or name)
            published = derive_keys(name, short, [*(aliases.split("|") if aliases else []),
                                                  tool_id])
            name_keys.append(tuple(published))
            handle_keys.append(tuple(k for k in derive_words(short or name, vendor)
                                     if k not in published))
            vendors.append(shared.setdefault(vendor, vendor))

        return cls(ids, names, name_keys, handle_keys, vendors)

    def __len__(self) -> int:
        return len(self.ids)

    @staticmethod
    def choice_value(tool_id: str) -> str:
        """What a platform choice (autocomplete) carries for a tool: its id, or a token when
        the id is longer than MAX_VALUE; resolve() takes either back to the tool."""
        return tool_id if len(tool_id) <= MAX_VALUE else id_token(tool_id)

    def resolve(self, text: str, learned: Mapping[str, str] | None = None) -> Resolution:
        """Resolve one tool name: a published name, a learned alias, a vendor-qualified name,
        a handle, then indexed fuzzy candidates. `learned` maps joined forms to tool ids."""
        token = self._tokens.get(text.strip())
        if token is not None:
            return Resolution(text, "ok", (Match(self.ids[token], self.names[token], 100.0),))
        normal = normalize(text)
        if not normal:
            return Resolution(text, "missing", ())
        queries = [_Query.of(normal, text)]
        bare = content(normal)
        if bare and bare != normal:  # `elevenlabs api` names ElevenLabs
            queries.append(_Query.of(bare, text))
        host = domain_host(text)
        if host:  # `runwayml.com` names Runway
            queries.append(_Query.of(normalize(host), host))
        for query in queries:
            hits = self._published(query.joined)
            if hits:
                return self._exact_answer(text, query, self._with_sharers(query.joined, hits))
        learned_id = (learned or {}).get(queries[0].joined)
        # A learned alias never takes over a word other tools go by (a family or vendor word).
        if learned_id is not None and not self._shared(queries[0].joined, learned_id):
            n = self._find(learned_id)
            if n is not None:
                return Resolution(text, "ok", (Match(self.ids[n], self.names[n], 100.0),))
        for find in (self._vendor_qualified, self._handle_hits):
            for query in queries:
                hits = find(query)
                if hits:
                    return self._exact_answer(text, query, hits)
        query = queries[-1] if host else queries[0]
        return self._judge(text, self._score(query, self._candidates(list(query.words),
                                                                     prefix_last=False)))

    def suggest(self, text: str, limit: int = 25) -> list[Match]:
        """Autocomplete: best tools for a partly typed name, the last word taken as a prefix."""
        query = normalize(text)
        if not query:
            return self._alphabetical[:limit]
        candidates = self._candidates(query.split(), prefix_last=True, wanted=limit * 2)
        out = [Match(self.ids[n], self.names[n],
                     round(max(_prefix_score(query, k) for k in self._keys(n)), 1))
               for n in candidates]
        out.sort(key=lambda m: (-m.score, m.name))
        return [m for m in out if m.score >= SUGGEST_FLOOR][:limit]

    # ---- exact tiers -----------------------------------------------------------------------

    def _find(self, tool_id: str) -> int | None:
        """A tool's number by id, through its id key (ids are published names)."""
        joined = compact(normalize(tool_id))
        return next((n for n in self._published(joined, _MAX_WALK) if self.ids[n] == tool_id),
                    None)

    def _handles(self, n: int) -> tuple[str, ...]:
        """A tool's looser handles: its own, then its vendor's (kept once per vendor)."""
        return self._handle_keys[n] + _vendor_forms(self._vendors[n])[2]

    def _keys(self, n: int) -> tuple[str, ...]:
        return self._name_keys[n] + self._handles(n)

    def _word_set(self, n: int) -> set[str]:
        return {w for k in self._keys(n) for w in k.split()}

    def _published(self, joined: str, limit: int = 50) -> list[int]:
        """Tools published under a name whose joined form is `joined`."""
        hits = (n for n in self._exact_names.get(joined)
                if any(joined in forms(k) for k in self._name_keys[n]))  # no hash collisions
        return list(itertools.islice(hits, limit))

    def _own_name(self, n: int) -> set[str]:
        """A tool's own published name, joined (its first key; see names.own_forms)."""
        return own_forms(self._name_keys[n][0])

    def _with_sharers(self, joined: str, hits: list[int]) -> list[int]:
        """Exact hits on `joined`, widened to every tool that goes by it when it is no hit's own
        name: an alias or a derived form (`claude`, `gemini cli` minus `cli`) that other tools
        share as a family or vendor word asks instead of picking the one tool that claims it."""
        own = [n for n in hits if joined in self._own_name(n)]
        if own:
            return own  # `LangChain` is LangChain, whatever else contains the word
        sharers = [n for n in self._exact_handles.get(joined, _MAX_WALK)
                   if n not in hits and any(compact(k) == joined for k in self._handles(n))]
        return hits + sharers[:MAX_SUGGESTIONS]

    def _sharing(self, joined: str, tool_id: str) -> list[int]:
        """Tools other than `tool_id` that go by `joined` (a name, alias or handle)."""
        named = self._published(joined, _MAX_WALK) + self._exact_handles.get(joined, _MAX_WALK)
        return list(dict.fromkeys(n for n in named if self.ids[n] != tool_id and (
            any(joined in forms(k) for k in self._name_keys[n])
            or any(compact(k) == joined for k in self._handles(n)))))

    def _shared(self, joined: str, tool_id: str) -> bool:
        """True when a tool other than `tool_id` goes by `joined` (name, alias or handle)."""
        return bool(self._sharing(joined, tool_id))

    def sharers(self, alias: str, tool_id: str, limit: int = 5) -> list[str]:
        """Names of the other tools that go by `alias` (for import warnings); empty when the
        alias is the tool's alone, or is its own name (which always wins)."""
        joined = compact(normalize(alias))
        n = self._find(tool_id)
        if not joined or (n is not None and joined in self._own_name(n)):
            return []
        return [self.names[m] for m in self._sharing(joined, tool_id)][:limit]

    def _handle_hits(self, query: _Query, limit: int = 50) -> list[int]:
        """Tools with a handle whose joined form is the query's."""
        joined = query.joined
        hits = (n for n in self._exact_handles.get(joined)
                if any(compact(k) == joined for k in self._handles(n)))
        return list(itertools.islice(hits, limit))

    def _vendor_qualified(self, query: _Query) -> list[int]:
        """`aws sagemaker`, `openai whisper`, `copilot studio microsoft`: a vendor word before
        or after a name that is exact among that vendor's tools."""
        words = query.words
        for size in range(1, min(3, len(words) - 1) + 1):
            for vendor_part, rest in ((words[:size], words[size:]), (words[-size:], words[:-size])):
                head, joined = "".join(vendor_part), "".join(rest)
                makes = self._by_vendor.count(head)
                named = self._exact_names.count(joined) + self._exact_handles.count(joined)
                if not makes or not named:
                    continue
                # Walk the shorter list: the vendor's tools, or the tools with that name.
                if makes <= named:
                    found = [n for n in self._by_vendor.get(head, _MAX_WALK)
                             if any(joined in forms(k) for k in self._keys(n))]
                else:
                    rest_query = _Query(" ".join(rest), rest, joined, frozenset())
                    found = (self._published(joined, _MAX_WALK)
                             + self._handle_hits(rest_query, _MAX_WALK))
                hits = [n for n in found if head in _vendor_forms(self._vendors[n])[0]
                        and joined not in _vendor_forms(self._vendors[n])[2]]
                if hits:
                    return list(dict.fromkeys(hits))
        return []

    def _exact_answer(self, text: str, query: _Query, hits: list[int]) -> Resolution:
        """One exact hit is the answer; several are ambiguous, the closest first."""
        hits = list(dict.fromkeys(hits))
        if len(hits) == 1:
            n = hits[0]
            return Resolution(text, "ok", (Match(self.ids[n], self.names[n], 100.0),))
        scored = self._score(query, hits)
        return Resolution(text, "ambiguous", tuple(scored[:MAX_SUGGESTIONS]))

    # ---- fuzzy -----------------------------------------------------------------------------

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
        # A token longer than every word by more than one letter is no typo of any of them.
        typo_ok = 4 <= len(token) <= self._longest + 1
        if typo_ok and (not found or prefix):
            for variant in (*_deletes(token), token):
                for number in self._deletes.get(variant):
                    word = self._vocab[number]
                    found.setdefault(word, fuzz.ratio(token, word) / 100)
                if self._words.count(variant):
                    found.setdefault(variant, fuzz.ratio(token, variant) / 100)
            found = {w: s for w, s in found.items() if s >= 0.6}
        if not found and len(token) >= 5:
            # `chromadb`, `runwayml`: a known word with something glued on.
            for end in range(min(len(token), self._longest) - 1, 3, -1):
                if self._words.count(token[:end]):
                    found[token[:end]] = fuzz.ratio(token, token[:end]) / 100
                    break
        if not found and typo_ok:
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
            for tool in self._words.get(word, _MAX_WALK):
                tally[tool] += weight
        return heapq.nlargest(wanted, tally, key=tally.__getitem__)

    def _score(self, query: _Query, candidates: list[int]) -> list[Match]:
        """Score each candidate tool, best first."""
        out = [Match(self.ids[n], self.names[n], round(self._score_tool(n, query), 1))
               for n in candidates]
        out.sort(key=lambda m: (-m.score, m.name))
        return out

    def _score_tool(self, n: int, query: _Query) -> float:
        """The best key's similarity (as words, and joined), then the caps: a typed word the
        tool's names lack, or a version it does not have, keeps the match below ACCEPT."""
        _, vendor_word_set, vendor_keys = _vendor_forms(self._vendors[n])
        texts = [query]
        bare = tuple(w for w in query.words if w not in vendor_word_set)
        if bare and bare != query.words:
            texts.append(_Query.of(" ".join(bare), ""))
        keys = self._keys(n)
        published = self._name_keys[n]
        best = 0.0
        for key in keys:
            joined = compact(key)
            score = max(max(_name_score(q.text, key), fuzz.ratio(q.joined, joined))
                        for q in texts)
            if key in vendor_keys and key not in published:
                score *= _VENDOR_DISCOUNT
            best = max(best, score)
        if best >= ACCEPT and len(query.words) > 1:
            best = self._covered(query.words, keys, vendor_word_set, best)
        if query.versions and not query.versions <= versions(self.names[n]):
            best = min(best, _VERSION_CAP)
        return best

    @staticmethod
    def _covered(words: tuple[str, ...], keys: tuple[str, ...], vendor_words: frozenset[str],
                 score: float) -> float:
        """Lower a score for typed words the tool's names lack: a distinctive one (`claude
        desktop`) caps it below ACCEPT, a generic one (`gemini pro` for Gemini Flash) lowers it
        by the share of words covered; filler (`api`) and the vendor's own words are free."""
        known = {w for k in keys for w in k.split()}
        counted = covered = 0
        for word in words:
            if word in FILLER or word in vendor_words:
                continue
            counted += 1
            if word in known or any(fuzz.ratio(word, k) >= 80 for k in known):
                covered += 1
            elif word not in GENERIC:
                return min(score, _QUALIFIER_CAP)
        return score * (0.8 + 0.2 * covered / counted) if counted else score

    def _judge(self, text: str, scored: list[Match]) -> Resolution:
        """Turn scored candidates into ok / ambiguous / missing."""
        offer = tuple(m for m in scored if m.score >= SUGGEST_FLOOR)[:MAX_SUGGESTIONS]
        if not scored or scored[0].score < ACCEPT:
            return Resolution(text, "missing", offer)
        if len(scored) > 1 and scored[0].score - scored[1].score < MARGIN:
            return Resolution(text, "ambiguous", offer)
        return Resolution(text, "ok", offer)


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
