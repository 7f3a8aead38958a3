"""The catalog: tools, their aliases and reviews, and published comparisons."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.models import Bundle, Review, Tool
from bot.storage.clock import utcnow
from bot.storage.engine import Engine, StoreError
from bot.storage.needs import NeedIndex
from bot.storage.versioned import Versioned, VersionedDict


def refresh_tool_dates(engine: Any, tool_ids: list[str]) -> None:
    """Recompute each tool's `published` (newest date from the data) and `verdict_at` (newest
    verdict: its published date, else the day it was stored or last changed) from its
    comparisons: both can move either way when a comparison is corrected."""
    for tool_id in tool_ids:
        engine.execute(
            "UPDATE tools SET "
            "published = COALESCE((SELECT MAX(c.published) FROM comparisons c JOIN "
            "comparison_tools ct ON ct.comparison_id = c.id WHERE ct.tool_id = ? "
            "AND c.published != ''), ''), "
            "verdict_at = COALESCE((SELECT MAX(CASE WHEN c.published != '' THEN c.published "
            "ELSE substr(c.changed_at, 1, 10) END) FROM comparisons c JOIN comparison_tools ct "
            "ON ct.comparison_id = c.id WHERE ct.tool_id = ?), '') WHERE id = ?",
            [tool_id, tool_id, tool_id])


def comparison_key(tool_ids: Iterable[str]) -> str:
    """A comparison's key: its tool ids as a JSON array. Ids may contain `-vs-`, so joining
    them with it gave two different comparisons one key (and the first was replaced)."""
    return json.dumps(list(tool_ids))


@dataclass(frozen=True)
class ImportResult:
    """What an import changed: tool ids added, tool ids whose facts or reviews changed."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    reviews_before: dict[str, list[Review]]  # each changed tool's reviews before the import
    comparisons: tuple[str, ...]
    new_comparisons: tuple[tuple[str, ...], ...] = ()  # pairs (or more) stored for the first time
    warnings: tuple[str, ...] = ()  # filled above storage (bot.importer): shared aliases


# tools columns shipbot keeps itself
_NOT_IMPORTED = ("updated_at", "stored_at", "published", "verdict_at")


