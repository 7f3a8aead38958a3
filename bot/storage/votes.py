"""Community votes, kept in the platform's own order whatever order they arrive in.

Every change carries the platform's time (`at`: Slack's event or action timestamp, Discord's
arrival order on the one replica that holds the shard, the clock for a typed command). A vote
per person and tool keeps the time of its latest change, and an older change never overwrites
it; a withdrawn vote stays as a row with no choice, so a late older "add" cannot bring it back.
For votes on a card, each option's latest add or remove is kept per person (`card_votes`): the
person's vote on the card is their latest added option.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.storage.cards import CardRef
from bot.storage.clock import utcnow
from bot.storage.engine import Engine


class Votes:
    """Votes by platform, workspace and user; counts across every platform."""

    def __init__(self, engine: Engine) -> None:
        self.db = engine
        self._sightings = 0

    def cast(self, platform: str, workspace: str, user: str, tool_id: str, choice: str,
             at: float, source: str) -> bool:
        """Set one person's vote on a tool as of `at`; True if that changed it."""
        return self.db.execute(
            'INSERT INTO votes (platform, workspace, "user", tool_id, choice, updated_at, ts, '
            'source) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, workspace, "user", '
            "tool_id) DO UPDATE SET choice = excluded.choice, updated_at = excluded.updated_at, "
            "ts = excluded.ts, source = excluded.source WHERE votes.ts <= excluded.ts AND "
            "(votes.choice <> excluded.choice OR votes.source <> excluded.source)",
            [platform, workspace, user, tool_id, choice, utcnow(), at, source]).rowcount > 0

    def withdraw(self, platform: str, workspace: str, user: str, tool_id: str, at: float,
                 source: str | None = None, choice: str | None = None) -> bool:
        """Withdraw a person's vote on a tool as of `at` (only one that `source` cast, or that
        is `choice`, when given); True if there was one to withdraw."""
        sql = ("UPDATE votes SET choice = '', updated_at = ?, ts = ? WHERE platform = ? AND "
               "workspace = ? AND \"user\" = ? AND tool_id = ? AND choice <> '' AND ts <= ?")
        params: list[Any] = [utcnow(), at, platform, workspace, user, tool_id, at]
        for column, value in (("source", source), ("choice", choice)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        return self.db.execute(sql, params).rowcount > 0

    def user_vote(self, platform: str, workspace: str, user: str, tool_id: str) -> str | None:
        """The person's current vote on a tool, if any."""
        row = self.db.execute(
            'SELECT choice FROM votes WHERE platform=? AND workspace=? AND "user"=? AND tool_id=?',
            [platform, workspace, user, tool_id]).fetchone()
        return row[0] if row and row[0] else None

    def hold(self, ref: CardRef, user: str) -> None:
        """Inside a transaction: one change at a time to a person's vote on a card, on every
        replica (their vote is read, then written)."""
        self.db.lock(f"vote:{ref.platform}:{ref.channel}:{ref.message_id}:{user}")

    def card_event(self, ref: CardRef, user: str, option: str, added: bool, at: float,
                   via: str) -> bool:
        """Keep one add or remove of an option on a card (by reaction or button), unless a
        later one is kept already; True if it was newer."""
        return self.db.execute(
            'INSERT INTO card_votes (platform, channel, message_id, "user", option, via, added, '
            'ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, channel, message_id, '
            '"user", option, via) DO UPDATE SET added = excluded.added, ts = excluded.ts '
            "WHERE card_votes.ts < excluded.ts",
            [ref.platform, ref.channel, ref.message_id, user, option, via, int(added), at]
        ).rowcount > 0

    def card_choice(self, ref: CardRef, user: str) -> tuple[str | None, float]:
        """A person's vote on a card (their latest added option, by reaction or button, or
        None) and the time of their latest change on it."""
        rows = self.db.execute(
            'SELECT option, added, ts FROM card_votes WHERE platform = ? AND channel = ? AND '
            'message_id = ? AND "user" = ? ORDER BY ts DESC, option',
            [ref.platform, ref.channel, ref.message_id, user]).fetchall()
        if not rows:
            return None, 0.0
        chosen = next((row[0] for row in rows if row[1]), None)
        return chosen, float(rows[0][2])

    def reactions(self, ref: CardRef) -> dict[str, set[str]]:
        """Each person's options added by reaction on a card, as the store has them."""
        out: dict[str, set[str]] = {}
        for user, option, added in self.db.execute(
                'SELECT "user", option, added FROM card_votes WHERE platform = ? AND '
                "channel = ? AND message_id = ? AND via = 'reaction'",
                [ref.platform, ref.channel, ref.message_id]):
            options = out.setdefault(user, set())
            if added:
                options.add(option)
        return out

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
        """How many votes are standing."""
        return int(self.db.execute("SELECT COUNT(*) FROM votes WHERE choice <> ''").rows[0][0])
