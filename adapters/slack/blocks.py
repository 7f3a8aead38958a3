"""Rendering a core Card as Slack Block Kit, within Slack's limits and with nothing that pings."""

from __future__ import annotations

import json
import re
from typing import Any

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

MAX_BLOCKS = 50
MAX_TEXT = 3000  # section text
MAX_FIELD = 2000  # section field
MAX_HEADER = 150
MAX_BUTTON = 75
MAX_VALUE = 2000  # Slack's limit for a button's value
# What a reaction means (the core decides what that means on each kind of card): a letter or
# number picks a tool by column, a check or a cross is ship or skip.
REACTION_MEANINGS: dict[str, int | str] = {
    "a": 0, "b": 1, "one": 0, "two": 1, "three": 2, "four": 3,
    "white_check_mark": "ship", "heavy_check_mark": "ship", "ballot_box_with_check": "ship",
    "x": "skip", "negative_squared_cross_mark": "skip",
}
_PICK_HINT = (":a:", ":b:", ":three:", ":four:")

Block = dict[str, Any]


def escape(text: str) -> str:
    """Escape mrkdwn control characters so no mention, link or channel ping can form."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object; angle brackets become look-alikes since plain text isn't escaped."""
    clean = text.replace("<", "‹").replace(">", "›")
    return {"type": "plain_text", "text": trim(clean, limit), "emoji": True}


def trim(text: str, limit: int) -> str:
    """Cut text to `limit` characters, ending with an ellipsis when cut; never in the middle of
    an escape (half an `&amp;` would show as text, or swallow what follows)."""
    cut = shorten(text, limit)
    return cut if cut == text else re.sub(r"&[a-z]{0,3}$", "", cut[:-1]) + "…"


def mrkdwn(text: str) -> dict[str, Any]:
    """A section's mrkdwn text object (callers escape data before formatting)."""
    return {"type": "mrkdwn", "text": trim(text, MAX_TEXT)}


def render(card: Card) -> tuple[list[Block], str]:
    """Blocks for a card, and the plain fallback text used in notifications."""
    blocks: list[Block] = [{"type": "header", "text": plain(card.title, MAX_HEADER)}]
    if card.notice:
        blocks.append({"type": "section", "text": mrkdwn(f"*{escape(card.notice)}*")})
    if card.columns:
        blocks.append({"type": "section",
                       "fields": [_field(c, len(card.columns) > 1) for c in card.columns[:10]]})
    if card.scorecard:
        blocks.append({"type": "divider"})
        blocks.append({"type": "section", "text": mrkdwn(_scorecard(card))})
    for row in card.reviews[:40]:
        blocks.append({"type": "section", "text": mrkdwn(_reviews(row))})
    if card.recommendation:
        rec = card.recommendation
        blocks.append({"type": "section", "text": mrkdwn(
            f":trophy: *{escape(rec.heading)}*\n{escape(rec.reason)}")})
    if card.remarks:
        blocks.append({"type": "section", "text": mrkdwn(
            "\n".join(f":information_source: {escape(x)}" for x in card.remarks))})
    for chunk in _chunks([escape(x) for x in card.lines], MAX_TEXT):
        blocks.append({"type": "section", "text": mrkdwn(chunk)})
    buttons = _buttons(card)
    if buttons:
        blocks.append({"type": "actions", "block_id": "shipbot_actions", "elements": buttons})
    context = _context(card)
    if context:
        blocks.append({"type": "context", "elements": [mrkdwn(escape(context))]})
    return blocks[:MAX_BLOCKS], escape(fallback_text(card))


def _chunks(lines: list[str], limit: int, most: int = 20) -> list[str]:
    """Lines joined into texts of at most `limit` characters, whole lines kept together (a
    long list is several sections, not one cut off); at most `most` texts."""
    out: list[str] = []
    for line in lines:
        if out and len(out[-1]) + 1 + len(line) <= limit:
            out[-1] += "\n" + line
        else:
            out.append(line)
    return out[:most]


