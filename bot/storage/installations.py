"""Installations of the app in workspaces (the platform's own JSON) and pending OAuth states."""

from __future__ import annotations

import secrets
import time

from bot.storage.clock import utcnow
from bot.storage.engine import Engine

MAX_STATES = 1000  # OAuth states waiting for their callback at once


class Installations:
    """One installation per platform and workspace; OAuth states that expire."""

    def __init__(self, engine: Engine) -> None:
        self.db = engine

    def save(self, platform: str, workspace: str, data: str) -> None:
        """Store (or replace) a workspace's installation."""
        self.db.execute(
            "INSERT INTO installations (platform, workspace, data, installed_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (platform, workspace) DO UPDATE SET "
            "data = excluded.data, installed_at = excluded.installed_at",
            [platform, workspace, data, utcnow()])

    def get(self, platform: str, workspace: str) -> str | None:
        """A workspace's installation JSON, or None."""
        row = self.db.execute("SELECT data FROM installations WHERE platform = ? AND "
                              "workspace = ?", [platform, workspace]).fetchone()
        return row[0] if row else None

    def delete(self, platform: str, workspace: str) -> None:
        """Forget a workspace's installation (the app was uninstalled)."""
        self.db.execute("DELETE FROM installations WHERE platform = ? AND workspace = ?",
                        [platform, workspace])

    def issue_state(self, lifetime: float) -> str:
        """A new single-use OAuth state, valid for `lifetime` seconds."""
        state = secrets.token_urlsafe(24)
        now = time.time()
        with self.db.transaction():
            # Expired states go on every issue, and at most MAX_STATES wait at once (the oldest
            # go first): anyone may GET the install page, so it must not grow the store.
            self.db.execute("DELETE FROM oauth_states WHERE expires_at < ?", [now])
            waiting = int(self.db.execute("SELECT COUNT(*) FROM oauth_states").rows[0][0])
            if waiting >= MAX_STATES:
                self.db.execute(
                    "DELETE FROM oauth_states WHERE state IN (SELECT state FROM oauth_states "
                    "ORDER BY expires_at LIMIT ?)", [waiting - MAX_STATES + 1])
            self.db.execute("INSERT INTO oauth_states (state, expires_at) VALUES (?, ?)",
                            [state, now + lifetime])
        return state

    def restore_state(self, state: str, lifetime: float) -> None:
        """Give back a state whose callback could not finish (Slack unreachable), so the
        same callback can be tried again while it lasts."""
        if state and len(state) <= 200:
            self.db.execute("INSERT INTO oauth_states (state, expires_at) VALUES (?, ?) "
                            "ON CONFLICT (state) DO NOTHING", [state, time.time() + lifetime])

    def consume_state(self, state: str) -> bool:
        """True once for a state that was issued and has not expired."""
        self.db.execute("DELETE FROM oauth_states WHERE expires_at < ?", [time.time()])
        return self.db.execute("DELETE FROM oauth_states WHERE state = ?",
                               [state]).rowcount == 1
