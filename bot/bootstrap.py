"""Opening the store for use: migrate, and load the bundled data into a new database."""

from __future__ import annotations

from pathlib import Path

from bot.commands import ShipBot
from bot.importer import bundled_data_files, import_files
from bot.store import Store


def open_store(path: str | Path) -> Store:
    """Open the database at `path`, loading data/ into it when it holds no tools yet."""
    store = Store.open(path)
    if store.is_empty():
        files = bundled_data_files()
        if files:
            import_files(store, files)
    return store


def open_bot(path: str | Path) -> ShipBot:
    """A ready ShipBot over the database at `path`."""
    return ShipBot(open_store(path))
