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
        """Stop watching a tool; False if it was not watched (Store.unwatch also cancels the
        direct messages queued for it)."""
        return self.db.execute(
            'DELETE FROM watches WHERE platform=? AND workspace=? AND "user"=? AND tool_id=?',
            [platform, workspace, user, tool_id]).rowcount > 0

    def remove_workspace(self, platform: str, workspace: str) -> int:
        """Every watch of a workspace that removed the bot; how many."""
        return self.db.execute("DELETE FROM watches WHERE platform = ? AND workspace = ?",
                               [platform, workspace]).rowcount

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
