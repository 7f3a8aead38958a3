"""Rendering a core Card as a Discord embed, within Discord's limits and with nothing that pings."""

from __future__ import annotations

import discord

from bot.cards import (
    Card,
    Column,
    ReviewRow,
    column_facts,
    cut_at_word,
    score_cells,
    scorecard_heads,
    shorten,
)

MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_TOTAL = 6000
PICK_EMOJI = ("🅰️", "🅱️", "🇨", "🇩")
SHIP_EMOJI, SKIP_EMOJI = "✅", "❌"
GREEN, GOLD, RED, BLURPLE, GREY = 0x2ECC71, 0xF1C40F, 0xE74C3C, 0x5865F2, 0x95A5A6
NOTES = "Notes"


def safe(text: str) -> str:
    """Escape markdown and defuse @everyone/@here and <@…> mentions (belt to allowed_mentions' braces)."""
    text = discord.utils.escape_markdown(text, ignore_links=False)
    text = discord.utils.escape_mentions(text)
    return text.replace("<#", "<\u200b#").replace("<@", "<\u200b@")


trim = shorten  # the core's one way to cut a text to a platform's limit


def colour_for(card: Card) -> int:
    """Green for a pick, gold for a toss-up, red for errors, blurple for questions."""
    if card.kind == "error":
        return RED
    if card.kind == "did_you_mean":
        return BLURPLE
    if card.recommendation:
        return GOLD if card.recommendation.toss_up else GREEN
    if card.kind == "verdict" and card.columns:
        return GREEN if card.columns[0].verdict == "ship" else RED
    return GREY


def render_embed(card: Card) -> discord.Embed:
    """The embed for a card: tools side by side, scorecard, recommendation, footer."""
    embed = discord.Embed(title=trim(safe(card.title), MAX_TITLE), colour=colour_for(card),
                          url=card.url or None)  # the title links to the comparison's page
    description = [f"**{safe(card.notice)}**"] if card.notice else []
    description += [safe(line) for line in card.lines]
    if description:
        embed.description = trim("\n".join(description), MAX_DESCRIPTION)
    for column in card.columns[:4]:
        embed.add_field(name=trim(_column_name(column, len(card.columns)), MAX_FIELD_NAME),
                        value=trim(_column_value(column), MAX_FIELD_VALUE), inline=True)
    if card.scorecard:
        embed.add_field(name="Reviewer scorecard", value=trim(_scorecard(card), MAX_FIELD_VALUE),
                        inline=False)
    if card.reviews:
        per_entry = _review_budget(card)
        for row in card.reviews[:20]:
            embed.add_field(name=trim(safe(row.persona), MAX_FIELD_NAME),
                            value=trim(_review_value(row, per_entry), MAX_FIELD_VALUE),
                            inline=False)
    if card.recommendation:
        rec = card.recommendation
        embed.add_field(name=trim(f"🏆 {safe(rec.heading)}", MAX_FIELD_NAME),
                        value=trim(safe(rec.reason), MAX_FIELD_VALUE), inline=False)
    if card.remarks:
        embed.add_field(name=NOTES, value=trim("\n".join(f"ℹ️ {safe(r)}" for r in card.remarks),
                                               MAX_FIELD_VALUE), inline=False)
    footer = card.footer
    if card.kind == "compare":
        footer += " · vote: the buttons, or react " + " ".join(PICK_EMOJI[: len(card.columns)])
    elif card.kind == "verdict":
        footer += f" · vote: the buttons, or react {SHIP_EMOJI} ship or {SKIP_EMOJI} skip"
    if footer:
        embed.set_footer(text=trim(footer.strip(" ·"), MAX_FOOTER))
    return _fit_total(embed)


def _column_name(column: Column, count: int) -> str:
    prefix = f"{PICK_EMOJI[ord(column.label) - ord('A')]} " if count > 1 else ""
    return prefix + safe(column.short_name)


def _column_value(column: Column) -> str:
    return "\n".join(f"**{label}:** {safe(text)}" if label else safe(text)
                     for label, text in column_facts(column))


