"""Shared fixtures: a real SQLite file per test, the bundled data, the seed page."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.commands import ShipBot
from bot.models import Bundle, Context, Review, Tool
from bot.store import Store
from shipbot.bootstrap import open_store

pytest_plugins = ["tests.rigs"]
POSTGRES_URL = os.environ.get("SHIPBOT_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema on the test server and a URL whose connections use it; dropped after.
    Skips (and says why) without a server; under CI a missing server is a failure."""
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[test]')")
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        reason = f"no PostgreSQL at {POSTGRES_URL} (set SHIPBOT_TEST_POSTGRES): {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        separator = "&" if "?" in POSTGRES_URL else "?"
        try:
            yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")

PAGES = Path(__file__).resolve().parent / "data" / "pages"
# The suite's own page in the site's format (its words are the project's): every test that
# needs a page reads this one, so a bare clone runs them all.
OWN_PAGE = PAGES / "claude_vs_azure.txt"
# The real page beside the project: tests on it are extras that run where it exists.
REAL_SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_dc06c07dd5117606.txt"
CLAUDE = "claude-4-api-tool-use-streaming-prompt-caching"
AZURE = "azure-ai-foundry-real-time-voice-api-model-router"


@pytest.fixture
def seed_path() -> Path:
    """A comparison page in the site's format, written for this suite (always present)."""
    return OWN_PAGE


@pytest.fixture
def real_seed_path() -> Path:
    """The real comparison page in ../shared/seeds/; an extra that skips (saying so) without it."""
    if not REAL_SEED.exists():
        pytest.skip(f"extra on the real page: {REAL_SEED} is not beside this clone")
    return REAL_SEED


@pytest.fixture(params=["sqlite", "postgres"])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a test's database lives: a new SQLite file, or a new schema of its own on the
    PostgreSQL server (SHIPBOT_TEST_POSTGRES, else 127.0.0.1:5432/test)."""
    if request.param == "sqlite":
        yield str(tmp_path / "shipbot.db")
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture
def empty_store(db_target: str) -> Iterator[Store]:
    """A new, migrated, empty database, once per engine."""
    store = Store.open(db_target)
    yield store
    store.close()


@pytest.fixture
def store(db_target: str) -> Iterator[Store]:
    """A database loaded with the bundled data, as on first use, once per engine."""
    store = open_store(db_target)
    yield store
    store.close()


@pytest.fixture
def bot(store: Store) -> ShipBot:
    """The core over the bundled data."""
    return ShipBot(store)


@pytest.fixture
def ctx() -> Context:
    """A user in a Slack-like channel who may manage it."""
    return Context(platform="test", workspace="T1", channel="C1", user="U1", can_manage=True)


def make_tool(name: str, scores: tuple[int, int, int, int], *, vendor: str = "Acme",
              category: str = "Developer Tools", verdicts: str = "ssss",
              aliases: tuple[str, ...] = ()) -> Tool:
    """A tool with four reviews; verdicts is four letters, s = ship, k = skip."""
    personas = ("Builder", "Skeptic", "Futurist", "Founder")
    reviews = [Review(persona=p, score=s, verdict="ship" if v == "s" else "skip")
               for p, s, v in zip(personas, scores, verdicts, strict=True)]
    from bot.models import slugify
    from bot.pagetext import short_name_of

    return Tool(id=slugify(name), name=name, short_name=short_name_of(name), vendor=vendor,
                category=category, tagline=f"{name} tagline", best_for=f"{name} work",
                pricing_model="Paid", aliases=list(aliases), reviews=reviews)


def add_hostile_tool(store: Store, hostile: str) -> None:
    """A tool whose name, vendor, best-for and review all carry `hostile` text (id `evil`)."""
    reviews = [Review(persona="Builder", score=90, verdict="ship", text=hostile)]
    add_tools(store, Tool(id="evil", name=f"Evil {hostile}", short_name=f"Evil {hostile}",
                          vendor=hostile, best_for=hostile, aliases=["evil"], reviews=reviews))


def add_tools(store: Store, *tools: Tool) -> None:
    """Import extra tools into a store."""
    store.catalog.import_bundle(Bundle(tools=list(tools)))


TABLES = ("tools", "aliases", "reviews", "comparisons", "comparison_tools", "votes",
          "card_messages", "subscriptions", "publications", "deliveries", "meta", "seen_events",
          "alias_picks", "alias_blocks", "sources", "source_pages")


def dump(store: Store) -> dict[str, list[str]]:
    """Every row of every table, in a stable order: "changed nothing" compares two of these."""
    return {t: sorted(repr(row) for row in store.db.execute(f"SELECT * FROM {t}"))
            for t in TABLES}
