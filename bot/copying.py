"""Copy a whole store into another (a SQLite file into PostgreSQL, when one machine is outgrown)."""

from __future__ import annotations

from bot.storage.engine import StoreError
from bot.store import Store

# Every table, parents before the rows that point at them.
TABLES = ("tools", "aliases", "reviews", "comparisons", "comparison_tools", "votes", "card_votes",
          "card_messages", "subscriptions", "publications", "deliveries", "seen_events",
          "alias_picks", "alias_blocks", "installations", "oauth_states", "watches", "decisions",
          "sources", "source_pages", "people", "meta")
# tables with auto-numbered ids
NUMBERED = ("subscriptions", "publications", "deliveries", "decisions", "sources")
# What a first `shipbot stats` (or any first use) writes into a new database: the bundled data.
CATALOG = ("tools", "aliases", "reviews", "comparisons", "comparison_tools")
_BATCH = 5000


def count_rows(store: Store, table: str) -> int:
    """Rows in one table."""
    return int(store.db.execute(f"SELECT COUNT(*) FROM {table}").rows[0][0])


def copy_store(source: Store, target: Store) -> dict[str, int]:
    """Copy every row of `source` into `target`, which must hold nothing yet, in one
    transaction; then check that every table holds as many rows on both sides. Returns the
    counts. Ids are kept, so deliveries still point at their subscriptions."""
    taken = [t for t in TABLES if t != "meta" and count_rows(target, t)]
    only_catalog = set(taken) <= set(CATALOG) and _tools_of(target) <= _tools_of(source)
    if taken and not only_catalog:
        raise StoreError(f"{target.path} already holds data ({', '.join(taken)}); copy into a "
                         "new, empty database")
    # One snapshot of the source (a store being written stays consistent: no row without
    # the rows it points at) and one transaction on the target, which a failure anywhere,
    # the final count check included, rolls back: the target is left as it was.
    try:
        with source.db.snapshot(), target.transaction():
            # A target that only holds the bundled data (a first `stats` loaded it) is as good
            # as empty: the source has those tools too, so they are replaced by its rows.
            for table in reversed(CATALOG if taken else ()):
                target.db.execute(f"DELETE FROM {table}")
            for table in TABLES:
                _copy_table(source, target, table)
            for table in NUMBERED:
                target.db.continue_numbering(table, "id")
            # The need index is derived from the tools: rebuilt, not copied (PostgreSQL's has
            # a generated column, SQLite's a trigger-fed FTS table).
            target.db.execute("DELETE FROM tool_search")
            target.needs.index_all()
            counts = {t: count_rows(source, t) for t in TABLES}
            copied = {t: count_rows(target, t) for t in TABLES}
            if copied != counts:
                wrong = [f"{t}: {counts[t]} -> {copied[t]}" for t in TABLES
                         if counts[t] != copied[t]]
                raise StoreError("the copy does not match the source: " + "; ".join(wrong))
    finally:
        target.catalog.forget()
    return counts


def _tools_of(store: Store) -> set[str]:
    return {r[0] for r in store.db.execute("SELECT id FROM tools").rows}


def _copy_table(source: Store, target: Store, table: str) -> None:
    """Every row of one table, in batches; meta rows replace the new database's own."""
    result = source.db.execute(f"SELECT * FROM {table}")
    columns = ", ".join(f'"{c}"' for c in result.columns)
    marks = ", ".join("?" * len(result.columns))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
    if table == "meta":
        sql += " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    for start in range(0, len(result.rows), _BATCH):
        target.db.executemany(sql, result.rows[start:start + _BATCH])
