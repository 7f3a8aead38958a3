"""Followed sites: each source's validators, failures, state and lease; each page's validators
and content hash. It keeps and fetches; when to poll and what a change means is above it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.storage.clock import utcnow
from bot.storage.engine import Engine


@dataclass(frozen=True)
class Source:
    """One followed URL as stored."""

    id: int
    url: str
    every_seconds: int
    kind: str
    etag: str
    last_modified: str
    content_hash: str
    last_check: str
    last_change: str
    last_error: str
    failures: int
    state: str
    next_at: float


@dataclass(frozen=True)
class PageState:
    """What was known of one page the last time it was fetched."""

    etag: str = ""
    last_modified: str = ""
    content_hash: str = ""


_COLUMNS = ("id, url, every_seconds, kind, etag, last_modified, content_hash, last_check, "
            "last_change, last_error, failures, state, next_at")


class Sources:
    """The sources table and its pages."""

    def __init__(self, engine: Engine) -> None:
        self.db = engine

    def add(self, url: str, every_seconds: int) -> tuple[Source, bool]:
        """Follow a URL (due at once); (the source, False) if it was followed already."""
        with self.db.transaction():
            found = self.by_url(url)
            if found is not None:
                return found, False
            self.db.execute("INSERT INTO sources (url, every_seconds, created_at) "
                            "VALUES (?, ?, ?)", [url, every_seconds, utcnow()])
            return self.by_url(url), True  # type: ignore[return-value]

    def by_url(self, url: str) -> Source | None:
        """One source by its URL."""
        found = self._select("WHERE url = ?", [url])
        return found[0] if found else None

    def get(self, source_id: int) -> Source | None:
        """One source by id."""
        found = self._select("WHERE id = ?", [source_id])
        return found[0] if found else None

    def list(self) -> list[Source]:
        """Every source, oldest first."""
        return self._select("ORDER BY id", [])

    def pages_known(self, source_id: int) -> int:
        """How many pages this source has led to."""
        return int(self.db.execute("SELECT COUNT(*) FROM source_pages WHERE source_id = ?",
                                   [source_id]).rows[0][0])

    def remove(self, source_id: int) -> bool:
        """Stop following a source (what it imported stays in the catalog)."""
        with self.db.transaction():
            self.db.execute("DELETE FROM source_pages WHERE source_id = ?", [source_id])
            return self.db.execute("DELETE FROM sources WHERE id = ?",
                                   [source_id]).rowcount > 0

    def resume(self, source_id: int) -> bool:
        """Start a paused source again, due at once, its failures forgotten."""
        return self.db.execute("UPDATE sources SET state = 'active', failures = 0, next_at = 0, "
                               "last_error = '' WHERE id = ?", [source_id]).rowcount > 0

    def due(self, now: float, limit: int = 20) -> list[Source]:
        """Active sources whose next check has come."""
        return self._select("WHERE state = 'active' AND next_at <= ? ORDER BY next_at, id "
                            "LIMIT ?", [now, limit])

    def lease(self, source_id: int, owner: str, now: float, seconds: float) -> bool:
        """Take the source for one pass (the outbox's pattern): False while another replica
        (or `shipbot sync`) holds an unexpired lease on it."""
        return self.db.execute(
            "UPDATE sources SET lease_owner = ?, lease_until = ? WHERE id = ? AND "
            "(lease_until < ? OR lease_owner = ?)",
            [owner, now + seconds, source_id, now, owner]).rowcount > 0

    def release(self, source_id: int, owner: str) -> None:
        """Give the lease back after a pass."""
        self.db.execute("UPDATE sources SET lease_until = 0, lease_owner = '' WHERE id = ? "
                        "AND lease_owner = ?", [source_id, owner])

    def checked(self, source_id: int, *, kind: str, etag: str, last_modified: str,
                content_hash: str, changed: bool, next_at: float) -> None:
        """A pass went through: the validators for next time, and when to look again."""
        now = utcnow()
        self.db.execute(
            "UPDATE sources SET kind = ?, etag = ?, last_modified = ?, content_hash = ?, "
            "last_check = ?, last_change = CASE WHEN ? = 1 THEN ? ELSE last_change END, "
            "last_error = '', failures = 0, next_at = ? WHERE id = ?",
            [kind, etag, last_modified, content_hash, now, 1 if changed else 0, now, next_at,
             source_id])

    def failed(self, source_id: int, error: str, next_at: float, pause_after: int) -> Source:
        """A pass failed: count it, try again at `next_at`, pause after `pause_after` in a row."""
        with self.db.transaction():
            self.db.execute(
                "UPDATE sources SET last_check = ?, last_error = ?, failures = failures + 1, "
                "next_at = ?, state = CASE WHEN failures + 1 >= ? THEN 'paused' ELSE state END "
                "WHERE id = ?", [utcnow(), error[:500], next_at, pause_after, source_id])
            return self.get(source_id)  # type: ignore[return-value]

    def page(self, source_id: int, url: str) -> PageState:
        """What is known of one page (empty the first time)."""
        row = self.db.execute("SELECT etag, last_modified, content_hash FROM source_pages "
                              "WHERE source_id = ? AND url = ?", [source_id, url]).fetchone()
        return PageState(*row) if row else PageState()

    def page_seen(self, source_id: int, url: str, state: PageState) -> None:
        """Remember a page's validators and content hash after it was read."""
        self.db.execute(
            "INSERT INTO source_pages (source_id, url, etag, last_modified, content_hash, "
            "seen_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source_id, url) DO UPDATE SET "
            "etag = excluded.etag, last_modified = excluded.last_modified, content_hash = "
            "excluded.content_hash, seen_at = excluded.seen_at",
            [source_id, url, state.etag, state.last_modified, state.content_hash, utcnow()])

    def _select(self, where: str, params: list[Any]) -> list[Source]:
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM sources {where}", params).rows
        return [Source(int(r[0]), r[1], int(r[2]), r[3], r[4], r[5], r[6], r[7], r[8], r[9],
                       int(r[10]), r[11], float(r[12])) for r in rows]
