"""Plain-text rendering of a Card, used by the CLI and the console chat."""

from __future__ import annotations

from bot.cards import Card, Column, score_bar

_WIDTH = 34


def render_text(card: Card) -> str:
    """The card as plain text lines, columns side by side."""
    out = [f"== {card.title} =="]
    if card.notice:
        out.append(card.notice)
    if card.columns:
        out += _columns(card.columns)
    if card.scorecard:
        out.append("")
        out.append("Reviewer scorecard")
        for row in card.scorecard:
            cells = [f"{score_bar(s)} {s if s is not None else '--':>3} {v or '':<4}"
                     for s, v in zip(row.scores, row.verdicts, strict=True)]
            prefers = f"  prefers {row.prefers}" if row.prefers and len(row.scores) > 1 else ""
            out.append(f"  {row.persona:<9}" + "  ".join(cells) + prefers)
    if card.recommendation:
        rec = card.recommendation
        out.append("")
        head = "Toss-up" if rec.toss_up else f"Ship {rec.pick_name}"
        out.append(f">> {head} (margin {rec.margin:g} points)")
        out.append(f"   {rec.reason}")
    if card.remarks:
        out.append("")
        out += [f"!  {remark}" for remark in card.remarks]
    if card.lines:
        if card.columns:
            out.append("")
        out += card.lines
    if card.choices and card.kind == "did_you_mean":
        out.append("Type one of:")
        out += [f"  {c.text or c.command}" for c in card.choices]
    if card.footer:
        out.append(card.footer)
    return "\n".join(out)


def _columns(columns: list[Column]) -> list[str]:
    rows: list[tuple[str, list[str]]] = [
        ("", [f"[{c.label}] {c.short_name}" if len(columns) > 1 else c.short_name
              for c in columns]),
        ("Vendor", [c.vendor or "—" for c in columns]),
        ("Category", [c.category or "—" for c in columns]),
        ("Panel", [c.panel_line for c in columns]),
        ("Mean", [f"{score_bar(c.mean)} {c.mean:g}" for c in columns]),
        ("Community", [c.community_line for c in columns]),
        ("Pricing", [c.pricing_model or "—" for c in columns]),
    ]
    lines = [f"{label:<10}" + " | ".join(_fit(v) for v in values) for label, values in rows]
    for c in columns:
        tag = f" {c.label}" if len(columns) > 1 else ""
        lines += [f"Best for{tag}: {c.best_for}"] if c.best_for else []
        lines += [f"Pricing{tag}: {c.pricing_text}"] if c.pricing_text else []
    return lines


def _fit(text: str) -> str:
    return (text if len(text) <= _WIDTH else text[: _WIDTH - 1] + "…").ljust(_WIDTH)
