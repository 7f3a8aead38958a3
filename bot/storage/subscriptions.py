"""Channels' subscriptions to new verdicts."""

from __future__ import annotations

import builtins
from typing import Any

from bot.models import Subscription
from bot.storage.clock import utcnow
from bot.storage.engine import Engine


class Subscriptions:
    """Subscriptions by id and by channel."""

    def __init__(self, engine: Engine) -> None:
        self.db = engine

    def add(self, platform: str, workspace: str, channel: str, filter_json: str,
            filter_text: str, created_by: str,
            cadence: str = "instant") -> tuple[Subscription, bool]:
        """Store a subscription (`instant` or `weekly`); returns it and whether it is new (the
        same filter and cadence twice is one). A weekly one's first digest covers what is
        published or changed from now on."""
        key = [platform, workspace, channel, cadence, filter_text]
        now = utcnow()
        with self.db.transaction():
            row = self.db.execute(
                "SELECT id, active FROM subscriptions WHERE platform=? AND workspace=? "
                "AND channel=? AND cadence=? AND filter_text=?", key).fetchone()
            if row is not None and row[1]:
                return self.get(row[0]), False  # type: ignore[return-value]
            if row is not None:
                self.db.execute(
                    "UPDATE subscriptions SET active=1, disabled_reason='', failures=0, "
                    "created_by=?, created_at=?, digest_at=? WHERE id=?",
                    [created_by, now, now, row[0]])
                return self.get(row[0]), True  # type: ignore[return-value]
            sid = self.db.execute(
                "INSERT INTO subscriptions (platform, workspace, channel, cadence, filter_json, "
                "filter_text, created_by, created_at, active, disabled_reason, failures, "
                "digest_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, '', 0, ?) RETURNING id",
                [*key[:4], filter_json, filter_text, created_by, now, now]).rows[0][0]
        return self.get(int(sid)), True  # type: ignore[return-value]

    def get(self, sub_id: int) -> Subscription | None:
        """One subscription by id."""
        rows = self._select("WHERE id = ?", [sub_id])
        return rows[0] if rows else None

    def list(self, platform: str | None = None, workspace: str | None = None,
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
        return self._select(where, params)

    def filters(self) -> builtins.list[tuple[int, str]]:
        """(id, filter json) of every active instant subscription, for matching a publish."""
        return [(int(r[0]), r[1]) for r in self.db.execute(
            "SELECT id, filter_json FROM subscriptions WHERE active = 1 AND cadence = 'instant' "
            "ORDER BY id")]

    def weekly(self, platform: str | None = None,
               before: str | None = None) -> builtins.list[Subscription]:
        """Active weekly (digest) subscriptions, of one platform or all; with `before`, only
        those whose last digest was earlier (the due ones)."""
        where = "WHERE active = 1 AND cadence = 'weekly'"
        params: builtins.list[Any] = []
        if platform is not None:
            where += " AND platform = ?"
            params.append(platform)
        if before is not None:
            where += " AND digest_at < ?"
            params.append(before)
        return self._select(where, params)

    def digested(self, sub_id: int, before: str, at: str) -> bool:
        """Move a weekly subscription's digest mark from `before` to `at`; False if another
        process moved it first (so each digest is queued once)."""
        return self.db.execute("UPDATE subscriptions SET digest_at=? WHERE id=? AND digest_at=?",
                               [at, sub_id, before]).rowcount > 0

    def _select(self, where: str, params: builtins.list[Any]) -> builtins.list[Subscription]:
        rows = self.db.query(f"SELECT * FROM subscriptions {where} ORDER BY id", params)
        return [Subscription(**{**r, "active": bool(r["active"])}) for r in rows]

    def remove(self, platform: str, workspace: str, channel: str,
               sub_id: int | None) -> builtins.list[int]:
        """Delete one (by id) or all of a channel's subscriptions; returns their ids (their
        pending deliveries are the outbox's: Store.unsubscribe cancels both together)."""
        where = "platform=? AND workspace=? AND channel=?"
        params: list[Any] = [platform, workspace, channel]
        if sub_id is not None:
            where += " AND id = ?"
            params.append(sub_id)
        with self.db.transaction():
            ids = [r[0] for r in self.db.execute(f"SELECT id FROM subscriptions WHERE {where}",
                                                 params).rows]
            for start in range(0, len(ids), 5000):
                chunk = ids[start:start + 5000]
                self.db.execute(f"DELETE FROM subscriptions WHERE id IN "
                                f"({','.join('?' * len(chunk))})", chunk)
        return ids

    def disable_workspace(self, platform: str, workspace: str, reason: str) -> int:
        """Stop every active subscription of a workspace that removed the bot; how many."""
        return self.db.execute(
            "UPDATE subscriptions SET active = 0, disabled_reason = ? WHERE platform = ? AND "
            "workspace = ? AND active = 1", [reason, platform, workspace]).rowcount

    def disable(self, sub_id: int, reason: str) -> None:
        """Stop a dead subscription (its pending deliveries fail with it, in the outbox)."""
        self.db.execute("UPDATE subscriptions SET active=0, disabled_reason=?, "
                        "failures=failures+1 WHERE id=?",
                        [f"{reason} (disabled {utcnow()[:10]})", sub_id])

    def delivered(self, sub_id: int) -> None:
        """A delivery went through: the failure count starts again."""
        self.db.execute("UPDATE subscriptions SET failures=0 WHERE id=?", [sub_id])
