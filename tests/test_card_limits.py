"""The worst cards still fit the platforms' limits and still say which tool to ship."""

from __future__ import annotations

import json

from adapters.discord.embeds import MAX_TOTAL, render_embed
from adapters.slack.blocks import MAX_TEXT, render
from bot.commands import ShipBot
from bot.models import Bundle, Context, Review, Tool
from bot.store import Store


def _worst_compare(store: Store, bot: ShipBot) -> object:
    """Four tools with the longest names, texts and a full panel of long reviews."""
    tools = []
    for n in range(4):
        name = f"Tool{n} " + "Verylongname & Co <b> " * 8
        tools.append(Tool(
            id=f"worst-{n}", name=name[:200], short_name=f"Worst{n} & Sons " + "W" * 50,
            vendor="V & V " * 10, category="C & C " * 12, tagline="T & T " * 40,
            best_for="B & B " * 45, pricing_model="Paid", pricing_text="P & P " * 90,
            summary="S & S " * 300,
            reviews=[Review(persona=f"Reviewer & {p}" + "r" * 20, score=50 + n * 10 + p,
                            verdict="ship", text="R & R " * 600) for p in range(20)]))
    store.catalog.import_bundle(Bundle(tools=tools))
    return bot.handle("compare worst-0 vs worst-1 vs worst-2 vs worst-3",
                      Context(platform="test"))


def test_the_worst_compare_fits_discord_and_keeps_the_pick(store: Store, bot: ShipBot) -> None:
    card = _worst_compare(store, bot)
    assert card.kind == "compare" and card.recommendation.pick_name  # type: ignore[attr-defined]
    embed = render_embed(card)  # type: ignore[arg-type]
    assert len(embed) <= MAX_TOTAL
    names = [f.name for f in embed.fields]
    assert any(n.startswith("🏆 Ship Worst3") for n in names), names
    assert "Reviewer scorecard" in names


def test_the_worst_compare_fits_slack_without_half_escapes(store: Store, bot: ShipBot) -> None:
    card = _worst_compare(store, bot)
    blocks, _ = render(card)  # type: ignore[arg-type]
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    texts += [f["text"] for b in blocks for f in b.get("fields", [])]
    assert all(len(t) <= MAX_TEXT for t in texts)
    for text in texts:
        cut = text.rstrip("…")
        assert not cut.endswith(("&", "&a", "&am", "&amp", "&l", "&lt", "&g", "&gt"))
    assert any(":trophy: *Ship Worst3" in t for t in texts)
    json.dumps(blocks)


def test_long_lists_fit_every_platform_whole_lines_kept(bot, ctx) -> None:  # type: ignore[no-untyped-def]
    """A channel with many long decisions: the listing shows the newest ten, says that older
    ones exist, and fits Slack's sections (several, none cut in a line) and Discord's embed."""
    from adapters.discord.embeds import MAX_TOTAL, render_embed
    from adapters.slack.blocks import MAX_TEXT, render

    for n in range(14):
        bot.handle(f"decide claude over azure because {'why ' * 70}{n}", ctx)
    card = bot.handle("decisions", ctx)
    assert 11 == len(card.lines)
    assert card.lines[0].startswith("#14 ") and card.lines[9].startswith("#5 ")
    assert card.lines[10].startswith("Older decisions are not shown")
    blocks, _ = render(card)
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(sections) >= 2 and all(len(t) <= MAX_TEXT for t in sections)
    assert not any(t.endswith("…") for t in sections)
    assert "Older decisions are not shown" in sections[-1]
    embed = render_embed(card)
    assert len(embed) <= MAX_TOTAL and "Older decisions are not shown" in (embed.description or "")