def fallback_text(card: Card) -> str:
    """One line for notifications and screen readers."""
    if card.recommendation:
        rec = card.recommendation
        head = rec.headline or ("Toss-up" if rec.toss_up else f"Ship {rec.pick_name}")
        return trim(f"{card.title}: {head[:1].lower()}{head[1:]}", MAX_TEXT)
    return trim(" ".join([card.title, *card.lines[:1]]), MAX_TEXT)


def _field(column: Column, lettered: bool) -> dict[str, Any]:
    label = f"[{column.label}] " if lettered else ""
    lines = [f"*{escape(label + column.short_name)}*"]
    lines += [f"{name}: {escape(text)}" if name else escape(text)
              for name, text in column_facts(column)]
    return {"type": "mrkdwn", "text": trim("\n".join(lines), MAX_FIELD)}


def _scorecard(card: Card) -> str:
    heads = scorecard_heads(card)
    rows = ["*Reviewer scorecard*"] + ([f"_{escape(heads)}_"] if heads else [])
    for row in card.scorecard:
        prefers = f" → {escape(row.prefers)}" if row.prefers and len(row.scores) > 1 else ""
        rows.append(f"*{escape(row.persona)}*: {score_cells(row)}{prefers}")
    return "\n".join(rows)


def _reviews(row: ReviewRow) -> str:
    """One reviewer's section: each tool's score line and remark, whole where the section's
    3,000 characters allow, else each remark cut at a word with a marker."""
    heads = [f"*{escape(e.head)}*" for e in row.entries]
    fixed = len(escape(row.persona)) + 4 + sum(len(h) + 2 for h in heads)
    budget = (MAX_TEXT - fixed) // max(len(row.entries), 1)
    lines = [f"*{escape(row.persona)}*"]
    for head, entry in zip(heads, row.entries, strict=True):
        lines.append(head)
        if entry.text:
            text = escape(cut_at_word(entry.text, budget))
            while len(text) > budget:  # escapes lengthened it: cut a little more
                text = escape(cut_at_word(entry.text, budget - (len(text) - budget)))
            lines.append(text)
    return "\n".join(lines)


def _buttons(card: Card) -> list[Block]:
    # The tools' ids travel in the Reviews button, so any replica answers it, after restarts.
    reviews = _button("Reviews", "reviews", {"tool_ids": card.tool_ids})
    if card.kind == "compare":
        link = [{"type": "button", "text": plain("Full comparison", MAX_BUTTON),
                 "action_id": "shipbot_link", "url": card.url[:3000]}] if card.url else []
        return [*(_button(f"Ship {c.short_name}", f"vote_{i}", {"pos": i, "choice": "ship"})
                  for i, c in enumerate(card.columns[:4])), reviews, *link]
    if card.kind == "verdict":
        return [_button("Ship", "vote_ship", {"pos": 0, "choice": "ship"}, style="primary"),
                _button("Skip", "vote_skip", {"pos": 0, "choice": "skip"}, style="danger"),
                reviews]
    return [_button(c.label, f"choose_{n}", {"command": c.command, "tool_id": c.tool_id,
                                             "typed": c.typed})
            for n, c in enumerate(card.choices[:5])]


def _button(label: str, action: str, value: dict[str, Any], style: str = "") -> Block:
    encoded = json.dumps(value)
    if len(encoded) > MAX_VALUE and "typed" in value:  # learning is a bonus; the command is not
        encoded = json.dumps({k: v for k, v in value.items() if k != "typed"})
    # Never cut an encoded value: half a JSON document cannot be pressed. Commands are built
    # from tool ids (at most 120 characters each), so this holds by construction.
    assert len(encoded) <= MAX_VALUE, "a button value over Slack's 2,000 characters"
    button: Block = {"type": "button", "text": plain(label, MAX_BUTTON),
                     "action_id": f"shipbot_{action}", "value": encoded}
    if style:
        button["style"] = style
    return button


def _context(card: Card) -> str:
    hint = ""
    if card.kind == "compare":
        hint = "Vote: react " + " / ".join(_PICK_HINT[: len(card.columns)]) + " or use the buttons"
    elif card.kind == "verdict":
        hint = "Vote: react :white_check_mark: ship or :x: skip"
    return " · ".join(x for x in (card.footer, hint) if x)
