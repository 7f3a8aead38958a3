"""Did-you-mean picks (one per person and typed words) and the learned aliases removed for good."""

from __future__ import annotations

from bot.storage.clock import utcnow
from bot.storage.engine import Engine


class AliasPicks:
    """The picks aliases are learned from; a version counter says when they changed."""

    def __init__(self, engine: Engine) -> None:
        self.db = engine

    def record(self, platform: str, workspace: str, user: str, words: str, typed: str,
               tool_id: str) -> None:
        """Remember one person's pick for these words (their latest replaces any earlier)."""
        with self.db.transaction():
            self.db.execute(
                'INSERT INTO alias_picks (platform, workspace, "user", words, typed, tool_id, '
                'picked_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, workspace, "user", '
                "words) DO UPDATE SET tool_id = excluded.tool_id, typed = excluded.typed, "
                "picked_at = excluded.picked_at",
                [platform, workspace, user, words, typed, tool_id, utcnow()])
            self.db.bump("aliases_version")

    def version(self) -> int:
        """Bumped by every pick and removal."""
        return self.db.meta_counter("aliases_version")

    def agreed(self, at_least: int) -> list[tuple[str, str, str, str, str, list[str]]]:
        """(platform, workspace, words, tool id, typed, users) where at least `at_least` people
        of one workspace picked the same tool for the same words, leaving out removed ones."""
        users = self.db.group_concat('"user"', "|")
        rows = self.db.execute(
            f"SELECT platform, workspace, words, tool_id, MAX(typed), {users} FROM alias_picks p "
            "WHERE NOT EXISTS (SELECT 1 FROM alias_blocks b WHERE b.words = p.words AND "
            "b.tool_id = p.tool_id) GROUP BY platform, workspace, words, tool_id "
            "HAVING COUNT(*) >= ?", [at_least])
        return [(r[0], r[1], r[2], r[3], r[4], sorted(r[5].split("|"))) for r in rows]

    def remove(self, words: str, tool_ids: list[str], by: str) -> None:
        """Delete the picks behind these aliases and block them from being learned again."""
        with self.db.transaction():
            for tool in tool_ids:
                self.db.execute("DELETE FROM alias_picks WHERE words = ? AND tool_id = ?",
                                [words, tool])
                self.db.execute("INSERT INTO alias_blocks (words, tool_id, removed_by, "
                                "removed_at) VALUES (?, ?, ?, ?) ON CONFLICT (words, tool_id) "
                                "DO NOTHING", [words, tool, by, utcnow()])
            self.db.bump("aliases_version")
