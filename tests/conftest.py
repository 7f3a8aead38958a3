"""Shared fixtures: a real SQLite file per test, the bundled data, the seed page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.bootstrap import open_store
from bot.commands import ShipBot
from bot.models import Bundle, Context, Review, Tool
from bot.store import Store

pytest_plugins = ["tests.rigs"]

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_dc06c07dd5117606.txt"
CLAUDE = "claude-4-api-tool-use-streaming-prompt-caching"
AZURE = "azure-ai-foundry-real-time-voice-api-model-router"


@pytest.fixture
def seed_path() -> Path:
    """The real comparison page beside the project; missing is a failure under CI."""
    if not SEED.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"seed page missing at {SEED}")
        pytest.skip(f"seed page not found at {SEED}")
    return SEED


@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[Store]:
    """A new, migrated, empty database file."""
    store = Store.open(tmp_path / "empty.db")
    yield store
    store.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A database file loaded with the bundled data, as on first use."""
    store = open_store(tmp_path / "shipbot.db")
    yield store
    store.close()


@pytest.fixture
def bot(store: Store) -> ShipBot:
    """The core over the bundled data."""
    return ShipBot(store)


@pytest.fixture
def ctx() -> Context:
    """A user in a Slack-like channel who may manage it."""
    return Context(platform="test", workspace="T1", channel="C1", user="U1")


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
