"""#16: a store that cannot work (read-only, locked, full) is one line naming the cause in the
command line, the console and a running bot, never a traceback; nothing is changed."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.models import Context
from bot.storage.engine import store_failure
from shipbot.bootstrap import open_bot

CTX = Context(platform="slack", workspace="T1", channel="C1", user="U1", can_manage=True)


def _read_only(path: Path) -> sqlite3.Connection:
    """A real read-only SQLite connection to the file (root ignores file permissions)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                           check_same_thread=False)
    return conn


def test_real_sqlite_failures_are_named(tmp_path: Path) -> None:
    bot = open_bot(tmp_path / "s.db")
    bot.store.close()
    ro = _read_only(tmp_path / "s.db")
    with pytest.raises(sqlite3.OperationalError) as readonly:
        ro.execute("DELETE FROM votes")
    assert "read-only" in (store_failure(readonly.value) or "")
    holder = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(tmp_path / "s.db", timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError) as locked:
        waiter.execute("BEGIN IMMEDIATE")
    assert "locked by another process" in (store_failure(locked.value) or "")
    holder.execute("ROLLBACK")
    assert store_failure(ValueError("a bug")) is None  # anything else keeps its traceback


def test_a_read_only_store_in_a_running_bot_is_one_line_and_a_clear_card(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bot = open_bot(tmp_path / "s.db")
    # This thread's connection becomes a real read-only one, as on a read-only volume.
    bot.store.db._local.db.conn.close()  # type: ignore[attr-defined]
    import sqlite_utils

    bot.store.db._local.db = sqlite_utils.Database(_read_only(tmp_path / "s.db"))  # type: ignore[attr-defined]
    with caplog.at_level(logging.ERROR):
        card = bot.handle("vote claude ship", CTX)
    assert "error" == card.kind
    assert "database is read-only" in card.lines[0]
    assert "nothing was changed" in card.lines[1]
    failed = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert 1 == len(failed) and failed[0].exc_info is None  # one line, no traceback
    assert "read-only" in failed[0].getMessage()


def test_a_locked_store_in_the_command_line_is_one_line(tmp_path: Path) -> None:
    from tests.rigs import new_tool_file

    db = tmp_path / "s.db"
    open_bot(db).store.close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock throughout
    try:
        # `shipbot import` as installed, waiting 0.2 s for the lock instead of 30 s
        done = subprocess.run(
            [sys.executable, "-c", "import sys, bot.storage.engine as e; e.BUSY_SECONDS = 0.2; "
             "from shipbot.cli import main; main()",
             "--db", str(db), "import", str(new_tool_file(tmp_path))],
            capture_output=True, text=True, timeout=120)
    finally:
        holder.execute("ROLLBACK")
    assert 1 == done.returncode, done.stderr
    assert "Traceback" not in done.stderr
    assert "locked by another process" in done.stderr
    assert 1 == len([line for line in done.stderr.splitlines() if line.strip()])
