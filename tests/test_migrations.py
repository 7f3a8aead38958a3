"""Upgrading a database that an earlier shipbot wrote: the newest migration keeps its rows and
fills what the new features need, on both engines."""

from __future__ import annotations

from pathlib import Path

from bot.commands import ShipBot
from bot.models import Context
from bot.storage.engine import open_engine
from bot.storage.migrations import MIGRATIONS
from bot.store import SCHEMA_VERSION, Store


def _old_database(target: str, version: int) -> None:
    """A database at schema `version`, with a tool, a published comparison and a subscription
    written the way that version wrote them."""
    engine = open_engine(target)
    with engine.transaction():
        engine.schema_version()  # as migrate() does first: PostgreSQL keeps it in a table
        for number in range(version):
            MIGRATIONS[number](engine)
            engine.set_schema_version(number + 1)
        for tid, name in (("tool-a", "Tool A"), ("tool-b", "Tool B")):
            engine.execute("INSERT INTO tools (id, name, short_name, vendor, vendor_initial, "
                           "category, tagline, best_for, pricing_model, pricing_text, summary, "
                           "reviewed, updated_at) VALUES (?, ?, ?, '', '', 'Dev', '', '', '', '', "
                           "'', '', '2025-03-01T00:00:00+00:00')", [tid, name, name])
            engine.execute("INSERT INTO reviews (tool_id, persona, score, verdict, text, "
                           "position) VALUES (?, 'Builder', 80, 'ship', '', 0)", [tid])
        engine.execute("INSERT INTO comparisons (id, tool_ids, published, source) VALUES "
                       "('tool-a-vs-tool-b', '[\"tool-a\", \"tool-b\"]', '2025-02-01', 'A vs B')")
        engine.execute("INSERT INTO subscriptions (platform, workspace, channel, filter_json, "
                       "filter_text, created_by, created_at, active, disabled_reason, failures) "
                       "VALUES ('slack', 'T1', 'C1', '{}', 'everything', 'U1', "
                       "'2025-04-01T00:00:00+00:00', 1, '', 0)")
    engine.close()


def test_upgrade_from_version_6_keeps_rows_and_fills_new_columns(db_target: str) -> None:
    _old_database(db_target, 6)
    store = Store.open(db_target)
    try:
        assert SCHEMA_VERSION == store.db.schema_version()
        (sub,) = store.subscriptions.list()
        assert ("instant", "2025-04-01T00:00:00+00:00") == (sub.cadence, sub.digest_at)
        bot = ShipBot(store)
        ctx = Context(platform="slack", workspace="T1", channel="C1", user="U1")
        assert "Published 2025-02-01" in bot.handle("verdict tool a", ctx).footer
        assert bot.handle("compare tool a vs tool b", ctx).footer.startswith(
            "Stale · Published 2025-02-01")
        # the new tables work at once
        bot.handle("watch tool a", ctx)
        assert 1 == store.stats()["watches"]
    finally:
        store.close()


def test_another_programs_sqlite_file_is_refused(tmp_path: Path) -> None:
    """--db at some other program's database must not get shipbot's tables added (#16)."""
    import sqlite3

    from click.testing import CliRunner

    from shipbot.cli import cli

    other = tmp_path / "app.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER, name TEXT)")
    result = CliRunner().invoke(cli, ["--db", str(other), "stats"])
    assert 1 == result.exit_code
    assert "not a shipbot store" in result.output and "customers" in result.output
    with sqlite3.connect(other) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
    assert ["customers"] == tables
    for version in (-1,):
        odd = tmp_path / f"odd{version}.db"
        with sqlite3.connect(odd) as conn:
            conn.execute(f"PRAGMA user_version = {version}")
        out = CliRunner().invoke(cli, ["--db", str(odd), "stats"]).output
        assert "strange schema version (-1)" in out


def test_a_version_lower_than_the_tables_show_is_refused(tmp_path: Path) -> None:
    import sqlite3

    from click.testing import CliRunner

    from shipbot.cli import cli

    db = tmp_path / "s.db"
    assert 0 == CliRunner().invoke(cli, ["--db", str(db), "stats"]).exit_code
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 3")
    result = CliRunner().invoke(cli, ["--db", str(db), "stats"])
    assert 1 == result.exit_code and "holds tables of later versions" in result.output