def _scorecard(card: Card) -> str:
    heads = scorecard_heads(card)
    rows = [f"*{safe(heads)}*"] if heads else []
    for row in card.scorecard:
        prefers = f" → {safe(row.prefers)}" if row.prefers and len(row.scores) > 1 else ""
        rows.append(f"**{safe(row.persona)}** {score_cells(row)}{prefers}")
    return "\n".join(rows)


def _review_budget(card: Card) -> int:
    """How many characters each remark may keep: a field holds 1,024, an embed 6,000 in all."""
    entries = max(len(card.reviews[0].entries), 1)
    per_field = (MAX_FIELD_VALUE - 60 * entries) // entries
    room = MAX_TOTAL - len(card.title) - len(card.footer) - 400
    per_total = (room - len(card.reviews) * (60 * entries + 20)) // (len(card.reviews) * entries)
    return max(min(per_field, per_total), 40)


def _review_value(row: ReviewRow, budget: int) -> str:
    """`**Tool** — 88/100 · ship` then the remark, whole where it fits, else cut at a word."""
    lines = []
    for entry in row.entries:
        lines.append(f"**{safe(entry.head)}**")
        if entry.text:
            lines.append(_escaped_within(entry.text, budget))
    return "\n".join(lines)


def _escaped_within(text: str, budget: int) -> str:
    """The remark escaped for markdown and at most `budget` characters, cut at a word."""
    limit = budget
    shown = safe(cut_at_word(text, limit))
    while len(shown) > budget and limit > 20:  # escapes lengthened it: cut a little more
        limit -= len(shown) - budget
        shown = safe(cut_at_word(text, limit))
    return shown


def _fit_total(embed: discord.Embed) -> discord.Embed:
    """Keep the whole embed under 6,000 characters, shortening the least important text first:
    the description, the footer, each tool's facts, the scorecard, and only then the
    recommendation's reasons. The recommendation itself (which tool to ship) always stays."""
    def shorten_field(index: int, floor: int) -> None:
        field = embed.fields[index]
        excess = len(embed) - MAX_TOTAL
        value = trim(field.value or "", max(len(field.value or "") - excess, floor))
        embed.set_field_at(index, name=field.name, value=value, inline=field.inline)

    if len(embed) > MAX_TOTAL and embed.description:
        excess = len(embed) - MAX_TOTAL
        embed.description = trim(embed.description, max(len(embed.description) - excess, 10))
    if len(embed) > MAX_TOTAL and embed.footer.text:
        excess = len(embed) - MAX_TOTAL
        embed.set_footer(text=trim(embed.footer.text, max(len(embed.footer.text) - excess, 60)))
    recommendation = next((n for n, f in enumerate(embed.fields) if (f.name or "").startswith("🏆")),
                          None)
    scorecard = next((n for n, f in enumerate(embed.fields) if f.name == "Reviewer scorecard"),
                     None)
    notes = next((n for n, f in enumerate(embed.fields) if f.name == NOTES), None)
    columns = [n for n in range(len(embed.fields)) if n not in (recommendation, scorecard, notes)]
    for floor in (400, 200, 120):
        for index in columns:
            if len(embed) > MAX_TOTAL:
                shorten_field(index, floor)
    last: tuple[tuple[int | None, int], ...] = ((scorecard, 200), (notes, 200),
                                                (recommendation, 120))
    for index, floor in last:
        if index is not None and len(embed) > MAX_TOTAL:
            shorten_field(index, floor)
    for index in columns:  # names last: very long tool names on four columns
        if len(embed) > MAX_TOTAL:
            field = embed.fields[index]
            embed.set_field_at(index, name=trim(field.name or "", 60), value=field.value,
                               inline=field.inline)
    return embed


# What a reaction means (the core decides what that means on each kind of card).
EMOJI_MEANINGS: dict[str, int | str] = {
    **{e.replace("\ufe0f", ""): n for n, e in enumerate(PICK_EMOJI)},
    SHIP_EMOJI: "ship", SKIP_EMOJI: "skip",
}


def emoji_meaning(emoji: str) -> int | str | None:
    """A column position or "ship"/"skip" for an emoji, ignoring the variation selector."""
    return EMOJI_MEANINGS.get(emoji.replace("\ufe0f", ""))
