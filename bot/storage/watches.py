"""Watches: the tools a person follows, to be sent a direct message when their verdicts change."""

from __future__ import annotations

from collections.abc import Iterable

from bot.storage.clock import utcnow
from bot.storage.engine import Engine


class Watches:
    """A person's watched tools, and the watchers of tools."""

    def __init__(self, engine: Engine) -> None:
        self.db = engine

    def add(self, platform: str, workspace: str, user: str, tool_id: str) -> bool:
        """Watch a tool; False if it was watched already."""
        return self.db.execute(
            'INSERT INTO watches (platform, workspace, "user", tool_id, created_at) '
            'VALUES (?, ?, ?, ?, ?) ON CONFLICT (platform, workspace, "user", tool_id) '
            "DO NOTHING", [platform, workspace, user, tool_id, utcnow()]).rowcount > 0

    def remove(self, platform: str, workspace: str, user: str, tool_id: str) -> bool:
        """Stop watching a tool, and cancel the direct messages queued for it that no other
        watch of this person's stands behind; False if it was not watched."""
        with self.db.transaction():
            gone = self.db.execute(
                'DELETE FROM watches WHERE platform=? AND workspace=? AND "user"=? AND '
                "tool_id=?", [platform, workspace, user, tool_id]).rowcount > 0
            still = {t for t, _ in self.of(platform, workspace, user)}
            queued = self.db.execute(
                "SELECT d.id, p.tool_ids FROM deliveries d JOIN publications p ON "
                "p.id = d.publication_id WHERE d.status='pending' AND d.target='dm' AND "
                "d.subscription_id IS NULL AND d.platform=? AND d.workspace=? AND d.channel=?",
                [platform, workspace, user]).rows
            for delivery_id, raw in queued:
                tools = set(str(raw).split(","))
                if tool_id in tools and not tools & still:
                    self.db.execute("DELETE FROM deliveries WHERE id = ? AND status='pending'",
                                    [delivery_id])
        return gone

    def of(self, platform: str, workspace: str, user: str) -> list[tuple[str, str]]:
        """(tool id, since) of one person's watches, oldest first."""
        return [(r[0], r[1]) for r in self.db.execute(
            'SELECT tool_id, created_at FROM watches WHERE platform=? AND workspace=? AND '
            '"user"=? ORDER BY created_at, tool_id', [platform, workspace, user])]

    def watchers(self, tool_ids: Iterable[str]) -> list[tuple[str, str, str]]:
        """(platform, workspace, user) of everyone watching any of these tools, each once."""
        ids = list(dict.fromkeys(tool_ids))
        if not ids:
            return []
        return [(r[0], r[1], r[2]) for r in self.db.execute(
            'SELECT DISTINCT platform, workspace, "user" FROM watches WHERE tool_id IN '
            f"({','.join('?' * len(ids))}) ORDER BY platform, workspace, \"user\"", ids)]
