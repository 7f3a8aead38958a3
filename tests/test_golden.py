"""Golden renderings of the seed card (the bundled Claude 4 API vs Azure AI Foundry comparison)
on every surface, kept in tests/golden/ so that a reviewer reads a rendering change in the diff.

Regenerate after an intended change: SHIPBOT_UPDATE_GOLDEN=1 pytest tests/test_golden.py
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.discord.embeds import render_embed
from adapters.slack.blocks import render
from bot.cards import Card
from bot.commands import ShipBot
from bot.models import Context
from bot.render_text import render_text

GOLDEN = Path(__file__).resolve().parent / "golden"
CTX = Context(platform="test", workspace="T1", channel="C1", user="U1")


def _stable(text: str) -> str:
    """Today's date (when the bundled data was added) as a placeholder."""
    return text.replace(datetime.now(UTC).date().isoformat(), "YYYY-MM-DD")


def _check(name: str, rendered: str) -> None:
    path = GOLDEN / name
    rendered = _stable(rendered).rstrip("\n") + "\n"
    if os.environ.get("SHIPBOT_UPDATE_GOLDEN"):
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with SHIPBOT_UPDATE_GOLDEN=1 once"
    assert path.read_text(encoding="utf-8") == rendered


@pytest.fixture
def seed_card(tmp_path: Path) -> Card:
    from shipbot.bootstrap import open_store

    store = open_store(str(tmp_path / "golden.db"))
    try:
        return ShipBot(store).handle("compare claude azure", CTX)
    finally:
        store.close()


def test_console_at_80_columns(seed_card: Card) -> None:
    _check("seed_card.console.txt", render_text(seed_card, 80))


def test_slack_blocks(seed_card: Card) -> None:
    blocks, text = render(seed_card)
    _check("seed_card.slack.json", json.dumps({"text": text, "blocks": blocks}, indent=1,
                                              ensure_ascii=False))


def test_discord_embed(seed_card: Card) -> None:
    _check("seed_card.discord.json", json.dumps(render_embed(seed_card).to_dict(), indent=1,
                                                ensure_ascii=False, sort_keys=True))
