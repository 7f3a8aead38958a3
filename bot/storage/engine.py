"""The one small place where SQLite and PostgreSQL differ: connecting, parameters, a few words.
It holds both engines side by side (over ~300 lines) so that each difference is read next to
its counterpart.

Every statement in the store is written once, in SQL both engines accept (`?` parameters,
`INSERT ... ON CONFLICT`, `RETURNING`); the PostgreSQL engine rewrites `?` to `%s`. What does
differ (how a transaction takes the write lock, where the schema version lives, string
aggregation, an auto-numbered key) is a method or attribute here.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlite_utils

Params = Sequence[Any]
_MIGRATION_LOCK = 7_215_001  # PostgreSQL advisory lock id: one replica migrates at a time


BUSY_SECONDS = 30.0  # how long SQLite waits for another process's write lock


class StoreError(Exception):
    """The database cannot be used (newer schema, unreadable file, unreachable server)."""


class Result:
    """A statement's rows (fetched at once) and how many rows it changed."""

    def __init__(self, rows: list[tuple[Any, ...]], columns: list[str], rowcount: int) -> None:
        self.rows = rows
        self.columns = columns
        self.rowcount = rowcount

    def fetchone(self) -> tuple[Any, ...] | None:
        """The first row, or None."""
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        """Every row."""
        return list(self.rows)

    def dicts(self) -> list[dict[str, Any]]:
        """Every row as a column -> value dict."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)


class Engine(ABC):
    """A connection source for one database, safe to share between threads."""

    dialect: str
    reads_wait: bool  # whether a read can wait (on a server, a lock): then off the event loop
    serial_key: str  # DDL for an auto-numbered integer primary key
    target: str  # the file or URL, without secrets, for messages
    location: str  # the file or URL to open it again (a URL may hold a password: never log it)

    def __init__(self) -> None:
        self._local = threading.local()

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> Result:
        """Run one statement (in the current transaction, if this thread has one)."""

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for each row of parameters (bulk loads)."""

    def query(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        """Rows as dicts."""
        return self.execute(sql, params).dicts()

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[Engine]:
        """All-or-nothing work that reads then writes; nests as a savepoint."""

    @abstractmethod
    @contextmanager
    def snapshot(self) -> Iterator[Engine]:
        """Reads that all see the database as of one moment (a copy of a store being written),
        without holding off writers."""

    @property
    def versions(self) -> dict[str, int] | None:
        """This thread's reading of the meta counters, while a command holds one."""
        return getattr(self._local, "versions", None)

    @versions.setter
    def versions(self, value: dict[str, int] | None) -> None:
        self._local.versions = value

    def bump(self, key: str) -> None:
        """Move a meta version counter on, in the current transaction: every cache kept on it
        (bot.storage.versioned), in every replica, is rebuilt on its next read."""
        self.execute("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) "
                     "WHERE key = ?", [key])

    def meta_counter(self, key: str) -> int:
        """A meta counter: from this thread's reading if there is one, else the database."""
        held = self.versions
        if held is not None and key in held:
            return held[key]
        row = self.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return int(row[0]) if row else 0

    @property
    def in_transaction(self) -> bool:
        """True while this thread is inside `transaction()`."""
        return getattr(self._local, "depth", 0) > 0

    @abstractmethod
    def schema_version(self) -> int:
        """The migration number the database is at."""

    @abstractmethod
    def set_schema_version(self, version: int) -> None:
        """Record the migration number (inside the migrating transaction)."""

    @abstractmethod
    def table_names(self) -> list[str]:
        """The tables of this database (SQLite) or schema (PostgreSQL)."""

    @abstractmethod
    def lock(self, key: str) -> None:
        """Inside a transaction: wait until no other transaction holds `key`, then hold it
        until this one ends (serializes read-then-write work on one thing)."""

    @abstractmethod
    def lock_for_migration(self) -> None:
        """Inside a transaction: make other processes wait until this migration commits."""

    @abstractmethod
    def group_concat(self, expression: str, separator: str) -> str:
        """SQL aggregating text values with a separator."""

    @abstractmethod
    def continue_numbering(self, table: str, column: str) -> None:
        """After rows were inserted with their own ids, number new rows after the largest."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""


class SqliteEngine(Engine):
    """One file in WAL mode, a connection per thread (sqlite3 connections are not shared)."""

    dialect = "sqlite"
    # In WAL mode a read never waits for a writer: short reads may run on the event loop.
    reads_wait = False
    serial_key = "INTEGER PRIMARY KEY"

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = str(path)
        self.target = self.location = self.path
        self._all: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._writer = threading.Lock()  # one writing thread at a time in this process

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection, opened on first use."""
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                # isolation_level=None: statements autocommit unless transaction() says BEGIN.
                conn = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None,
                                       check_same_thread=False)
                db = sqlite_utils.Database(conn)
                db.enable_wal()
                # WAL + NORMAL survives a killed process intact; only an OS crash or power
                # cut can lose the last commits. FULL would fsync every vote.
                conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"cannot open database {self.path}: {exc}") from exc
            self._local.db = db
            with self._guard:
                self._all.append(conn)
        return db

    def execute(self, sql: str, params: Params = ()) -> Result:
        """Run one statement on this thread's connection. A write outside a transaction takes
        the process's write lock (see transaction())."""
        if self.in_transaction or sql.lstrip()[:6].upper() == "SELECT":
            return self._run(sql, params)
        with self._writer:
            return self._run(sql, params)

    def _run(self, sql: str, params: Params) -> Result:
        cursor = self.db.conn.execute(sql, list(params))
        columns = [d[0] for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall() if cursor.description else []
        return Result(rows, columns, cursor.rowcount)

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """sqlite3's executemany."""
        self.db.conn.executemany(sql, (list(r) for r in rows))

    @contextmanager
    def snapshot(self) -> Iterator[Engine]:
        """A deferred read transaction: in WAL mode its first read fixes what every later
        read sees, while writers go on."""
        conn = self.db.conn
        conn.execute("BEGIN")
        try:
            conn.execute("SELECT COUNT(*) FROM meta").fetchone()  # the snapshot starts here
            yield self
        finally:
            conn.execute("ROLLBACK")

    @contextmanager
    def transaction(self) -> Iterator[Engine]:
        """BEGIN IMMEDIATE takes the write lock up front, so another process's commit cannot
        invalidate what was read (a deferred transaction would fail with "database is locked"
        instead of waiting for the busy timeout). Nested calls are savepoints."""
        conn = self.db.conn
        depth = getattr(self._local, "depth", 0)
        if not depth:
            # Threads of this process queue here for the write lock, instead of in SQLite's
            # busy handler, which sleeps in steps of milliseconds between tries.
            self._writer.acquire()
        name = f"sp{depth}"
        try:
            conn.execute(f"SAVEPOINT {name}" if depth else "BEGIN IMMEDIATE")
            self._local.depth = depth + 1
            try:
                yield self
            except BaseException:
                # SQLite may already have rolled back (a full disk, an I/O error): then
                # ROLLBACK fails with "cannot rollback", which must not hide the real error.
                with suppress(sqlite3.Error):
                    conn.execute(f"ROLLBACK TO {name}" if depth else "ROLLBACK")
                    if depth:
                        conn.execute(f"RELEASE {name}")
                raise
            else:
                conn.execute(f"RELEASE {name}" if depth else "COMMIT")
            finally:
                self._local.depth = depth
        finally:
            if not depth:
                self._writer.release()

    def schema_version(self) -> int:
        """PRAGMA user_version, where SQLite keeps it."""
        try:
            return int(self.execute("PRAGMA user_version").rows[0][0])
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"not a shipbot database ({self.path}): {exc}") from exc

    def table_names(self) -> list[str]:
        """sqlite_master's tables (SQLite's own are left out)."""
        return [r[0] for r in self.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                           "AND name NOT LIKE 'sqlite_%'").rows]

    def set_schema_version(self, version: int) -> None:
        """PRAGMA user_version = N."""
        self.execute(f"PRAGMA user_version = {int(version)}")

    def lock(self, key: str) -> None:
        """BEGIN IMMEDIATE already serializes every writing transaction."""

    def lock_for_migration(self) -> None:
        """BEGIN IMMEDIATE already holds the write lock."""

    def group_concat(self, expression: str, separator: str) -> str:
        """group_concat(x, sep)."""
        return f"group_concat({expression}, '{separator}')"

    def continue_numbering(self, table: str, column: str) -> None:
        """An INTEGER PRIMARY KEY always continues after the largest id."""

    def close(self) -> None:
        """Close this thread's connection (others close with their threads)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None


@lru_cache(maxsize=1024)
def _pyformat(sql: str) -> str:
    """`?` parameters as psycopg's `%s` (a literal `%` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PostgresEngine(Engine):
    """A pool of psycopg connections to one PostgreSQL database, shared by every thread (up to
    20: the store threads, the dispatchers and the Discord vote thread each may hold one)."""

    dialect = "postgres"
    reads_wait = True  # every read is a round trip to the server
    serial_key = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"

    def __init__(self, url: str, max_size: int = 20) -> None:
        super().__init__()
        try:
            from psycopg_pool import ConnectionPool
        except ImportError as exc:
            raise StoreError("a postgresql:// database needs psycopg: "
                             "pip install 'shipbot[postgres]'") from exc
        import psycopg

        url = _lower_scheme(url)
        self.location = url
        self.target = display_url(url)
        _SECRETS.update(_secrets_of(url))  # scrubbed from psycopg's own log lines too
        try:
            # One connection first: a wrong host, port, database or password fails at once
            # with the server's reason, instead of the pool retrying for 30 s in warnings.
            psycopg.connect(url, connect_timeout=10, autocommit=True).close()
            self.pool = ConnectionPool(url, min_size=1, max_size=max_size, open=True, timeout=30,
                                       kwargs={"autocommit": True})
            self.pool.wait(timeout=30)
        except Exception as exc:  # the message may carry the URL: never show its secrets
            raise StoreError(f"cannot connect to {self.target}: "
                             f"{scrub(str(exc).strip(), url)}") from None

    def execute(self, sql: str, params: Params = ()) -> Result:
        """Run one statement: on this thread's transaction, else on a pooled connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return self._run(conn, sql, params)
        with self.pool.connection() as pooled:
            return self._run(pooled, sql, params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """psycopg's executemany (pipelined), in this thread's transaction if it has one."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.cursor().executemany(_pyformat(sql), [list(r) for r in rows])
            return
        with self.pool.connection() as pooled, pooled.transaction():
            pooled.cursor().executemany(_pyformat(sql), [list(r) for r in rows])

    @staticmethod
    def _run(conn: Any, sql: str, params: Params) -> Result:
        cursor = conn.execute(_pyformat(sql), list(params))
        columns = [d.name for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall() if cursor.description else []
        return Result(rows, columns, cursor.rowcount)

    @contextmanager
    def transaction(self) -> Iterator[Engine]:
        """One pooled connection for the whole transaction; nested calls are savepoints.
        Rows read for update are locked with FOR UPDATE where it matters (the outbox)."""
        conn = getattr(self._local, "conn", None)
        depth = getattr(self._local, "depth", 0)
        if conn is not None:
            self._local.depth = depth + 1
            try:
                with conn.transaction():
                    yield self
            finally:
                self._local.depth = depth
            return
        with self.pool.connection() as pooled, self._holding(pooled):
            yield self

    @contextmanager
    def snapshot(self) -> Iterator[Engine]:
        """A REPEATABLE READ, READ ONLY transaction on one pooled connection: every read sees
        the database as of its first."""
        import psycopg

        with self.pool.connection() as pooled:
            pooled.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            pooled.read_only = True
            try:
                with self._holding(pooled):
                    yield self
            finally:
                pooled.isolation_level = pooled.read_only = None

    @contextmanager
    def _holding(self, pooled: Any) -> Iterator[Engine]:
        """This thread's statements go to `pooled`, in one transaction, until the block ends."""
        self._local.conn, self._local.depth = pooled, 1
        try:
            with pooled.transaction():
                yield self
        finally:
            self._local.conn, self._local.depth = None, 0

    def schema_version(self) -> int:
        """The number in the schema_version table (created on first use)."""
        self.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self.execute("SELECT version FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    def table_names(self) -> list[str]:
        """The tables of the schema connections use (the first on the search path)."""
        return [r[0] for r in self.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema()").rows]

    def set_schema_version(self, version: int) -> None:
        """Replace the recorded number."""
        self.execute("DELETE FROM schema_version")
        self.execute("INSERT INTO schema_version (version) VALUES (?)", [version])

    def lock(self, key: str) -> None:
        """A transaction-scoped advisory lock on the key's hash (READ COMMITTED would let two
        transactions read the same state and both write)."""
        self.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", [key])

    def lock_for_migration(self) -> None:
        """A transaction-scoped advisory lock: a second replica waits, then sees it done."""
        self.execute("SELECT pg_advisory_xact_lock(?)", [_MIGRATION_LOCK])

    def group_concat(self, expression: str, separator: str) -> str:
        """string_agg(x, sep)."""
        return f"string_agg({expression}, '{separator}')"

    def continue_numbering(self, table: str, column: str) -> None:
        """Move the identity sequence past the largest id copied in."""
        self.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                     f"COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)")

    def close(self) -> None:
        """Close every pooled connection."""
        self.pool.close()


_SECRETS: set[str] = set()  # passwords of the URLs this process opened


def _lower_scheme(url: str) -> str:
    """`POSTGRESQL://...` as libpq reads it (it only knows the lower-case scheme)."""
    scheme, sep, rest = url.partition("://")
    return scheme.lower() + sep + rest


def _split(url: str) -> tuple[str, str, str, str]:
    """(scheme, user, password, host and path) of a URL, by hand: the password is everything
    between the user's `:` and the last `@` (a password may hold `@`, `:` or spaces)."""
    scheme, _, rest = url.partition("://")
    rest = rest.split("?", 1)[0]
    userinfo, at, hostpart = rest.rpartition("@")
    if not at:
        return scheme, "", "", rest
    user, _, password = userinfo.partition(":")
    return scheme, user, password, hostpart


def _secrets_of(url: str) -> set[str]:
    """Every text in `url` that may be a password: in the user part, or `password=` in the
    query (libpq takes both), as written and as libpq decodes it."""
    found = {_split(url)[2]}
    found.update(re.findall(r"[?&]password=([^&]*)", url))
    try:
        from psycopg.conninfo import conninfo_to_dict

        found.add(str(conninfo_to_dict(url).get("password") or ""))
    except Exception:  # an unparseable URL: the raw parts above are all there is
        pass
    return {f for f in found if f}


# What SQLite and PostgreSQL say when the store itself cannot work, and what that means.
_CAUSES = (("readonly database", "the database is read-only: check the permissions of the "
                                 "file and its folder, or the database user's rights"),
           ("read-only transaction", "the database is read-only for this user"),
           ("permission denied", "the database user may not write here"),
           ("database is locked", "the database is locked by another process (a long import "
                                  "or copy?); try again when it has finished"),
           ("disk is full", "the disk holding the database is full"),
           ("no space left", "the disk holding the database is full"),
           ("disk i/o error", "the disk holding the database failed to read or write"),
           ("unable to open database", "the database file cannot be opened"),
           ("malformed", "the database file is damaged; restore a backup"))


def store_failure(exc: BaseException) -> str | None:
    """One line naming why the store failed, for a database error that is about the store
    itself (read-only, locked, full, unreachable); None for anything else (a bug: traceback)."""
    import psycopg

    if isinstance(exc, StoreError):
        return str(exc)
    if not isinstance(exc, sqlite3.Error | psycopg.Error):
        return None
    text = str(exc).lower()
    for needle, meaning in _CAUSES:
        if needle in text:
            return meaning
    if isinstance(exc, psycopg.OperationalError):
        return "the PostgreSQL server could not be reached or closed the connection"
    return None


def display_url(url: str) -> str:
    """A URL as shipbot shows and logs it: scheme, user, host and database; never a password,
    never the query (it may carry `password=`)."""
    scheme, user, _, hostpart = _split(url)
    return f"{scheme.lower()}://{user + '@' if user else ''}{hostpart}"


def scrub(text: str, url: str = "") -> str:
    """`text` (an error or log line) with the URL shown as display_url and every password this
    process knows replaced by ***."""
    if url:
        text = text.replace(url, display_url(url))
    for secret in sorted(_SECRETS | (_secrets_of(url) if url else set()), key=len,
                         reverse=True):
        text = text.replace(secret, "***")
    return text


class _ScrubSecrets(logging.Filter):
    """psycopg's pool logs connection failures with the connection string: scrub them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _SECRETS:
            record.msg, record.args = scrub(record.getMessage()), None
        return True


for _name in ("psycopg", "psycopg.pool"):
    logging.getLogger(_name).addFilter(_ScrubSecrets())


def is_url(target: str | Path) -> bool:
    """True for a postgresql:// (or postgres://) URL, in any case."""
    return str(target).lower().startswith(("postgresql://", "postgres://"))


def open_engine(target: str | Path) -> Engine:
    """A PostgreSQL engine for a URL, else SQLite on the file (its folder must exist)."""
    if is_url(target):
        return PostgresEngine(str(target))
    if str(target) == ":memory:":
        raise StoreError("shipbot needs a database file, not :memory:")
    return SqliteEngine(target)
