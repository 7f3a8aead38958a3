"""Slack's installation and OAuth state stores, kept in shipbot's own store (any engine)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.storage.installations import Installations

log = logging.getLogger(__name__)


def _key(enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool) -> str:
    """An org-wide install is one per enterprise; otherwise one per workspace."""
    if is_enterprise_install and enterprise_id:
        return f"E:{enterprise_id}"
    return team_id or f"E:{enterprise_id}"


def _plain(value: Any) -> Any:
    return value.timestamp() if isinstance(value, datetime) else value


class StoreInstallationStore(InstallationStore):
    """Installations as JSON rows in the shared store, so every replica finds every token."""

    def __init__(self, installations: Installations, client_id: str | None = None) -> None:
        self.rows = installations
        self.client_id = client_id

    @property
    def logger(self) -> logging.Logger:
        """slack-sdk's stores expose a logger."""
        return log

    def save(self, installation: Installation) -> None:
        """Keep (or replace) a workspace's installation."""
        data = {k: _plain(v) for k, v in installation.to_dict().items()}
        key = _key(installation.enterprise_id, installation.team_id,
                   bool(installation.is_enterprise_install))
        self.rows.save("slack", key, json.dumps(data))

    def find_installation(self, *, enterprise_id: str | None, team_id: str | None,
                          user_id: str | None = None,
                          is_enterprise_install: bool | None = False) -> Installation | None:
        """The installation of a workspace (or org), if the app is installed there."""
        raw = self.rows.get("slack", _key(enterprise_id, team_id, bool(is_enterprise_install)))
        if raw is None:
            return None
        data = json.loads(raw)
        data.pop("bot_token_expires_in", None)
        return Installation(**{k: v for k, v in data.items() if v is not None or k == "user_id"})

    def find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                 is_enterprise_install: bool | None = False) -> Bot | None:
        """The bot of a workspace's installation."""
        found = self.find_installation(enterprise_id=enterprise_id, team_id=team_id,
                                       is_enterprise_install=is_enterprise_install)
        return found.to_bot() if found and found.bot_token else None

    def delete_installation(self, *, enterprise_id: str | None, team_id: str | None,
                            user_id: str | None = None) -> None:
        """The app was uninstalled from a workspace."""
        self.rows.delete("slack", _key(enterprise_id, team_id, False))

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """The bot was removed: its token is no use any more."""
        self.delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class StoreOAuthStateStore(OAuthStateStore):
    """Single-use OAuth states in the shared store (a replica may get the callback)."""

    def __init__(self, installations: Installations, expiration_seconds: int = 600) -> None:
        self.rows = installations
        self.expiration_seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        """slack-sdk's stores expose a logger."""
        return log

    def issue(self, *args: Any, **kwargs: Any) -> str:
        """A new state for one install attempt."""
        return self.rows.issue_state(self.expiration_seconds)

    def consume(self, state: str) -> bool:
        """True once for a state this app issued that has not expired."""
        return self.rows.consume_state(state)


Run = Callable[..., Awaitable[Any]]


class AsyncStoreInstallationStore(AsyncInstallationStore):
    """The same installations for bolt's AsyncApp: store work runs on the adapter's pool."""

    def __init__(self, store: StoreInstallationStore, run: Run) -> None:
        self.store, self._run = store, run

    @property
    def logger(self) -> logging.Logger:
        """slack-sdk's stores expose a logger."""
        return log

    async def async_save(self, installation: Installation) -> None:
        """Keep (or replace) a workspace's installation."""
        await self._run(self.store.save, installation)

    async def async_find_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                      user_id: str | None = None,
                                      is_enterprise_install: bool | None = False
                                      ) -> Installation | None:
        """The installation of a workspace (or org)."""
        return await self._run(lambda: self.store.find_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
            is_enterprise_install=is_enterprise_install))

    async def async_find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                             is_enterprise_install: bool | None = False) -> Bot | None:
        """The bot of a workspace's installation."""
        return await self._run(lambda: self.store.find_bot(
            enterprise_id=enterprise_id, team_id=team_id,
            is_enterprise_install=is_enterprise_install))

    async def async_delete_installation(self, *, enterprise_id: str | None,
                                        team_id: str | None, user_id: str | None = None) -> None:
        """The app was uninstalled from a workspace."""
        await self._run(lambda: self.store.delete_installation(enterprise_id=enterprise_id,
                                                               team_id=team_id))

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """The bot was removed."""
        await self._run(lambda: self.store.delete_bot(enterprise_id=enterprise_id,
                                                      team_id=team_id))


class AsyncStoreOAuthStateStore(AsyncOAuthStateStore):
    """Single-use OAuth states for bolt's AsyncApp."""

    def __init__(self, installations: Installations, run: Run,
                 expiration_seconds: int = 600) -> None:
        self.sync = StoreOAuthStateStore(installations, expiration_seconds)
        self._run = run

    @property
    def logger(self) -> logging.Logger:
        """slack-sdk's stores expose a logger."""
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new state for one install attempt."""
        return await self._run(self.sync.issue)

    async def async_consume(self, state: str) -> bool:
        """True once for a state this app issued that has not expired."""
        return await self._run(self.sync.consume, state)
