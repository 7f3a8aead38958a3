"""Community votes (one per person and tool), and the platform event ids already counted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.models import Verdict
from bot.storage.catalog import utcnow
from bot.storage.engine import Engine


class Votes:
    """Votes by platform, workspace and user; counts across every platform."""

    def __init__(self, engine: Engine) -> None:
        self.db = engine
        self._sightings = 0

    def set_vote(self, platform: str, workspace: str, user: str, tool_id: str,
                 choice: Verdict) -> None:
        """Record or replace one user's vote on one tool."""
        self.db.execute(
            'INSERT INTO votes (platform, workspace, "user", tool_id, choice, updated_at) '
            'VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (platform, workspace, "user", tool_id) '
            "DO UPDATE SET choice = excluded.choice, updated_at = excluded.updated_at",
            [platform, workspace, user, tool_id, choice, utcnow()])

    def retract_vote(self, platform: str, workspace: str, user: str, tool_id: str,
                     choice: Verdict | None = None) -> bool:
        """Remove a user's vote on a tool (only if it is `choice`, when given); True if removed."""
        sql = 'DELETE FROM votes WHERE platform=? AND workspace=? AND "user"=? AND tool_id=?'
        params: list[Any] = [platform, workspace, user, tool_id]
        if choice is not None:
            sql += " AND choice = ?"
            params.append(choice)
        return self.db.execute(sql, params).rowcount > 0

    def user_vote(self, platform: str, workspace: str, user: str, tool_id: str) -> str | None:
        """The user's current vote on a tool, if any."""
        row = self.db.execute(
            'SELECT choice FROM votes WHERE platform=? AND workspace=? AND "user"=? AND tool_id=?',
            [platform, workspace, user, tool_id]).fetchone()
        return row[0] if row else None

    def community(self, tool_ids: Iterable[str]) -> dict[str, tuple[int, int]]:
        """(ship, skip) vote counts per tool id, across every platform and workspace."""
        ids = list(tool_ids)
        out = {i: (0, 0) for i in ids}
        if not ids:
            return out
        marks = ",".join("?" * len(ids))
        sql = ("SELECT tool_id, SUM(CASE WHEN choice = 'ship' THEN 1 ELSE 0 END), "
               "SUM(CASE WHEN choice = 'skip' THEN 1 ELSE 0 END) FROM votes "
               f"WHERE tool_id IN ({marks}) GROUP BY tool_id")
        for tid, ship, skip in self.db.execute(sql, ids):
            out[tid] = (int(ship), int(skip))
        return out

    def first_sighting(self, platform: str, event_id: str) -> bool:
        """Record an event id; False if it was seen before (a platform's retried delivery),
        whichever process or replica saw it first."""
        cursor = self.db.execute(
            "INSERT INTO seen_events (platform, event_id, seen_at) VALUES (?, ?, ?) "
            "ON CONFLICT (platform, event_id) DO NOTHING", [platform, event_id, utcnow()])
        self._sightings += 1
        if self._sightings % 1000 == 0:  # platforms retry within minutes: a day is plenty
            cutoff = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")
            self.db.execute("DELETE FROM seen_events WHERE seen_at < ?", [cutoff])
        return cursor.rowcount == 1

    def count(self) -> int:
        """How many votes are stored."""
        return int(self.db.execute("SELECT COUNT(*) FROM votes").rows[0][0])
