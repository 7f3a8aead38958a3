"""`shipbot copy --to`: a whole SQLite store moves into a new database with every row."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.copying import TABLES, count_rows
from bot.models import Context
from bot.store import CardRef, Store, StoreError
from shipbot.bootstrap import open_bot
from shipbot.cli import cli
from tests.conftest import AZURE, CLAUDE, dump


def _busy_source(path: Path) -> Store:
    """A SQLite store with something in every table a user fills."""
    bot = open_bot(path)
    ctx = Context(platform="slack", workspace="T1", channel="C1", user="U1", can_manage=True)
    bot.handle("vote claude ship", ctx)
    card = CardRef("slack", "T1", "C1", "1.1", "compare", (CLAUDE, AZURE))
    bot.store.cards.remember_card(card)
    bot.voting.card_reaction(ctx.model_copy(update={"user": "U2"}), card, 1, added=True, at=5.0)
    bot.handle("subscribe", ctx)
    bot.store.outbox.queue("s", [CLAUDE], "{}", [1])
    bot.store.installations.save("slack", "T9", '{"bot_token": "xoxb-9"}')
    bot.learned.record_pick("slack", "T1", "U1", "clod", CLAUDE)
    bot.store.votes.first_sighting("slack", "Ev1")
    return bot.store


def test_copy_moves_every_row_and_checks_the_counts(tmp_path: Path, db_target: str) -> None:
    source = _busy_source(tmp_path / "source.db")
    result = CliRunner().invoke(cli, ["--db", source.location, "copy", "--to", db_target])
    assert 0 == result.exit_code, result.output
    assert "every table matches" in result.output
    copied = Store.open(db_target)
    try:
        assert {t: count_rows(source, t) for t in TABLES} == {t: count_rows(copied, t)
                                                              for t in TABLES}
        assert dump(source) == dump(copied)
        assert {CLAUDE: (1, 0), AZURE: (1, 0)} == copied.votes.community([CLAUDE, AZURE])
        # New rows are numbered after the copied ones.
        sub, new = copied.subscriptions.add("slack", "T1", "C2", "{}", "everything", "U3")
        assert new and sub.id == 2
    finally:
        copied.close()


def test_copy_refuses_a_database_that_holds_data(tmp_path: Path, db_target: str) -> None:
    source = _busy_source(tmp_path / "source.db")
    target = open_bot(db_target)
    target.handle("vote azure skip", Context(platform="slack", workspace="T2", channel="C",
                                             user="U7"))  # a person's data: not to be lost
    target.store.close()
    result = CliRunner().invoke(cli, ["--db", source.location, "copy", "--to", db_target])
    assert 1 == result.exit_code
    assert "already holds data (tools, aliases, reviews, comparisons, comparison_tools, " \
        "votes" in result.output


def test_copy_onto_a_store_holding_only_the_bundled_data(tmp_path: Path,
                                                         db_target: str) -> None:
    """#16: a first `stats` on the new database loaded the bundled data, and copy refused it.
    Only the bundled catalog there: it is replaced by the source's rows."""
    source = _busy_source(tmp_path / "source.db")
    open_bot(db_target).store.close()  # the bundled catalog is already there
    result = CliRunner().invoke(cli, ["--db", source.location, "copy", "--to", db_target])
    assert 0 == result.exit_code, result.output
    copied = Store.open(db_target)
    try:
        assert dump(source) == dump(copied)
    finally:
        copied.close()


def test_copy_of_a_store_being_written_is_one_consistent_snapshot(
        tmp_path: Path, db_target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """#16: a subscription and its delivery written while the copy runs (after subscriptions
    were copied, before deliveries) are either both in the copy or neither: no dangling row,
    no foreign-key traceback, and the counts match the snapshot."""
    from bot import copying

    source = _busy_source(tmp_path / "source.db")
    copy_table = copying._copy_table
    wrote: list[int] = []

    def meanwhile(src: Store, dst: Store, table: str) -> None:
        copy_table(src, dst, table)
        if table == "subscriptions" and not wrote:
            def write() -> None:  # another process's write, on a connection of its own
                other = Store.open(source.location)
                sub, _ = other.subscriptions.add("slack", "T1", "C-NEW", "{}", "everything", "U")
                wrote.append(other.outbox.queue("late", [CLAUDE], "{}", [sub.id]))
                other.close()
            thread = threading.Thread(target=write)
            thread.start()
            thread.join(30)

    monkeypatch.setattr(copying, "_copy_table", meanwhile)
    target = Store.open(db_target)
    try:
        counts = copying.copy_store(source, target)
        assert wrote, "the write during the copy did not happen"
        assert 1 == counts["subscriptions"] and 1 == counts["deliveries"]
        orphans = target.db.execute(
            "SELECT COUNT(*) FROM deliveries d WHERE d.subscription_id IS NOT NULL AND NOT "
            "EXISTS (SELECT 1 FROM subscriptions s WHERE s.id = d.subscription_id)").rows[0][0]
        assert 0 == orphans
        assert 2 == count_rows(source, "subscriptions")  # the source has it; the copy, as of before
    finally:
        target.close()


def test_a_failed_copy_leaves_the_target_as_it_was(tmp_path: Path, db_target: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import copying

    source = _busy_source(tmp_path / "source.db")
    monkeypatch.setattr(copying, "count_rows", lambda store, table: 7 if store is source else 0)
    target = Store.open(db_target)
    try:
        with pytest.raises(StoreError, match="does not match"):
            copying.copy_store(source, target)
        assert 0 == target.db.execute("SELECT COUNT(*) FROM votes").rows[0][0]
        assert 0 == target.db.execute("SELECT COUNT(*) FROM subscriptions").rows[0][0]
    finally:
        target.close()
