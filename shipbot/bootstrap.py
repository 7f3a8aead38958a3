"""Opening the store for use: migrate, and load the bundled data into a new database."""

from __future__ import annotations

from pathlib import Path

from bot.commands import ShipBot
from bot.config import Settings
from bot.learned import LearnedAliases
from bot.importer import bundled_data_files, import_files
from bot.store import Store


def open_store(path: str | Path) -> Store:
    """Open the database at `path`, loading data/ into it when it holds no tools yet."""
    store = Store.open(path)
    if store.catalog.is_empty():
        files = bundled_data_files()
        if files:
            import_files(store, files)
    return store


def open_bot(path: str | Path, settings: Settings | None = None) -> ShipBot:
    """A ready ShipBot over the database at `path`, learning aliases as `settings` say."""
    store = open_store(path)
    if settings is None:
        return ShipBot(store)
    return ShipBot(store, LearnedAliases(store, settings.learn_users, settings.learn_workspaces))
