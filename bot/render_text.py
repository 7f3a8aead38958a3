"""Plain-text rendering of a Card, used by the CLI and the console chat.

Every line fits `width` columns (80 unless the caller passes a terminal's width) and has no
trailing spaces. Tools stand side by side while each column has room for its facts; a wider
card (three or four tools on a narrow terminal) is stacked, one block per tool, instead of
wrapping mid-row.
"""

from __future__ import annotations

import textwrap

from bot.cards import Card, Column, ScoreRow, score_bar, shorten

WIDTH = 80  # piped output and the golden renderings: stable whatever the terminal
_LABEL = 10  # the row-label column of the side-by-side table
_GAP = " | "
_MIN_COLUMN = 24  # below this a tool's facts no longer read side by side: stack them


def render_text(card: Card, width: int = WIDTH) -> str:
    """The card as plain text lines of at most `width` columns."""
    width = max(width, 40)
    out = [*_wrap(f"== {card.title} ==", width)]
    if card.notice:
        out += _wrap(card.notice, width)
    if card.columns:
        out += _columns(card.columns, width)
    if card.scorecard:
        out.append("")
        out += _scorecard(card, width)
    for row in card.reviews:
        out.append("")
        out.append(row.persona)
        for entry in row.entries:
            out += _wrap(entry.head, width, "  ", "    ")
            if entry.text:
                out += _wrap(entry.text, width, "    ", "    ")
    if card.recommendation:
        rec = card.recommendation
        out.append("")
        out += _wrap(f">> {rec.heading}", width, "", "   ")
        out += _wrap(rec.reason, width, "   ", "   ")
    if card.remarks:
        out.append("")
        for remark in card.remarks:
            out += _wrap(remark, width, "!  ", "   ")
    if card.lines:
        if card.columns:
            out.append("")
        for line in card.lines:
            out += _wrap(line, width, "", "  ")
    if card.choices and card.kind in ("did_you_mean", "need"):
        out.append("Type one of:")
        for choice in card.choices:
            out += _wrap(choice.text or choice.command, width, "  ", "    ")
    if card.footer:
        out += _wrap(card.footer, width)
    if card.url:
        out.append(f"Source: {card.url}")  # whole, never wrapped: a terminal can open it
    return "\n".join(line.rstrip() for line in out)


def _wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """Words wrapped to `width`, never broken mid-word unless a word is wider than a line."""
    return textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest,
                         break_on_hyphens=False) or [first.rstrip()]


def _heads(columns: list[Column]) -> list[str]:
    return [f"[{c.label}] {c.short_name}" if len(columns) > 1 else c.short_name
            for c in columns]


def _column_width(count: int, width: int) -> int:
    return (width - _LABEL - len(_GAP) * (count - 1)) // count


def _facts(column: Column) -> list[tuple[str, str]]:
    """The short facts of one tool, as table rows (label, value)."""
    return [
        ("Vendor", column.vendor or "—"),
        ("Category", column.category or "—"),
        ("Panel", column.panel_line),
        ("Mean", f"{score_bar(column.mean)} {column.mean:.1f}"),
        ("Community", column.community_line),
    ]


def _long_facts(column: Column) -> list[tuple[str, str]]:
    """The facts too long for a table cell; pricing once, its model and its terms together."""
    pricing = " — ".join(x for x in (column.pricing_model, column.pricing_text) if x)
    return [(label, text) for label, text in (("Best for", column.best_for),
                                              ("Pricing", pricing)) if text]


def _columns(columns: list[Column], width: int) -> list[str]:
    cell = _column_width(len(columns), width)
    if len(columns) > 1 and cell < _MIN_COLUMN:
        return _stacked(columns, width)
    rows = [("", _heads(columns))]
    rows += [(label, [_facts(c)[n][1] for c in columns])
             for n, (label, _) in enumerate(_facts(columns[0]))]
    lines = [f"{label:<{_LABEL}}" + _GAP.join(_fit(v, cell) for v in values)
             for label, values in rows]
    for column in columns:
        tag = f" {column.label}" if len(columns) > 1 else ""
        for label, text in _long_facts(column):
            lines += _wrap(f"{label}{tag}: {text}", width, "", "  ")
    return lines


def _stacked(columns: list[Column], width: int) -> list[str]:
    """One block per tool: its head, then every fact on a line of its own."""
    lines: list[str] = []
    for head, column in zip(_heads(columns), columns, strict=True):
        if lines:
            lines.append("")
        lines += _wrap(head, width)
        for label, text in _facts(column) + _long_facts(column):
            lines += _wrap(f"{label:<{_LABEL}}{text}", width, "  ", " " * (_LABEL + 2))
    return lines


def _scorecard(card: Card, width: int) -> list[str]:
    """`Reviewer scorecard`, a header naming each tool's column, then a row per reviewer."""
    count = len(card.scorecard[0].scores)
    persona = max([len("Reviewer"), *(len(r.persona) for r in card.scorecard)]) + 1
    with_bars = 2 + persona + count * 20 <= width
    cell = 19 if with_bars else 8
    if count > 1 and 2 + persona + count * (cell + 2) > width:
        cell = 8
    out = ["Reviewer scorecard"]
    if count > 1:
        heads = [_fit(h, cell) for h in _heads(card.columns)] if card.columns else []
        out.append(f"  {'':<{persona}}" + "  ".join(heads))
    for row in card.scorecard:
        cells = "  ".join(_cell(s, v, cell) for s, v in zip(row.scores, row.verdicts,
                                                              strict=True))
        line = f"  {row.persona:<{persona}}{cells}"
        prefers = _prefers(row, count)
        if prefers and len(line) + len(prefers) + 2 <= width:
            line += f"  {prefers}"
        elif prefers:
            out.append(line)
            line = f"  {'':<{persona}}{prefers}"
        out.append(line[:width])
    return out


def _cell(score: int | None, verdict: str | None, width: int) -> str:
    shown = f"{score if score is not None else '--':>3} {verdict or '':<4}"
    if width >= 19:
        shown = f"{score_bar(score)} {shown}"
    return shown.ljust(width)


def _prefers(row: ScoreRow, count: int) -> str:
    return f"prefers {row.prefers}" if row.prefers and count > 1 else ""


def _fit(text: str, width: int) -> str:
    """Exactly `width` characters: cut with an ellipsis, or padded."""
    return shorten(text, width).ljust(width)
