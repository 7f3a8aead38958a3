"""The SQLite store: one class around sqlite_utils.Database, migrated on open."""

from __future__ import annotations

import itertools
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.migrations import MIGRATIONS
from bot.models import Bundle, Review, Subscription, Tool, Verdict

SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(Exception):
    """The database cannot be used (newer schema, unreadable file)."""


def utcnow() -> str:
    """Current UTC time as ISO text, the one timestamp format in the store."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ImportResult:
    """What an import changed: tool ids added, tool ids whose facts or reviews changed."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    verdict_changes: dict[str, tuple[str, str]]
    comparisons: tuple[str, ...]


@dataclass(frozen=True)
class CardRef:
    """What a posted card message shows, so reactions on it can become votes."""

    platform: str
    workspace: str
    channel: str
    message_id: str
    kind: str
    tool_ids: tuple[str, ...]


class Store:
    """All persistent state of shipbot."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._sightings = 0
        self._cache: dict[str, Tool] = {}
        self._cache_version = -1
        self._migrate()

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """Open (creating if needed) the database file at `path` in WAL mode."""
        if str(path) == ":memory:":
            raise StoreError("shipbot needs a database file, not :memory:")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return cls(path)

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection: adapters call in from worker threads, and a connection
        shared between threads would interleave their transactions."""
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
                db = sqlite_utils.Database(conn)
                db.enable_wal()
                # WAL + NORMAL survives a killed process intact; only an OS crash or power
                # cut can lose the last commits. FULL would fsync every vote.
                db.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"cannot open database {self.path}: {exc}") from exc
            self._local.db = db
        return db

    def _migrate(self) -> None:
        try:
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"not a shipbot database ({self.path}): {exc}") from exc
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, written by a newer shipbot; "
                f"this version understands up to {SCHEMA_VERSION}. Upgrade shipbot."
            )
        if version == SCHEMA_VERSION:
            return
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")  # one process migrates; others wait, then see it done
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number in range(version, SCHEMA_VERSION):
                MIGRATIONS[number](self.db)
                conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """All-or-nothing work that reads then writes: BEGIN IMMEDIATE takes the write lock up
        front, so another process's commit cannot invalidate what was read (a deferred
        transaction would fail with "database is locked" instead of waiting). Nests as a
        savepoint."""
        db = self.db
        try:
            if db.conn.in_transaction:
                with db.atomic():
                    yield db
                return
            db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.conn.rollback()
                raise
            db.conn.commit()
        except BaseException:
            # Tools read inside a rolled-back import must not outlive it in the cache.
            self._cache, self._cache_version = {}, -1
            raise

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None

    # ---- catalog -------------------------------------------------------------------------

    def is_empty(self) -> bool:
        """True when no tool has been loaded yet."""
        return self.db.table("tools").count == 0

    def import_bundle(self, bundle: Bundle) -> ImportResult:
        """Upsert every tool, alias, review and comparison of `bundle` in one transaction."""
        with self.transaction():
            result = self._import_locked(bundle)
            if result.added or result.changed:
                self.db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                                "WHERE key = 'catalog_version'")
            return result

    def catalog_version(self) -> int:
        """A counter bumped by every import, so other processes know to re-index names."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'catalog_version'").fetchone()
        return int(row[0])

    def _import_locked(self, bundle: Bundle) -> ImportResult:
        added: list[str] = []
        changed: list[str] = []
        verdict_changes: dict[str, tuple[str, str]] = {}
        for tool in bundle.tools:
            before = self.tool(tool.id, cached=False)
            self._write_tool(tool)
            after = self.tool(tool.id, cached=False)
            if before is None:
                added.append(tool.id)
            elif before != after:
                changed.append(tool.id)
                old, new = panel_verdict(before.reviews), panel_verdict(after.reviews)  # type: ignore[union-attr]
                if old != new:
                    verdict_changes[tool.id] = (old, new)
        ids: list[str] = []
        for comparison in bundle.comparisons:
            missing = [t for t in comparison.tools if self.tool(t, cached=False) is None]
            if missing:
                raise StoreError(f"comparison names unknown tool ids: {', '.join(missing)}")
            cid = "-vs-".join(comparison.tools)
            self.db.table("comparisons").upsert(
                {"id": cid, "tool_ids": json.dumps(comparison.tools),
                 "published": _iso(comparison.published), "source": comparison.source},
                pk="id",
            )
            ids.append(cid)
        return ImportResult(tuple(added), tuple(changed), verdict_changes, tuple(ids))

    def _write_tool(self, tool: Tool) -> None:
        """Upsert one tool; fields the source leaves empty keep their stored value."""
        row = tool.model_dump(exclude={"aliases", "reviews"})
        row["reviewed"] = _iso(tool.reviewed)
        if self.db.execute("SELECT 1 FROM tools WHERE id = ?", [tool.id]).fetchone():
            # A page import knows less than the bundled JSON (no vendor, no date): merge.
            row = {k: v for k, v in row.items() if v not in ("", None) or k == "id"}
        row["updated_at"] = utcnow()
        self.db.table("tools").upsert(row, pk="id")
        # Aliases only grow on import: a page carries none and must not erase curated ones.
        self.db.table("aliases").upsert_all(
            [{"alias": a.lower(), "tool_id": tool.id} for a in tool.aliases],
            pk=("alias", "tool_id"),
        )
        if tool.reviews:
            self.db.execute("DELETE FROM reviews WHERE tool_id = ?", [tool.id])
            self.db.table("reviews").insert_all(
                [{"tool_id": tool.id, **r.model_dump()} for r in tool.reviews],
                pk=("tool_id", "persona"),
            )

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
        version = self.catalog_version()
        if version != self._cache_version or len(self._cache) > 4096:
            self._cache, self._cache_version = {}, version
        missing = [i for i in ids if i not in self._cache]
        if missing:
            self._cache.update(self._load_tools(missing))
        return {i: self._cache[i] for i in ids if i in self._cache}

    def _load_tools(self, ids: list[str]) -> dict[str, Tool]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = {r["id"]: r for r in self.db.query(f"SELECT * FROM tools WHERE id IN ({marks})", ids)}
        aliases: dict[str, list[str]] = {i: [] for i in rows}
        for r in self.db.query(
            f"SELECT alias, tool_id FROM aliases WHERE tool_id IN ({marks}) "
            "ORDER BY alias", ids,
        ):
            aliases[r["tool_id"]].append(r["alias"])
        reviews: dict[str, list[Review]] = {i: [] for i in rows}
        for r in self.db.query(
            f"SELECT * FROM reviews WHERE tool_id IN ({marks}) ORDER BY rowid", ids
        ):
            reviews[r["tool_id"]].append(
                Review(persona=r["persona"], score=r["score"], verdict=r["verdict"], text=r["text"])
            )
        out: dict[str, Tool] = {}
        for tid in ids:
            if tid in rows:
                row = {k: v for k, v in rows[tid].items() if k != "updated_at"}
                row["reviewed"] = row["reviewed"] or None
                out[tid] = Tool(**row, aliases=aliases[tid], reviews=reviews[tid])
        return out

    def match_rows(self) -> Iterator[tuple[str, str, str, str, str]]:
        """(id, name, short name, vendor, '|'-joined aliases) for the name index."""
        sql = (
            "SELECT t.id, t.name, t.short_name, t.vendor, "
            "COALESCE((SELECT group_concat(alias, '|') FROM aliases a "
            "WHERE a.tool_id = t.id), '') FROM tools t"
        )
        yield from self.db.execute(sql)

    def categories(self) -> list[str]:
        """Every category in the catalog, sorted."""
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
            + "GROUP BY t.id ORDER BY mean DESC, t.name LIMIT ?"
        )
        params: list[Any] = [category, limit] if category else [limit]
        return [(r[0], float(r[1])) for r in self.db.execute(sql, params)]

    def comparisons_for(self, tool_id: str) -> list[tuple[str, ...]]:
        """Tool-id tuples of the published comparisons that include `tool_id`."""
        rows = self.db.execute("SELECT tool_ids FROM comparisons ORDER BY published DESC")
        return [tuple(ids) for (raw,) in rows if tool_id in (ids := json.loads(raw))]

    def comparison_source(self, tool_ids: Iterable[str]) -> tuple[str, str] | None:
        """(source, published date) of a published comparison of exactly these tools."""
        ids = list(tool_ids)
        if not 2 <= len(ids) <= 4:
            return None
        keys = ["-vs-".join(p) for p in itertools.permutations(ids)]
        row = self.db.execute(
            f"SELECT source, published FROM comparisons WHERE id IN ({','.join('?' * len(keys))})"
            " ORDER BY published DESC LIMIT 1", keys).fetchone()
        return (row[0], row[1]) if row else None

    # ---- votes ---------------------------------------------------------------------------

    def set_vote(self, platform: str, workspace: str, user: str, tool_id: str,
                 choice: Verdict) -> None:
        """Record or replace one user's vote on one tool."""
        self.db.table("votes").upsert(
            {"platform": platform, "workspace": workspace, "user": user, "tool_id": tool_id,
             "choice": choice, "updated_at": utcnow()},
            pk=("platform", "workspace", "user", "tool_id"),
        )

    def retract_vote(self, platform: str, workspace: str, user: str, tool_id: str,
                     choice: Verdict | None = None) -> bool:
        """Remove a user's vote on a tool (only if it is `choice`, when given); True if removed."""
        sql = "DELETE FROM votes WHERE platform=? AND workspace=? AND user=? AND tool_id=?"
        params: list[Any] = [platform, workspace, user, tool_id]
        if choice is not None:
            sql += " AND choice = ?"
            params.append(choice)
        return self.db.execute(sql, params).rowcount > 0

    def user_vote(self, platform: str, workspace: str, user: str, tool_id: str) -> str | None:
        """The user's current vote on a tool, if any."""
        row = self.db.execute(
            "SELECT choice FROM votes WHERE platform=? AND workspace=? AND user=? AND tool_id=?",
            [platform, workspace, user, tool_id],
        ).fetchone()
        return row[0] if row else None

    def community(self, tool_ids: Iterable[str]) -> dict[str, tuple[int, int]]:
        """(ship, skip) vote counts per tool id, across every platform and workspace."""
        ids = list(tool_ids)
        out = {i: (0, 0) for i in ids}
        if not ids:
            return out
        marks = ",".join("?" * len(ids))
        sql = (f"SELECT tool_id, SUM(choice='ship'), SUM(choice='skip') FROM votes "
               f"WHERE tool_id IN ({marks}) GROUP BY tool_id")
        for tid, ship, skip in self.db.execute(sql, ids):
            out[tid] = (int(ship), int(skip))
        return out

    def first_sighting(self, platform: str, event_id: str) -> bool:
        """Record an event id; False if it was seen before (a platform's retried delivery)."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO seen_events (platform, event_id, seen_at) VALUES (?, ?, ?)",
            [platform, event_id, utcnow()])
        self._sightings += 1
        if self._sightings % 1000 == 0:  # platforms retry within minutes: a day is plenty
            cutoff = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")
            self.db.execute("DELETE FROM seen_events WHERE seen_at < ?", [cutoff])
        return cursor.rowcount == 1

    # ---- card messages -------------------------------------------------------------------

    def remember_card(self, ref: CardRef) -> None:
        """Map a posted platform message to the card kind and tools it shows."""
        # One plain statement (atomic by itself): this runs for every posted card.
        self.db.execute(
            "INSERT OR REPLACE INTO card_messages (platform, channel, message_id, workspace, "
            "kind, tool_ids, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [ref.platform, ref.channel, ref.message_id, ref.workspace, ref.kind,
             json.dumps(ref.tool_ids), utcnow()])

    def card_at(self, platform: str, channel: str, message_id: str) -> CardRef | None:
        """The card a platform message shows, or None if it is not one of ours."""
        row = self.db.execute(
            "SELECT workspace, kind, tool_ids FROM card_messages "
            "WHERE platform=? AND channel=? AND message_id=?",
            [platform, channel, message_id],
        ).fetchone()
        if row is None:
            return None
        return CardRef(platform, row[0], channel, message_id, row[1], tuple(json.loads(row[2])))

    # ---- subscriptions -------------------------------------------------------------------

    def add_subscription(self, platform: str, workspace: str, channel: str, filter_json: str,
                         filter_text: str, created_by: str) -> tuple[Subscription, bool]:
        """Store a subscription; returns it and whether it is new (same filter twice is one)."""
        key = [platform, workspace, channel, filter_text]
        with self.transaction():
            row = self.db.execute(
                "SELECT id, active FROM subscriptions WHERE platform=? AND workspace=? "
                "AND channel=? AND filter_text=?", key).fetchone()
            if row is not None and row[1]:
                return self.subscription(row[0]), False  # type: ignore[return-value]
            if row is not None:
                self.db.execute(
                    "UPDATE subscriptions SET active=1, disabled_reason='', failures=0, "
                    "created_by=?, created_at=? WHERE id=?", [created_by, utcnow(), row[0]])
                return self.subscription(row[0]), True  # type: ignore[return-value]
            sid = self.db.table("subscriptions").insert(
                {"platform": platform, "workspace": workspace, "channel": channel,
                 "filter_json": filter_json, "filter_text": filter_text, "created_by": created_by,
                 "created_at": utcnow(), "active": 1, "disabled_reason": "", "failures": 0},
            ).last_pk
        return self.subscription(int(sid)), True  # type: ignore[arg-type, return-value]

    def subscription(self, sub_id: int) -> Subscription | None:
        """One subscription by id."""
        rows = self._subscriptions("WHERE id = ?", [sub_id])
        return rows[0] if rows else None

    def subscriptions(self, platform: str | None = None, workspace: str | None = None,
                      channel: str | None = None, active_only: bool = False) -> list[Subscription]:
        """Subscriptions, optionally narrowed to one platform, workspace and channel."""
        clauses, params = [], []
        for column, value in (("platform", platform), ("workspace", workspace),
                              ("channel", channel)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if active_only:
            clauses.append("active = 1")
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return self._subscriptions(where, params)

    def subscription_filters(self) -> list[tuple[int, str]]:
        """(id, filter json) of every active subscription, for matching a publish."""
        return [(r[0], r[1]) for r in self.db.execute(
            "SELECT id, filter_json FROM subscriptions WHERE active = 1")]

    def _subscriptions(self, where: str, params: list[Any]) -> list[Subscription]:
        rows = self.db.query(f"SELECT * FROM subscriptions {where} ORDER BY id", params)
        return [Subscription(**{**r, "active": bool(r["active"])}) for r in rows]

    def remove_subscriptions(self, platform: str, workspace: str, channel: str,
                             sub_id: int | None) -> int:
        """Delete one (by id) or all of a channel's subscriptions; returns how many."""
        sql = "DELETE FROM subscriptions WHERE platform=? AND workspace=? AND channel=?"
        params: list[Any] = [platform, workspace, channel]
        if sub_id is not None:
            sql += " AND id = ?"
            params.append(sub_id)
        with self.transaction():
            removed = self.db.execute(sql, params).rowcount
            self.db.execute(
                "DELETE FROM deliveries WHERE status='pending' AND subscription_id NOT IN "
                "(SELECT id FROM subscriptions)")
        return removed

    # ---- stats ---------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Counts of the things a user adds: tools, reviews, comparisons, votes, subscriptions."""
        return {t: self.db.table(t).count for t in
                ("tools", "reviews", "comparisons", "votes", "subscriptions")}


def panel_mean(reviews: list[Review]) -> float:
    """The reviewers' mean score (0 with no reviews)."""
    return sum(r.score for r in reviews) / len(reviews) if reviews else 0.0


def panel_verdict(reviews: list[Review]) -> str:
    """The panel's majority verdict: ship when at least half the reviewers say ship."""
    if not reviews:
        return "unreviewed"
    ships = sum(r.verdict == "ship" for r in reviews)
    return "ship" if ships * 2 >= len(reviews) else "skip"


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""
