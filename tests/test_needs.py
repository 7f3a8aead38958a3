"""Asking by need (#21): `which voice api should we ship` answers with ranked tools from the
database's own full-text search, on both engines and every surface; the name path is kept."""

from __future__ import annotations

import json
from typing import Any

from bot.commands import ShipBot
from bot.models import Context
from bot.store import Store
from tests.conftest import AZURE, CLAUDE
from tests.fakes.discord import FakeDiscord
from tests.needs_data import labelled, need_bot, top3
from tests.rigs import DiscordRig, SlackRig

CTX = Context()


def test_need_words_rank_tools_with_their_verdicts_and_why(bot: ShipBot) -> None:
    card = bot.handle("which voice api should we ship", CTX)
    assert "need" == card.kind and card.ephemeral
    assert card.title == "Tools for “voice api”"  # filler words do not count
    assert card.lines[0].startswith("1. Azure AI Foundry — panel ship, mean 76.5 · community "
                                    "0 ship / 0 skip")
    assert "matched: voice, api in its name" == card.lines[1].strip()
    # buttons open each verdict, and one compares the top two
    assert [f"verdict {AZURE}", f"verdict {CLAUDE}", f"compare {AZURE} vs {CLAUDE}"] == \
        [c.command for c in card.choices]


def test_each_need_word_and_no_command_ask_by_need(bot: ShipBot) -> None:
    for text in ("best for agent memory", "recommend prompt caching",
                 "which prompt caching", "prompt caching for agents"):
        card = bot.handle(text, CTX)
        assert "need" == card.kind, text
        assert card.choices[0].tool_id == CLAUDE, text


def test_only_filler_or_nothing_that_fits_suggests_top_with_categories(bot: ShipBot) -> None:
    for text in ("which should we ship", "which quantum toaster"):
        card = bot.handle(text, CTX)
        assert "need" == card.kind
        assert not card.lines[0].startswith("1.")
        assert "`top Developer Tools`" in card.lines[0]
        assert ["top Developer Tools"] == [c.command for c in card.choices]


def test_a_query_that_names_tools_keeps_the_name_path(bot: ShipBot) -> None:
    assert "compare" == bot.handle("compare claude azure", CTX).kind
    assert "verdict" == bot.handle("verdict azure", CTX).kind
    assert "did_you_mean" == bot.handle("compare claude cursxx", CTX).kind  # a typo still asks
    # words that name no tool, typed to compare or verdict, are a need
    assert "need" == bot.handle("compare agentic pipelines", CTX).kind
    assert "need" == bot.handle("verdict agentic pipelines", CTX).kind
    # ...but where one part names a tool, the name path answers as before
    assert "error" == bot.handle("compare realtime voice", CTX).kind  # both are Azure's
    assert "verdict" == bot.handle("verdict prompt caching", CTX).kind
    assert "error" == bot.handle("frobnicate the widgets", CTX).kind  # no command, no need


def test_a_category_word_filters_unless_a_tool_outside_covers_more(store: Store) -> None:
    bot = need_bot(store)
    card = bot.handle("which vector database should we use", CTX)
    assert card.title.endswith("in Vector databases")
    assert {c.tool_id for c in card.choices if c.tool_id} <= {
        "pinecone", "weaviate", "qdrant", "chroma", "milvus", "pgvector", "atlas-vector-search"}
    # "models" names the Models category, but a router covers the need better than any model
    card = bot.handle("which routing between model providers", CTX)
    assert "in Models" not in card.title
    assert "openrouter" == card.choices[0].tool_id


def test_the_labelled_needs_find_a_right_tool_in_the_top_three(store: Store) -> None:
    """>= 90% on each part of tests/data/needs_queries.tsv (64 needs over 101 tools, written
    before tuning; the holdout part was never tuned on), on each engine."""
    bot = need_bot(store)
    for part in ("tune", "holdout"):
        rows = labelled(part)
        right = sum(bool(want & set(top3(bot, need))) for need, want in rows)
        assert right >= 0.9 * len(rows), (part, right, len(rows))
    assert len(labelled()) >= 60


def test_reimport_moves_the_index(store: Store) -> None:
    """The index follows imports: a tool whose text changes is found by its new words."""
    bot = need_bot(store)
    assert "need" == bot.handle("which zeppelin", CTX).kind
    assert not bot.handle("which zeppelin", CTX).lines[0].startswith("1.")
    from tests.needs_data import need_bundle
    bundle = need_bundle()
    tool = next(t for t in bundle.tools if t.id == "ollama")
    tool.best_for = "running models aboard a zeppelin"
    store.catalog.import_bundle(bundle)
    assert "ollama" == bot.handle("which zeppelin", CTX).choices[0].tool_id


def _texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_slack_need_list_buttons_open_the_verdict(rig: SlackRig) -> None:
    rig.command("/shipbot", "which voice api should we ship")
    reply = rig.fake.responses[-1]
    assert "ephemeral" == reply["response_type"]
    assert "Tools for “voice api”" in _texts(reply["blocks"])
    buttons = next(b for b in reply["blocks"] if b["type"] == "actions")["elements"]
    assert ["Azure AI Foundry", "Claude 4 API"] == [b["text"]["text"] for b in buttons[:2]]
    rig.click(buttons[0]["action_id"], buttons[0]["value"], ts="1.0")
    assert rig.fake.wait_for(lambda: len(rig.posted()) == 1 and not rig.adapter.in_flight)
    assert "Azure AI Foundry" in _texts(rig.posted()[0]["blocks"])


def test_discord_which_command_lists_tools_with_buttons(drig: DiscordRig,
                                                        fake_discord: FakeDiscord) -> None:
    token = fake_discord.interaction("which", {"need": "a voice api we should ship"})
    assert fake_discord.wait_for(lambda: bool(fake_discord.callbacks(token)))
    answer = fake_discord.callbacks(token)[-1]["data"]
    assert "Tools for “voice api”" in json.dumps(answer["embeds"], ensure_ascii=False)
    labels = [c["label"] for row in answer["components"] for c in row["components"]]
    assert labels[:2] == ["Azure AI Foundry", "Claude 4 API"]
