"""The reasons behind the scores (#17): `reviews`, and the Reviews button on Slack and Discord
cards, answered privately, remarks whole where the platform allows and cut at a word where not."""

from __future__ import annotations

import json
from typing import Any

from adapters.discord.embeds import MAX_FIELD_VALUE, MAX_TOTAL, render_embed
from adapters.slack.blocks import MAX_TEXT, render
from bot.commands import ShipBot
from bot.models import Context, Review, Tool
from bot.render_text import render_text
from bot.store import Store
from tests.conftest import AZURE, CLAUDE, add_tools
from tests.rigs import DiscordRig, SlackRig

CTX = Context(platform="test", workspace="T1", channel="C1", user="U1")


def test_reviews_shows_each_reviewer_on_each_tool_in_scorecard_order(bot: ShipBot) -> None:
    card = bot.handle("reviews claude azure", CTX)
    assert ("reviews", True) == (card.kind, card.ephemeral)
    assert ["Builder", "Skeptic", "Futurist", "Founder"] == [r.persona for r in card.reviews]
    builder = card.reviews[0].entries
    assert ["Claude 4 API — 88/100 · ship", "Azure AI Foundry — 78/100 · ship"] == [
        e.head for e in builder]
    stored = bot.store.catalog.tool(CLAUDE)
    assert stored is not None and builder[0].text == stored.reviews[0].text != ""
    text = " ".join(render_text(card).split())
    assert f"Claude 4 API — 88/100 · ship {stored.reviews[0].text}" in text
    one = bot.handle("reviews azure", CTX)
    assert [[e.tool for e in r.entries] for r in one.reviews] == [["Azure AI Foundry"]] * 4


def test_reviews_asks_when_unclear_and_explains_when_empty(bot: ShipBot) -> None:
    assert "error" == bot.handle("reviews", CTX).kind
    assert "did_you_mean" == bot.handle("reviews nothing like it", CTX).kind
    assert "reviews <tool>" in " ".join(bot.handle("help", CTX).lines)


def _long_tool(words: int) -> Tool:
    text = " ".join(f"word{n}" for n in range(words))
    reviews = [Review(persona=p, score=70, verdict="ship", text=text)
               for p in ("Builder", "Skeptic", "Futurist", "Founder")]
    return Tool(id="wordy", name="Wordy Tool", short_name="Wordy Tool", reviews=reviews)


def test_long_remarks_are_cut_at_a_word_within_each_platform(store: Store) -> None:
    add_tools(store, _long_tool(440))  # about 3,700 characters a remark (the model takes 4,000)
    card = ShipBot(store).handle("reviews wordy tool vs claude", CTX)
    blocks, _ = render(card)
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(s) <= MAX_TEXT for s in sections)
    wordy = [s for s in sections if "word439" not in s and "word1 " in s]
    assert len(wordy) == 4 and all(" …" in s for s in wordy)
    assert all(x.split(" …")[0].split()[-1].startswith("word") for x in wordy)  # whole words
    embed = render_embed(card).to_dict()
    assert all(len(f["value"]) <= MAX_FIELD_VALUE for f in embed["fields"])
    assert len(json.dumps(embed)) < MAX_TOTAL + 2000  # text length; JSON adds its quoting
    assert sum(len(f["value"]) + len(f["name"]) for f in embed["fields"]) <= MAX_TOTAL
    # the console keeps them whole
    assert "word439" in render_text(card)


def test_short_remarks_are_whole_on_slack_and_discord(bot: ShipBot) -> None:
    card = bot.handle("reviews claude azure", CTX)
    stored = bot.store.catalog.tools([CLAUDE, AZURE])
    blocks = json.dumps(render(card)[0], ensure_ascii=False)
    embed = json.dumps(render_embed(card).to_dict(), ensure_ascii=False)
    for tool in stored.values():
        for review in tool.reviews:
            assert review.text in blocks.replace("&amp;", "&")
            assert review.text.split()[0] in embed and "…" not in embed


def test_slack_reviews_button_answers_privately(rig: SlackRig) -> None:
    rig.command("/compare", "claude azure")
    message = rig.posted()[0]
    blocks = json.loads(message["blocks"]) if isinstance(message["blocks"], str) \
        else message["blocks"]
    button = next(e for b in blocks if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == "shipbot_reviews")
    before = len(rig.fake.responses)
    assert 200 == rig.click("shipbot_reviews", button["value"], "1700000001.000100")[0]
    assert rig.fake.wait_for(lambda: len(rig.fake.responses) > before)
    reply: dict[str, Any] = rig.fake.responses[-1]
    assert "ephemeral" == reply["response_type"] and reply["replace_original"] is False
    assert "Reviews: Claude 4 API vs Azure AI Foundry" in json.dumps(reply["blocks"],
                                                                    ensure_ascii=False)
    assert 1 == len(rig.posted())  # nothing public


def test_slack_reviews_button_with_a_bad_value_is_refused(rig: SlackRig) -> None:
    """A signed click whose value is not JSON is refused (400) before any listener; one whose
    value is JSON of the wrong shape gets a private apology."""
    assert 400 == rig.click("shipbot_reviews", "{not json", "1700000001.000100")[0]
    before = len(rig.fake.responses)
    assert 200 == rig.click("shipbot_reviews", '{"ids": 1}', "1700000001.000100")[0]
    assert rig.fake.wait_for(lambda: len(rig.fake.responses) > before)
    assert "ephemeral" == rig.fake.responses[-1]["response_type"]


def test_discord_reviews_button_answers_privately(drig: DiscordRig) -> None:
    message_id = drig.compare_card()
    message = drig.fake.messages[message_id]
    token = drig.fake.interaction("", kind=3, custom_id="shipbot:reviews", message=message,
                                  uid=42)
    assert drig.fake.wait_for(lambda: bool(drig.fake.callbacks(token)))
    callback = drig.fake.callbacks(token)[0]
    assert 4 == callback["type"] and callback["data"]["flags"] & 64  # ephemeral
    embed = callback["data"]["embeds"][0]
    assert "Reviews: Claude 4 API vs Azure AI Foundry" == embed["title"]
    assert ["Builder", "Skeptic", "Futurist", "Founder"] == [f["name"] for f in embed["fields"]]
    assert {"parse": []} == callback["data"]["allowed_mentions"]
