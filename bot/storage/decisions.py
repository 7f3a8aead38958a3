"""Team decisions: what a channel chose to ship, over what, why, and when to look again."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from bot.storage.clock import utcnow
from bot.storage.engine import Engine
from bot.storage.versioned import VersionedDict


@dataclass(frozen=True)
class ChannelDecision:
    """One channel's recorded decision."""

    id: int
    platform: str
    workspace: str
    channel: str
    tool_id: str
    over_ids: tuple[str, ...]
    reason: str
    revisit: str  # YYYY-MM-DD or ''
    decided_by: str
    decided_at: str
    reminded_at: str

    @property
    def tool_ids(self) -> tuple[str, ...]:
        """The chosen tool, then the ones it was chosen over."""
        return (self.tool_id, *self.over_ids)


_CACHED_CHANNELS = 10000
_COLUMNS = ("id, platform, workspace, channel, tool_id, over_ids, reason, revisit, decided_by, "
            "decided_at, reminded_at")


class Decisions:
    """Decisions by channel, and the reminders they are due. Every card shown in a channel asks
    for that channel's decisions, and they rarely change: they are cached per channel until a
    version counter (bumped with every change, read with the command's other counters) moves."""

    def __init__(self, engine: Engine) -> None:
        self.db = engine
        self._cache: VersionedDict[tuple[str, ...], ChannelDecision | None] = \
            VersionedDict(limit=_CACHED_CHANNELS)

    def add(self, platform: str, workspace: str, channel: str, tool_id: str,
            over_ids: Iterable[str], reason: str, revisit: str, user: str) -> ChannelDecision:
        """Record a decision; returns it with its id."""
        with self.db.transaction():
            row = self.db.execute(
                f"INSERT INTO decisions ({_COLUMNS.split(', ', 1)[1]}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '') RETURNING id",
                [platform, workspace, channel, tool_id, json.dumps(list(over_ids)), reason,
                 revisit, user, utcnow()]).rows[0]
            self.db.bump("decisions_version")
        return self.get(int(row[0]))  # type: ignore[return-value]

    def get(self, decision_id: int) -> ChannelDecision | None:
        """One decision by id."""
        found = self._select("WHERE id = ?", [decision_id])
        return found[0] if found else None

    def of_channel(self, platform: str, workspace: str, channel: str,
                   limit: int = 1000) -> list[ChannelDecision]:
        """A channel's decisions, newest first."""
        return self._select("WHERE platform=? AND workspace=? AND channel=? "
                            "ORDER BY id DESC LIMIT ?", [platform, workspace, channel, limit])

    def newest_naming(self, platform: str, workspace: str, channel: str,
                      tool_ids: Iterable[str]) -> ChannelDecision | None:
        """The channel's newest decision that names any of these tools (chosen or passed
        over), however many newer ones name others; cached until a decision changes."""
        ids = sorted(set(tool_ids))
        cache = self._cache.at(self.db.meta_counter("decisions_version"))
        key = (platform, workspace, channel, *ids)
        if key not in cache:
            named = " OR ".join(["tool_id = ?"] * len(ids) + ["over_ids LIKE ? ESCAPE '!'"]
                                * len(ids))
            found = self._select(
                f"WHERE platform=? AND workspace=? AND channel=? AND ({named}) "
                "ORDER BY id DESC LIMIT 1",
                [platform, workspace, channel, *ids, *(f'%{_like(json.dumps(i))}%' for i in ids)])
            cache[key] = found[0] if found else None
        return cache[key]

    def remove(self, decision_id: int) -> bool:
        """Delete one decision; False if it was gone."""
        with self.db.transaction():
            gone = self.db.execute("DELETE FROM decisions WHERE id = ?",
                                   [decision_id]).rowcount > 0
            self.db.bump("decisions_version")
        return gone

    def due(self, platform: str, today: str, limit: int = 100) -> list[ChannelDecision]:
        """Decisions on one platform whose revisit date has come and that were not reminded."""
        return self._select("WHERE platform=? AND reminded_at='' AND revisit != '' AND "
                            "revisit <= ? ORDER BY revisit, id LIMIT ?", [platform, today, limit])

    def reminded(self, decision_id: int) -> bool:
        """Mark one reminder sent (queued); False if another replica did it first."""
        return self.db.execute("UPDATE decisions SET reminded_at=? WHERE id=? AND "
                               "reminded_at=''", [utcnow(), decision_id]).rowcount > 0

    def _select(self, where: str, params: list[object]) -> list[ChannelDecision]:
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM decisions {where}", params).rows
        return [ChannelDecision(int(r[0]), r[1], r[2], r[3], r[4], tuple(json.loads(r[5])),
                                r[6], r[7], r[8], r[9], r[10]) for r in rows]


def _like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern (escape character `!`)."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
