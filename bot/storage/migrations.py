"""Numbered schema migrations, the same on SQLite and PostgreSQL, applied in order on open.

Each is a function of the engine, run inside one transaction with the migration lock held; the
number reached is recorded in the database, and a database newer than this code is refused.
Types are ones both engines read the same way: TEXT, INTEGER, BIGINT, DOUBLE PRECISION; the
column `user`, a reserved word in PostgreSQL, is always written "user" (SQLite reads it alike).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.storage.catalog import refresh_tool_dates
from bot.storage.clock import utcnow
from bot.storage.engine import Engine, StoreError
from bot.storage.needs import NeedIndex, create_index

Migration = Callable[[Engine], None]
MIGRATIONS: list[Migration] = []
migration = MIGRATIONS.append


def _run(engine: Engine, *statements: str) -> None:
    for sql in statements:
        engine.execute(sql.replace("{serial}", engine.serial_key))


@migration
def m001_initial(engine: Engine) -> None:
    """Tools, aliases, reviews, comparisons, votes, card messages, subscriptions, deliveries."""
    _run(
        engine,
        "CREATE TABLE tools (id TEXT PRIMARY KEY, name TEXT, short_name TEXT, vendor TEXT, "
        "vendor_initial TEXT, category TEXT, tagline TEXT, best_for TEXT, pricing_model TEXT, "
        "pricing_text TEXT, summary TEXT, reviewed TEXT, updated_at TEXT)",
        "CREATE TABLE aliases (alias TEXT, tool_id TEXT, PRIMARY KEY (alias, tool_id))",
        "CREATE INDEX idx_aliases_tool_id ON aliases (tool_id)",
        "CREATE TABLE reviews (tool_id TEXT, persona TEXT, score INTEGER, verdict TEXT, "
        "text TEXT, PRIMARY KEY (tool_id, persona))",
        "CREATE TABLE comparisons (id TEXT PRIMARY KEY, tool_ids TEXT, published TEXT, "
        "source TEXT)",
        'CREATE TABLE votes (platform TEXT, workspace TEXT, "user" TEXT, tool_id TEXT, '
        'choice TEXT, updated_at TEXT, PRIMARY KEY (platform, workspace, "user", tool_id))',
        "CREATE INDEX idx_votes_tool_id_choice ON votes (tool_id, choice)",
        "CREATE TABLE card_messages (platform TEXT, channel TEXT, message_id TEXT, "
        "workspace TEXT, kind TEXT, tool_ids TEXT, created_at TEXT, "
        "PRIMARY KEY (platform, channel, message_id))",
        "CREATE TABLE subscriptions (id {serial}, platform TEXT, workspace TEXT, channel TEXT, "
        "filter_json TEXT, filter_text TEXT, created_by TEXT, created_at TEXT, active INTEGER, "
        "disabled_reason TEXT, failures INTEGER)",
        "CREATE UNIQUE INDEX idx_subscriptions_key ON subscriptions "
        "(platform, workspace, channel, filter_text)",
        "CREATE TABLE publications (id {serial}, subject TEXT, tool_ids TEXT, card_json TEXT, "
        "created_at TEXT)",
        "CREATE TABLE deliveries (id {serial}, publication_id BIGINT REFERENCES publications "
        "(id), subscription_id BIGINT, platform TEXT, workspace TEXT, channel TEXT, status TEXT, "
        "attempts INTEGER, next_attempt_at DOUBLE PRECISION, claimed_until DOUBLE PRECISION, "
        "last_error TEXT, message_id TEXT, created_at TEXT, sent_at TEXT)",
        "CREATE INDEX idx_deliveries_due ON deliveries (status, platform, next_attempt_at)",
        "CREATE UNIQUE INDEX idx_deliveries_once ON deliveries "
        "(subscription_id, publication_id)",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
        "INSERT INTO meta (key, value) VALUES ('catalog_version', '0')",
    )


@migration
def m002_seen_events(engine: Engine) -> None:
    """Platform event ids already handled, so a retried delivery is not counted twice."""
    _run(engine, "CREATE TABLE seen_events (platform TEXT, event_id TEXT, seen_at TEXT, "
                 "PRIMARY KEY (platform, event_id))")


@migration
def m003_alias_picks(engine: Engine) -> None:
    """Did-you-mean picks (one per person and typed words) from which aliases are learned, and
    the learned aliases an operator removed, which are never learned again."""
    _run(
        engine,
        'CREATE TABLE alias_picks (platform TEXT, workspace TEXT, "user" TEXT, words TEXT, '
        'typed TEXT, tool_id TEXT, picked_at TEXT, PRIMARY KEY (platform, workspace, "user", '
        "words))",
        "CREATE INDEX idx_alias_picks_words ON alias_picks (words, tool_id)",
        "CREATE TABLE alias_blocks (words TEXT, tool_id TEXT, removed_by TEXT, removed_at TEXT, "
        "PRIMARY KEY (words, tool_id))",
        "INSERT INTO meta (key, value) VALUES ('aliases_version', '0')",
    )


@migration
def m004_review_order(engine: Engine) -> None:
    """Reviews keep the order they were imported in (PostgreSQL has no rowid to sort by)."""
    _run(engine, "ALTER TABLE reviews ADD COLUMN position INTEGER NOT NULL DEFAULT 0")
    if engine.dialect == "sqlite":  # rows stored before this migration: their insertion order
        _run(engine, "UPDATE reviews SET position = rowid")


@migration
def m005_installations(engine: Engine) -> None:
    """Platform installations (an app's token per workspace, kept as the platform's JSON) and
    pending OAuth states, in the shared store so that every replica sees every install."""
    _run(
        engine,
        "CREATE TABLE installations (platform TEXT, workspace TEXT, data TEXT, "
        "installed_at TEXT, PRIMARY KEY (platform, workspace))",
        "CREATE TABLE oauth_states (state TEXT PRIMARY KEY, expires_at DOUBLE PRECISION)",
    )


@migration
def m006_ordered_votes(engine: Engine) -> None:
    """Votes in the platform's own order, not arrival order: every change carries the
    platform's time; the latest change per person and card option is kept (a removal too), so
    an older change that arrives later changes nothing, on whichever replica it lands."""
    _run(
        engine,
        "ALTER TABLE votes ADD COLUMN ts DOUBLE PRECISION NOT NULL DEFAULT 0",
        "ALTER TABLE votes ADD COLUMN source TEXT NOT NULL DEFAULT ''",
        # via: reaction or button; re-reading a card's reactions corrects only the first.
        'CREATE TABLE card_votes (platform TEXT, channel TEXT, message_id TEXT, "user" TEXT, '
        "option TEXT, via TEXT, added INTEGER, ts DOUBLE PRECISION, PRIMARY KEY (platform, "
        'channel, message_id, "user", option, via))',
        "CREATE INDEX idx_card_messages_recent ON card_messages (platform, created_at)",
    )


@migration
def m007_watches_digests_decisions(engine: Engine) -> None:
    """Watches (a person's tools, with DM alerts), weekly digest subscriptions, direct-message
    deliveries, channels' team decisions, and when each tool and comparison was first stored
    and last changed (for freshness and digests)."""
    _run(
        engine,
        'CREATE TABLE watches (platform TEXT, workspace TEXT, "user" TEXT, tool_id TEXT, '
        'created_at TEXT, PRIMARY KEY (platform, workspace, "user", tool_id))',
        "CREATE INDEX idx_watches_tool ON watches (tool_id)",
        "CREATE TABLE decisions (id {serial}, platform TEXT, workspace TEXT, channel TEXT, "
        "tool_id TEXT, over_ids TEXT, reason TEXT, revisit TEXT, decided_by TEXT, "
        "decided_at TEXT, reminded_at TEXT)",
        "CREATE INDEX idx_decisions_channel ON decisions (platform, workspace, channel)",
        "CREATE INDEX idx_decisions_due ON decisions (platform, reminded_at, revisit)",
        # bumped by every decision recorded or removed: cards cache a channel's decisions
        "INSERT INTO meta (key, value) VALUES ('decisions_version', '0')",
        # instant: a card per publication; weekly: one digest a week.
        "ALTER TABLE subscriptions ADD COLUMN cadence TEXT NOT NULL DEFAULT 'instant'",
        "ALTER TABLE subscriptions ADD COLUMN digest_at TEXT NOT NULL DEFAULT ''",
        "UPDATE subscriptions SET digest_at = created_at",
        "DROP INDEX idx_subscriptions_key",
        "CREATE UNIQUE INDEX idx_subscriptions_key ON subscriptions "
        "(platform, workspace, channel, cadence, filter_text)",
        # every dispatcher pass asks which weekly subscriptions are due
        "CREATE INDEX idx_subscriptions_due ON subscriptions (cadence, digest_at)",
        # channel: a post in `channel`; dm: a direct message to the user id in `channel`.
        "ALTER TABLE deliveries ADD COLUMN target TEXT NOT NULL DEFAULT 'channel'",
        "ALTER TABLE tools ADD COLUMN stored_at TEXT NOT NULL DEFAULT ''",
        "UPDATE tools SET stored_at = COALESCE(updated_at, '')",
        "ALTER TABLE comparisons ADD COLUMN stored_at TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE comparisons ADD COLUMN changed_at TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX idx_comparisons_changed ON comparisons (changed_at)",
        # a tool's verdict card: the earliest date a comparison with it was published
        "ALTER TABLE tools ADD COLUMN published TEXT NOT NULL DEFAULT ''",
    )
    now = utcnow()  # comparisons stored before this: as of now (their first date is unknown)
    engine.execute("UPDATE comparisons SET stored_at = ?, changed_at = ?", [now, now])
    _run(engine, "UPDATE tools SET published = COALESCE((SELECT MIN(CASE WHEN c.published != '' "
                 "THEN c.published ELSE substr(c.stored_at, 1, 10) END) FROM comparisons c "
                 "WHERE c.tool_ids LIKE '%\"' || tools.id || '\"%'), '')")


@migration
def m008_comparison_tools_and_verdict_dates(engine: Engine) -> None:
    """Which comparisons hold a tool, indexed (no scan of every comparison's JSON); a tool's
    `published` becomes the newest date its data gives ('' without one: cards then say when
    shipbot added it), and `verdict_at` the day of its newest verdict (what its age is from)."""
    import json

    _run(engine,
         "CREATE TABLE comparison_tools (comparison_id TEXT, tool_id TEXT, "
         "PRIMARY KEY (comparison_id, tool_id))",
         "CREATE INDEX idx_comparison_tools_tool ON comparison_tools (tool_id)",
         "ALTER TABLE tools ADD COLUMN verdict_at TEXT NOT NULL DEFAULT ''")
    rows = engine.execute("SELECT id, tool_ids FROM comparisons").rows
    engine.executemany("INSERT INTO comparison_tools (comparison_id, tool_id) VALUES (?, ?) "
                       "ON CONFLICT DO NOTHING",
                       [(cid, tid) for cid, raw in rows for tid in json.loads(raw)])
    _run(engine, "UPDATE tools SET published = '', verdict_at = ''")
    for (tool_id,) in engine.execute("SELECT DISTINCT tool_id FROM comparison_tools").rows:
        refresh_tool_dates(engine, [tool_id])


@migration
def m009_comparison_keys(engine: Engine) -> None:
    """Comparisons keyed by their tool ids as a JSON array (catalog.comparison_key), which is
    what `tool_ids` already holds: a `-vs-` inside a tool id can no longer join two keys."""
    _run(engine,
         "UPDATE comparison_tools SET comparison_id = (SELECT c.tool_ids FROM comparisons c "
         "WHERE c.id = comparison_tools.comparison_id)",
         "UPDATE comparisons SET id = tool_ids")


@migration
def m010_sources(engine: Engine) -> None:
    """Followed sites (feeds, sitemaps, pages) with their validators, failures and a lease,
    and each page seen through them (its own validators and content hash)."""
    _run(engine,
         "CREATE TABLE sources (id {serial}, url TEXT NOT NULL UNIQUE, every_seconds INTEGER "
         "NOT NULL, kind TEXT NOT NULL DEFAULT '', etag TEXT NOT NULL DEFAULT '', "
         "last_modified TEXT NOT NULL DEFAULT '', content_hash TEXT NOT NULL DEFAULT '', "
         "last_check TEXT NOT NULL DEFAULT '', last_change TEXT NOT NULL DEFAULT '', "
         "last_error TEXT NOT NULL DEFAULT '', failures INTEGER NOT NULL DEFAULT 0, "
         "state TEXT NOT NULL DEFAULT 'active', next_at DOUBLE PRECISION NOT NULL DEFAULT 0, "
         "lease_until DOUBLE PRECISION NOT NULL DEFAULT 0, lease_owner TEXT NOT NULL DEFAULT "
         "'', created_at TEXT NOT NULL)",
         "CREATE TABLE source_pages (source_id BIGINT NOT NULL, url TEXT NOT NULL, "
         "etag TEXT NOT NULL DEFAULT '', last_modified TEXT NOT NULL DEFAULT '', "
         "content_hash TEXT NOT NULL DEFAULT '', seen_at TEXT NOT NULL, "
         "PRIMARY KEY (source_id, url))",
         "CREATE INDEX idx_sources_due ON sources (state, next_at)",
         # the comparison's page on the verdict site, for the cards' link
         "ALTER TABLE comparisons ADD COLUMN url TEXT NOT NULL DEFAULT ''")



@migration
def m011_people(engine: Engine) -> None:
    """What the platform said about each person who voted (a bot or not), so no replica asks
    again for someone any replica has asked about."""
    _run(engine,
         "CREATE TABLE people (platform TEXT NOT NULL, workspace TEXT NOT NULL, user_id TEXT "
         "NOT NULL, is_bot INTEGER NOT NULL, checked_at TEXT NOT NULL, "
         "PRIMARY KEY (platform, workspace, user_id))")


@migration
def m012_need_index(engine: Engine) -> None:
    """What each tool is for, searchable (bot.storage.needs), filled from the stored tools."""
    create_index(engine)
    NeedIndex(engine).index_all()

# A table each migration creates, and its number: a database whose tables are newer than its
# recorded version was not written by shipbot's migrations.
_CREATED_BY = {"tools": 1, "seen_events": 2, "alias_picks": 3, "installations": 5,
               "card_votes": 6, "watches": 7, "comparison_tools": 8, "sources": 10,
               "people": 11, "tool_search": 12}


def check_database(engine: Engine, version: int) -> None:
    """Refuse what shipbot must not write into: another program's database (tables, but none
    of shipbot's, at version 0), or a version that its tables contradict."""
    if version < 0:
        raise StoreError(f"{engine.target} has a strange schema version ({version}); it was not "
                         "written by shipbot. Use another --db.")
    tables = set(engine.table_names()) - {"schema_version"}
    if version == 0 and tables:
        raise StoreError(f"{engine.target} already holds tables ({', '.join(sorted(tables)[:5])}"
                         f"{', …' if len(tables) > 5 else ''}) but is not a shipbot store; "
                         "shipbot will not add its own to it. Use another --db.")
    newer = sorted(t for t, made in _CREATED_BY.items() if made > version and t in tables)
    if newer:
        raise StoreError(f"{engine.target} says schema version {version}, but holds tables of "
                         f"later versions ({', '.join(newer)}); it was changed outside shipbot. "
                         "Restore a backup or use another --db.")


def migrate(engine: Engine) -> None:
    """Bring the database up to date; refuse one written by a newer shipbot, or one shipbot
    did not write."""
    latest = len(MIGRATIONS)
    version = engine.schema_version()
    if version < latest:
        check_database(engine, version)
    if version > latest:
        raise StoreError(
            f"{engine.target} has schema version {version}, written by a newer shipbot; "
            f"this version understands up to {latest}. Upgrade shipbot.")
    if version == latest:
        return
    with engine.transaction():
        engine.lock_for_migration()
        for number in range(engine.schema_version(), latest):
            MIGRATIONS[number](engine)
            engine.set_schema_version(number + 1)