def upsert_sql(table: str, columns: list[str], key: tuple[str, ...]) -> str:
    """`INSERT ... ON CONFLICT (key) DO UPDATE` for the given columns (both engines)."""
    names = ", ".join(f'"{c}"' for c in columns)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in key)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    conflict = ", ".join(f'"{k}"' for k in key)
    return (f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT ({conflict}) {action}")


class Catalog:
    """Tools, aliases, reviews and comparisons; tools are cached until an import."""

    def __init__(self, engine: Engine) -> None:
        self.db = engine
        self._cache: VersionedDict[str, Tool] = VersionedDict(limit=4096)
        # Categories change only by import; every need answer reads them (a scan of tools).
        self._categories: Versioned[list[str]] = Versioned(self._read_categories)

    def forget(self) -> None:
        """Drop cached tools (a rolled-back import must not leave them behind)."""
        self._cache.forget()
        self._categories.forget()

    def is_empty(self) -> bool:
        """True when no tool has been loaded yet."""
        return self.db.execute("SELECT 1 FROM tools LIMIT 1").fetchone() is None

    def import_bundle(self, bundle: Bundle, allow_removals: bool = False) -> ImportResult:
        """Upsert every tool, alias, review and comparison of `bundle` in one transaction.
        Stored reviews that the bundle leaves out are removed only with `allow_removals`;
        otherwise nothing is imported and the error says what would have gone."""
        try:
            with self.db.transaction():
                if not allow_removals:
                    self._refuse_removals(bundle)
                result = self._import_locked(bundle)
                if result.added or result.changed or result.new_comparisons:
                    self.db.bump("catalog_version")
                return result
        except BaseException:
            self.forget()
            raise

    def _refuse_removals(self, bundle: Bundle) -> None:
        """Refuse (saying what would be lost) an import that drops a tool's stored reviewers."""
        stored = self.tools([t.id for t in bundle.tools if t.reviews], cached=False)
        lost = []
        for tool in bundle.tools:
            before = stored.get(tool.id)
            if before is None or not tool.reviews:
                continue
            keeping = {r.persona.casefold() for r in tool.reviews}
            gone = [r.persona for r in before.reviews if r.persona.casefold() not in keeping]
            if gone:
                lost.append(f"{before.short_name}: {', '.join(gone)} "
                            f"({len(before.reviews)} stored, {len(tool.reviews)} in the import)")
        if lost:
            raise StoreError("this import would remove stored reviews: " + "; ".join(lost)
                             + ". Nothing was changed; if that is what you want, import again "
                             "with --allow-removals")

    def catalog_version(self) -> int:
        """A counter bumped by every import, so other processes know to re-index names."""
        return self.db.meta_counter("catalog_version")

    def _import_locked(self, bundle: Bundle) -> ImportResult:
        added: list[str] = []
        changed: list[str] = []
        reviews_before: dict[str, list[Review]] = {}
        new_comparisons: list[tuple[str, ...]] = []
        for tool in bundle.tools:
            before = self.tool(tool.id, cached=False)
            self._write_tool(tool)
            after = self.tool(tool.id, cached=False)
            if before is None:
                added.append(tool.id)
            elif before != after:
                changed.append(tool.id)
                reviews_before[tool.id] = before.reviews
        ids: list[str] = []
        touched = set(added) | set(changed)
        now = utcnow()
        for comparison in bundle.comparisons:
            missing = [t for t in comparison.tools if self.tool(t, cached=False) is None]
            if missing:
                raise StoreError(f"comparison names unknown tool ids: {', '.join(missing)}")
            cid = comparison_key(comparison.tools)
            row = [json.dumps(comparison.tools), _iso(comparison.published), comparison.source,
                   comparison.url]
            stored = self.db.execute("SELECT tool_ids, published, source, url FROM comparisons "
                                     "WHERE id = ?", [cid]).fetchone()
            if stored is not None and not comparison.url:
                row[3] = stored[3]  # a file import does not forget the page it came from
            if stored is None:
                new_comparisons.append(tuple(comparison.tools))
                self.db.execute("INSERT INTO comparisons (id, tool_ids, published, source, url, "
                                "stored_at, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                [cid, *row, now, now])
            elif list(stored) != row or touched & set(comparison.tools):
                # changed_at: what weekly digests collect; an identical re-import is no news.
                self.db.execute("UPDATE comparisons SET tool_ids = ?, published = ?, source = ?, "
                                "url = ?, changed_at = ? WHERE id = ?", [*row, now, cid])
            self.db.execute("DELETE FROM comparison_tools WHERE comparison_id = ?", [cid])
            members = list(dict.fromkeys(comparison.tools))
            self.db.executemany("INSERT INTO comparison_tools (comparison_id, tool_id) "
                                "VALUES (?, ?)", [(cid, t) for t in members])
            refresh_tool_dates(self.db, members)
            ids.append(cid)
        NeedIndex(self.db).index(sorted(touched))
        return ImportResult(tuple(added), tuple(changed), reviews_before, tuple(ids),
                            tuple(new_comparisons))

    def _write_tool(self, tool: Tool) -> None:
        """Upsert one tool; fields the source leaves empty keep their stored value."""
        row = tool.model_dump(exclude={"aliases", "reviews"})
        row["reviewed"] = _iso(tool.reviewed)
        if self.db.execute("SELECT 1 FROM tools WHERE id = ?", [tool.id]).fetchone():
            # A page import knows less than the bundled JSON (no vendor, no date): merge.
            row = {k: v for k, v in row.items() if v not in ("", None) or k == "id"}
        else:
            row["stored_at"] = utcnow()  # the date a card says it was published, lacking one
        row["updated_at"] = utcnow()
        self.db.execute(upsert_sql("tools", list(row), ("id",)), list(row.values()))
        # Aliases only grow on import: a page carries none and must not erase curated ones.
        for alias in dict.fromkeys(a.lower() for a in tool.aliases):
            self.db.execute("INSERT INTO aliases (alias, tool_id) VALUES (?, ?) "
                            "ON CONFLICT (alias, tool_id) DO NOTHING", [alias, tool.id])
        if tool.reviews:
            self.db.execute("DELETE FROM reviews WHERE tool_id = ?", [tool.id])
            for position, review in enumerate(tool.reviews):
                self.db.execute(
                    "INSERT INTO reviews (tool_id, persona, score, verdict, text, position) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [tool.id, review.persona, review.score, review.verdict, review.text,
                     position])

    def tool(self, tool_id: str, cached: bool = True) -> Tool | None:
        """One tool with its aliases and reviews, or None."""
        return self.tools([tool_id], cached).get(tool_id)

    def tools(self, tool_ids: Iterable[str], cached: bool = True) -> dict[str, Tool]:
        """Tools by id, each with aliases and reviews; unknown ids are left out.

        Tools change only through imports, which bump catalog_version, so loaded tools are
        cached until the version moves (callers must not mutate them)."""
        ids = list(dict.fromkeys(tool_ids))
        if not cached:
            return self._load_tools(ids)
        cache = self._cache.at(self.catalog_version())
        missing = [i for i in ids if i not in cache]
        if missing:
            cache.update(self._load_tools(missing))
        return {i: cache[i] for i in ids if i in cache}

    def _load_tools(self, ids: list[str]) -> dict[str, Tool]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = {r["id"]: r for r in self.db.query(f"SELECT * FROM tools WHERE id IN ({marks})",
                                                  ids)}
        aliases: dict[str, list[str]] = {i: [] for i in rows}
        for alias, tool_id in self.db.execute(
                f"SELECT alias, tool_id FROM aliases WHERE tool_id IN ({marks}) ORDER BY alias",
                ids):
            aliases[tool_id].append(alias)
        reviews: dict[str, list[Review]] = {i: [] for i in rows}
        for tool_id, persona, score, verdict, text in self.db.execute(
                "SELECT tool_id, persona, score, verdict, text FROM reviews "
                f"WHERE tool_id IN ({marks}) ORDER BY tool_id, position, persona", ids):
            reviews[tool_id].append(Review(persona=persona, score=score, verdict=verdict,
                                           text=text))
        out: dict[str, Tool] = {}
        for tid in ids:
            if tid in rows:
                row = {k: v for k, v in rows[tid].items() if k not in _NOT_IMPORTED}
                row["reviewed"] = row["reviewed"] or None
                out[tid] = Tool(**row, aliases=aliases[tid], reviews=reviews[tid])
        return out

    def match_rows(self, page: int = 5000) -> Iterator[tuple[str, str, str, str, str]]:
        """(id, name, short name, vendor, '|'-joined aliases) for the name index, read a page
        at a time so that 100k tools are never all in memory twice."""
        aliases = self.db.group_concat("alias", "|")
        after = ""
        while True:
            rows = self.db.execute(
                f"SELECT t.id, t.name, t.short_name, t.vendor, COALESCE((SELECT {aliases} "
                "FROM aliases a WHERE a.tool_id = t.id), '') FROM tools t WHERE t.id > ? "
                "ORDER BY t.id LIMIT ?", [after, page]).rows
            yield from rows
            if len(rows) < page:
                return
            after = rows[-1][0]

    def categories(self) -> list[str]:
        """Every category in the catalog, sorted (cached until an import)."""
        return list(self._categories.get(self.catalog_version()))

    def _read_categories(self) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT DISTINCT category FROM tools WHERE category != '' ORDER BY category")]

    def vendors(self) -> list[str]:
        """Every vendor in the catalog, sorted."""
        return [r[0] for r in self.db.execute(
            "SELECT DISTINCT vendor FROM tools WHERE vendor != '' ORDER BY vendor")]

    def leaderboard(self, category: str | None, limit: int) -> list[tuple[str, float]]:
        """(tool id, panel mean) best first, optionally within one category."""
        sql = (
            "SELECT t.id, AVG(r.score) AS mean FROM tools t JOIN reviews r ON r.tool_id = t.id "
            + ("WHERE lower(t.category) = lower(?) " if category else "")
            + "GROUP BY t.id, t.name ORDER BY mean DESC, t.name LIMIT ?"
        )
        params: list[Any] = [category, limit] if category else [limit]
        return [(r[0], float(r[1])) for r in self.db.execute(sql, params)]

    def comparisons_for(self, tool_id: str) -> list[tuple[str, ...]]:
        """Tool-id tuples of the published comparisons that include `tool_id`, newest first."""
        rows = self.db.execute(
            "SELECT c.tool_ids FROM comparisons c JOIN comparison_tools ct ON "
            "ct.comparison_id = c.id WHERE ct.tool_id = ? ORDER BY c.published DESC, c.id",
            [tool_id])
        return [tuple(json.loads(raw)) for (raw,) in rows]

    def comparison_source(self, tool_ids: Iterable[str]
                          ) -> tuple[str, str, str, str, str] | None:
        """(source, published date from the data or '', day first stored, day last changed,
        page URL or '') of a published comparison of exactly these tools, or None."""
        ids = list(tool_ids)
        if not 2 <= len(ids) <= 4:
            return None
        keys = [comparison_key(p) for p in itertools.permutations(ids)]
        row = self.db.execute(
            "SELECT source, published, stored_at, changed_at, url FROM comparisons WHERE id IN "
            f"({','.join('?' * len(keys))}) ORDER BY published DESC LIMIT 1", keys).fetchone()
        return (row[0], row[1] or "", (row[2] or "")[:10], (row[3] or "")[:10],
                row[4] or "") if row else None

    def tool_dates(self, tool_ids: Iterable[str]) -> dict[str, tuple[str, str, str]]:
        """Per tool: (newest published date from the data or '', day first stored, day of its
        newest verdict or '')."""
        ids = list(dict.fromkeys(tool_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return {r[0]: (r[1] or "", (r[2] or "")[:10], r[3] or "") for r in self.db.execute(
            f"SELECT id, published, stored_at, verdict_at FROM tools WHERE id IN ({marks})",
            ids).rows}

    def changed_since(self, since: str, until: str) -> list[tuple[tuple[str, ...], str]]:
        """(tool ids, changed_at) of comparisons published or changed after `since` and no
        later than `until` (ISO times), oldest first: what a weekly digest lists."""
        return [(tuple(json.loads(raw)), at) for raw, at in self.db.execute(
            "SELECT tool_ids, changed_at FROM comparisons WHERE changed_at > ? AND changed_at <= ? "
            "ORDER BY changed_at, id", [since, until])]


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""
