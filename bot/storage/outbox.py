"""The outbox: published cards and one delivery row per subscription, claimed with a lease.

Any number of dispatchers (threads, processes, replicas) may claim at once: a claim takes a
lease (`claimed_until`) on due rows inside one transaction. On PostgreSQL the rows are selected
`FOR UPDATE SKIP LOCKED`, so two replicas claim different rows without waiting on each other;
on SQLite the transaction holds the write lock. A claimant that dies leaves its rows to the
others once the lease runs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.storage.clock import utcnow
from bot.storage.engine import Engine


def reminder_subject(decision_id: int) -> str:
    """The publication subject of a decision's revisit reminder (queued once, cancelled by
    undecide)."""
    return f"reminder:{decision_id}"


@dataclass(frozen=True)
class Claimed:
    """A delivery this dispatcher holds the lease on."""

    id: int
    subscription_id: int | None  # None: a direct message or a reminder, not a subscription's
    workspace: str
    channel: str  # the channel, or for a direct message the person's user id
    attempts: int
    card_json: str
    target: str = "channel"  # channel or dm


class Outbox:
    """Publications and their deliveries."""

    def __init__(self, engine: Engine) -> None:
        self.db = engine

    def queue(self, subject: str, tool_ids: Sequence[str], card_json: str,
              subscription_ids: Sequence[int]) -> int:
        """Store a card once and one pending delivery per subscription; returns its id."""
        now = utcnow()
        with self.db.transaction():
            pub_id = self._publication(subject, tool_ids, card_json, now)
            ids = list(subscription_ids)
            for start in range(0, len(ids), 5000):  # under SQLite's bound-parameter limit
                chunk = ids[start:start + 5000]
                self.db.execute(
                    "INSERT INTO deliveries (publication_id, subscription_id, platform, "
                    "workspace, channel, status, attempts, next_attempt_at, claimed_until, "
                    "last_error, message_id, created_at, sent_at) SELECT ?, id, platform, "
                    "workspace, channel, 'pending', 0, 0, 0, '', '', ?, '' FROM subscriptions "
                    f"WHERE id IN ({','.join('?' * len(chunk))}) "
                    "ON CONFLICT (subscription_id, publication_id) DO NOTHING",
                    [pub_id, now, *chunk])
        return pub_id

    def queue_to(self, subject: str, tool_ids: Sequence[str], card_json: str,
                 recipients: Sequence[tuple[str, str, str, str]]) -> int:
        """Store a card once and one pending delivery per (platform, workspace, channel or
        user id, target) recipient that no subscription stands behind: a watcher's direct
        message, a decision's reminder. Returns the publication id."""
        now = utcnow()
        with self.db.transaction():
            pub_id = self._publication(subject, tool_ids, card_json, now)
            self.db.executemany(
                "INSERT INTO deliveries (publication_id, subscription_id, platform, workspace, "
                "channel, target, status, attempts, next_attempt_at, claimed_until, last_error, "
                "message_id, created_at, sent_at) VALUES (?, NULL, ?, ?, ?, ?, 'pending', 0, 0, "
                "0, '', '', ?, '')",
                [[pub_id, *recipient, now] for recipient in dict.fromkeys(recipients)])
        return pub_id

    def _publication(self, subject: str, tool_ids: Sequence[str], card_json: str,
                     now: str) -> int:
        """Store one card to deliver; returns its id."""
        return int(self.db.execute(
            "INSERT INTO publications (subject, tool_ids, card_json, created_at) "
            "VALUES (?, ?, ?, ?) RETURNING id",
            [subject, ",".join(tool_ids), card_json, now]).rows[0][0])

    def claim(self, platform: str, now: float, lease: float, limit: int) -> list[Claimed]:
        """Take the lease on up to `limit` due deliveries of one platform, atomically."""
        lock = " FOR UPDATE OF d SKIP LOCKED" if self.db.dialect == "postgres" else ""
        with self.db.transaction():
            rows = self.db.execute(
                "SELECT d.id, d.subscription_id, d.workspace, d.channel, d.attempts, p.card_json, "
                "d.target "
                "FROM deliveries d JOIN publications p ON p.id = d.publication_id "
                "WHERE d.status = 'pending' AND d.platform = ? AND d.next_attempt_at <= ? "
                f"AND d.claimed_until <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?{lock}",
                [platform, now, now, limit]).fetchall()
            if rows:
                marks = ",".join("?" * len(rows))
                self.db.execute(f"UPDATE deliveries SET claimed_until = ? WHERE id IN ({marks})",
                                [now + lease, *[r[0] for r in rows]])
        return [Claimed(int(r[0]), None if r[1] is None else int(r[1]), r[2], r[3], int(r[4]),
                        r[5], r[6]) for r in rows]

    def status(self, delivery_id: int) -> str | None:
        """A delivery's status, or None if it is gone (its subscription was removed)."""
        row = self.db.execute("SELECT status FROM deliveries WHERE id = ?",
                              [delivery_id]).fetchone()
        return row[0] if row else None

    def sent(self, delivery_id: int, message_id: str) -> None:
        """The platform accepted the post."""
        self.db.execute(
            "UPDATE deliveries SET status='sent', attempts=attempts+1, message_id=?, sent_at=?, "
            "claimed_until=0, last_error='' WHERE id=?", [message_id, utcnow(), delivery_id])

    def retry(self, delivery_id: int, attempts: int, reason: str, at: float) -> None:
        """Try again at `at` (epoch seconds)."""
        self.db.execute("UPDATE deliveries SET attempts=?, last_error=?, next_attempt_at=?, "
                        "claimed_until=0 WHERE id=?", [attempts, reason, at, delivery_id])

    def fail(self, delivery_id: int, attempts: int, reason: str) -> None:
        """Give up on one delivery, with the reason recorded."""
        self.db.execute("UPDATE deliveries SET status='failed', attempts=?, last_error=?, "
                        "claimed_until=0 WHERE id=?", [attempts, reason, delivery_id])

    def cancel_for_subscriptions(self, subscription_ids: Sequence[int]) -> None:
        """Drop the pending deliveries of these subscriptions, and only theirs (watch DMs and
        reminders have no subscription)."""
        ids = list(subscription_ids)
        for start in range(0, len(ids), 5000):
            chunk = ids[start:start + 5000]
            self.db.execute("DELETE FROM deliveries WHERE status='pending' AND subscription_id "
                            f"IN ({','.join('?' * len(chunk))})", chunk)

    def cancel_subject(self, subject: str) -> None:
        """Drop the pending deliveries of one subscription-less publication (a reminder)."""
        self.db.execute("DELETE FROM deliveries WHERE status='pending' AND subscription_id IS "
                        "NULL AND publication_id IN (SELECT id FROM publications WHERE "
                        "subject = ?)", [subject])

    def cancel_dms(self, platform: str, workspace: str, user: str, tool_id: str,
                   still_watched: set[str]) -> None:
        """Drop the direct messages queued to a person about `tool_id` that no tool they still
        watch stands behind."""
        queued = self.db.execute(
            "SELECT d.id, p.tool_ids FROM deliveries d JOIN publications p ON "
            "p.id = d.publication_id WHERE d.status='pending' AND d.target='dm' AND "
            "d.subscription_id IS NULL AND d.platform=? AND d.workspace=? AND d.channel=?",
            [platform, workspace, user]).rows
        for delivery_id, raw in queued:
            tools = set(str(raw).split(","))
            if tool_id in tools and not tools & still_watched:
                self.db.execute("DELETE FROM deliveries WHERE id = ? AND status='pending'",
                                [delivery_id])

    def fail_workspace(self, platform: str, workspace: str, reason: str) -> int:
        """Fail every delivery still queued to a workspace that removed the bot; how many."""
        return self.db.execute(
            "UPDATE deliveries SET status = 'failed', last_error = ? WHERE status = 'pending' "
            "AND platform = ? AND workspace = ?", [reason, platform, workspace]).rowcount

    def fail_pending(self, subscription_id: int, reason: str) -> None:
        """Give up on every pending delivery of a subscription that was disabled."""
        self.db.execute("UPDATE deliveries SET status='failed', last_error=? WHERE "
                        "status='pending' AND subscription_id=?", [reason, subscription_id])

    def rows(self, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Deliveries for `shipbot deliveries`, newest first."""
        sql = ("SELECT d.id, d.status, d.platform, d.workspace, d.channel, d.target, d.attempts, "
               "d.last_error, d.message_id, d.created_at, d.sent_at, p.subject FROM deliveries d "
               "JOIN publications p ON p.id = d.publication_id")
        params: list[object] = []
        if status:
            sql += " WHERE d.status = ?"
            params.append(status)
        sql += " ORDER BY d.id DESC LIMIT ?"
        params.append(limit)
        return self.db.query(sql, params)
