"""People the platform has told us about: whether an account is a bot (bots' reactions are
not votes). Asked once per person by whichever replica met them first, kept for all."""

from __future__ import annotations

from bot.storage.clock import utcnow
from bot.storage.engine import Engine


class People:
    """Each known account's bot flag, per platform and workspace."""

    def __init__(self, engine: Engine) -> None:
        self.db = engine

    def is_bot(self, platform: str, workspace: str, user: str) -> bool | None:
        """What the platform said of this account; None if no replica has asked yet."""
        row = self.db.execute("SELECT is_bot FROM people WHERE platform = ? AND workspace = ? "
                              "AND user_id = ?", [platform, workspace, user]).fetchone()
        return None if row is None else bool(row[0])

    def remember(self, platform: str, workspace: str, user: str, is_bot: bool) -> None:
        """Keep what the platform said of an account."""
        self.db.execute(
            "INSERT INTO people (platform, workspace, user_id, is_bot, checked_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (platform, workspace, user_id) DO UPDATE SET "
            "is_bot = excluded.is_bot, checked_at = excluded.checked_at",
            [platform, workspace, user, int(is_bot), utcnow()])

    def forget_workspace(self, platform: str, workspace: str) -> int:
        """Drop a workspace's accounts (it removed the bot); returns how many."""
        return self.db.execute("DELETE FROM people WHERE platform = ? AND workspace = ?",
                               [platform, workspace]).rowcount
