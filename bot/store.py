"""The store: one database (a SQLite file, or PostgreSQL for replicas), split by what it keeps.

`Store.open(target)` takes a file path or a `postgresql://` URL, migrates the database, and
offers its parts: `catalog` (tools, aliases, reviews, comparisons), `votes` (and the event ids
already counted), `cards` (posted card messages), `subscriptions`, `outbox` (publications
and deliveries), `picks` (did-you-mean picks that teach aliases), `installations` (the
app's token per workspace), `watches` (people's tools), `decisions` (channels' choices),
`sources` (followed sites), `people` (which voters are bots) and `needs` (the full-text
index of what each tool is for).
Each part is a small class over the same engine; the store itself decides nothing
(bot.decision does).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.storage.cards import CardMessages, CardRef
from bot.storage.catalog import Catalog, ImportResult
from bot.storage.clock import utcnow
from bot.storage.decisions import ChannelDecision, Decisions
from bot.storage.engine import Engine, StoreError, is_url, open_engine, store_failure
from bot.storage.installations import Installations
from bot.storage.migrations import MIGRATIONS, migrate
from bot.storage.needs import NeedIndex, ensure_fts
from bot.storage.outbox import Outbox, reminder_subject
from bot.storage.people import People
from bot.storage.picks import AliasPicks
from bot.storage.sources import Sources
from bot.storage.subscriptions import Subscriptions
from bot.storage.votes import Votes
from bot.storage.watches import Watches

__all__ = ["SCHEMA_VERSION", "CardRef", "ChannelDecision", "ImportResult", "Store",
           "StoreError", "store_failure", "utcnow"]

SCHEMA_VERSION = len(MIGRATIONS)


class Store:
    """Every persistent part of shipbot over one database engine."""

    def __init__(self, engine: Engine) -> None:
        self.db = engine
        migrate(engine)
        ensure_fts(engine)
        self.catalog = Catalog(engine)
        self.votes = Votes(engine)
        self.cards = CardMessages(engine)
        self.subscriptions = Subscriptions(engine)
        self.outbox = Outbox(engine)
        self.picks = AliasPicks(engine)
        self.installations = Installations(engine)
        self.watches = Watches(engine)
        self.decisions = Decisions(engine)
        self.sources = Sources(engine)
        self.people = People(engine)
        self.needs = NeedIndex(engine)

    @classmethod
    def open(cls, target: str | Path, create_folder: bool = False) -> Store:
        """Open (creating and migrating if needed) a SQLite file or a PostgreSQL URL. A file's
        folder must exist, unless `create_folder` (the default location's is made on first use):
        a mistyped --db should not quietly make folders."""
        if not is_url(target) and str(target) != ":memory:":
            folder = Path(target).parent
            if create_folder:
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(f"cannot create the database folder {folder} "
                                     f"({exc.strerror or exc}); set SHIPBOT_DB or pass --db "
                                     "to put the database elsewhere") from None
            elif not folder.is_dir():
                raise StoreError(f"cannot create the database {target}: the folder {folder} "
                                 "does not exist")
        engine = open_engine(target)
        try:
            return cls(engine)
        except BaseException:
            engine.close()
            raise

    @property
    def path(self) -> str:
        """The database file, or the URL without its password (for messages)."""
        return self.db.target

    @property
    def location(self) -> str:
        """What opens this database again: the file, or the whole URL (never log it)."""
        return self.db.location

    @contextmanager
    def transaction(self) -> Iterator[Engine]:
        """All-or-nothing work across parts; nests as a savepoint."""
        try:
            with self.db.transaction() as db:
                yield db
        except BaseException:
            self.catalog.forget()  # tools read inside a rolled-back import must not linger
            raise

    @contextmanager
    def one_read_of_versions(self) -> Iterator[None]:
        """For one command: read the catalog, alias and decision versions once, together, and
        let every part use that reading (each is otherwise its own round trip)."""
        rows = dict(self.db.execute("SELECT key, value FROM meta WHERE key IN "
                                    "('catalog_version', 'aliases_version', "
                                    "'decisions_version')").rows)
        self.db.versions = {k: int(v) for k, v in rows.items()}
        try:
            yield
        finally:
            self.db.versions = None

    def close(self) -> None:
        """Close connections (this thread's, for SQLite; the pool, for PostgreSQL)."""
        self.db.close()

    def unsubscribe(self, platform: str, workspace: str, channel: str,
                    sub_id: int | None) -> int:
        """Remove one (or all) of a channel's subscriptions and exactly their queued
        deliveries, together; how many subscriptions."""
        with self.transaction():
            ids = self.subscriptions.remove(platform, workspace, channel, sub_id)
            self.outbox.cancel_for_subscriptions(ids)
        return len(ids)

    def unwatch(self, platform: str, workspace: str, user: str, tool_id: str) -> bool:
        """Stop a watch and cancel the DMs queued for it that no other watch stands behind."""
        with self.transaction():
            gone = self.watches.remove(platform, workspace, user, tool_id)
            still = {t for t, _ in self.watches.of(platform, workspace, user)}
            self.outbox.cancel_dms(platform, workspace, user, tool_id, still)
        return gone

    def undecide(self, decision_id: int) -> bool:
        """Remove a decision and its reminder, if one is queued and not yet sent."""
        with self.transaction():
            gone = self.decisions.remove(decision_id)
            self.outbox.cancel_subject(reminder_subject(decision_id))
        return gone

    def forget_workspace(self, platform: str, workspace: str, reason: str) -> dict[str, int]:
        """A workspace or server removed the bot: its tokens are deleted, its subscriptions
        disabled with `reason`, its watches removed and every delivery still queued to it
        failed with `reason`, in one transaction. Votes (part of the community counts),
        decisions and card records are kept. Returns what changed, for the log."""
        with self.transaction():
            self.installations.delete(platform, workspace)
            self.people.forget_workspace(platform, workspace)
            return {"subscriptions": self.subscriptions.disable_workspace(platform, workspace,
                                                                          reason),
                    "watches": self.watches.remove_workspace(platform, workspace),
                    "deliveries": self.outbox.fail_workspace(platform, workspace, reason)}

    def stats(self) -> dict[str, int]:
        """Counts of the things a user adds: tools, reviews, comparisons, votes, subscriptions."""
        def count(table: str) -> int:
            return int(self.db.execute(f"SELECT COUNT(*) FROM {table}").rows[0][0])

        return {"tools": count("tools"), "reviews": count("reviews"),
                "comparisons": count("comparisons"), "votes": self.votes.count(),
                "subscriptions": count("subscriptions"), "watches": count("watches"),
                "decisions": count("decisions")}
