"""Opening the store for use: migrate, and load the bundled data into a new database."""

from __future__ import annotations

from pathlib import Path

from adapters.settings import Settings, default_db_path
from bot.commands import ShipBot
from bot.importer import bundled_data_files, import_files
from bot.learned import LearnedAliases
from bot.store import Store


def open_store(path: str | Path) -> Store:
    """Open the database at `path`, loading data/ into it when it holds no tools yet. The
    default location's folder is created on first use; any other must exist."""
    store = Store.open(path, create_folder=str(path) == str(default_db_path()))
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
    return ShipBot(store, LearnedAliases(store, settings.learn_users, settings.learn_workspaces,
                                         settings.learn_people),
                   stale_days=settings.stale_days, digest_when=str(settings.digest_time()))
