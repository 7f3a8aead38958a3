"""Issue #17's answer classes on a real catalog beside the bundled data, on both engines:
family words ask, model parts resolve, did-you-mean leads somewhere, a fifth tool is named."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks.bench_names import DATA, judge, load_queries
from bot.commands import ShipBot
from bot.models import Bundle, Context
from bot.render_text import render_text
from shipbot.bootstrap import open_store
from shipbot.cli import cli

CTX = Context(platform="test", workspace="T1", channel="C1", user="U1", can_manage=True)


@pytest.fixture
def real(db_target: str) -> Iterator[ShipBot]:
    """The bundled data plus the realistic catalog (official names, no aliases)."""
    store = open_store(db_target)
    store.catalog.import_bundle(Bundle.model_validate_json(
        (DATA / "catalog_real.json").read_text(encoding="utf-8")))
    yield ShipBot(store)
    store.close()


def test_every_labelled_class_query_is_answered_right(real: ShipBot) -> None:
    wrong = []
    for text, expected in load_queries(DATA / "queries_classes.tsv"):
        card = real.handle("compare " + text, CTX)
        found = card.tool_ids if card.kind == "compare" else None
        if judge(found, expected) != "right":
            wrong.append((text, expected, card.kind, found))
    assert [] == wrong


def test_a_family_word_asks_but_a_published_name_wins(real: ShipBot) -> None:
    asked = real.handle("compare claude vs cursor", CTX)
    assert "did_you_mean" == asked.kind
    assert {"Claude Code", "Claude 4 API"} <= {c.label for c in asked.choices}
    assert ["langchain", "llamaindex"] == real.handle("compare langchain vs llamaindex",
                                                      CTX).tool_ids
    # `Azure AI Foundry` is one catalog tool's own name and the bundled tool's short name.
    assert "azure-ai-foundry" == real.handle("compare azure ai foundry vs cursor",
                                             CTX).tool_ids[0]


def test_did_you_mean_never_offers_the_tool_on_the_other_side(real: ShipBot) -> None:
    for query in ("compare claude code vs claude", "compare claude vs claude code"):
        asked = real.handle(query, CTX)
        assert "did_you_mean" == asked.kind
        assert asked.choices and "claude-code" not in [c.tool_id for c in asked.choices]
        # every choice leads to a card of two different tools
        for choice in asked.choices:
            card = real.handle(choice.command, CTX)
            assert "compare" == card.kind and len(set(card.tool_ids)) == 2, choice
        text = render_text(asked)
        assert "compare Claude Code vs Claude 3 Opus" in text or \
            "compare Claude 3 Opus vs Claude Code" in text
        assert "claude-3-opus" not in text  # names people type, not ids


def test_did_you_mean_for_one_tool_shows_names(real: ShipBot) -> None:
    text = render_text(real.handle("verdict claude", CTX))
    assert "verdict Claude Code" in text and "claude-code" not in text


def test_a_fifth_tool_is_named_as_left_out(real: ShipBot) -> None:
    for query in ("compare cursor vs windsurf vs aider vs cody vs tabnine",
                  "compare cursor windsurf aider cody tabnine"):
        card = real.handle(query, CTX)
        assert ["cursor", "windsurf", "aider", "cody"] == card.tool_ids
        assert "left out: Tabnine" in card.notice
        assert "left out: Tabnine" in render_text(card)


def test_the_importer_warns_of_an_alias_other_tools_share(tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    runner = CliRunner()
    assert 0 == runner.invoke(cli, ["--db", db, "import", str(DATA / "catalog_real.json")]
                              ).exit_code
    page = tmp_path / "aliases.json"
    page.write_text('{"tools": [{"id": "claude-desktop", "name": "Claude Desktop", '
                    '"short_name": "Claude Desktop", "vendor": "Anthropic", '
                    '"aliases": ["claude", "claude app desktop"]}]}')
    result = runner.invoke(cli, ["--db", db, "import", str(page)])
    assert 0 == result.exit_code
    assert "Warning: Alias 'claude' of Claude Desktop is a word other tools go by too" in \
        result.output
    assert "Claude Code" in result.output
    assert "claude app desktop" not in result.output  # that one is its own
