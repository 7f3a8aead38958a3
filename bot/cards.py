"""The platform-neutral Card every command returns, and the builders that fill it (the models
and their builders together, a little over ~300 lines, so a field and its filling stay in view)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from bot.dating import Freshness
from bot.decision import Decision, panel_verdict, score_tool
from bot.models import Tool

CardKind = Literal["compare", "verdict", "reviews", "search", "top", "did_you_mean", "error",
                   "help", "info", "need"]
VOTE_LABELS = ("A", "B", "C", "D")


class Column(BaseModel):
    """One tool's facts as shown on a card."""

    tool_id: str
    label: str
    name: str
    short_name: str
    vendor: str = ""
    category: str = ""
    tagline: str = ""
    best_for: str = ""
    pricing_model: str = ""
    pricing_text: str = ""
    reviewed: str = ""
    verdict: str = ""
    panel_ship: int = 0
    panel_skip: int = 0
    mean: float = 0.0
    votes_ship: int = 0
    votes_skip: int = 0

    @property
    def panel_line(self) -> str:
        """`Ship · 4 ship / 0 skip`."""
        return f"{self.verdict.capitalize()} · {self.panel_ship} ship / {self.panel_skip} skip"

    @property
    def community_line(self) -> str:
        """`No community votes yet` or `12 ship / 3 skip`."""
        if not self.votes_ship and not self.votes_skip:
            return "No community votes yet"
        return f"{self.votes_ship} ship / {self.votes_skip} skip"


class ScoreRow(BaseModel):
    """One reviewer's line on the scorecard: a score and verdict per tool."""

    persona: str
    scores: list[int | None]
    verdicts: list[str | None]
    prefers: str | None = None


class ReviewEntry(BaseModel):
    """One reviewer's word on one tool: score, verdict and remark, as the site shows them."""

    tool: str  # the tool's short name
    score: int | None = None
    verdict: str | None = None
    text: str = ""

    @property
    def head(self) -> str:
        """`Claude 4 API — 88/100 · ship` (or `not reviewed`)."""
        if self.score is None:
            return f"{self.tool} — not reviewed"
        return f"{self.tool} — {self.score}/100 · {self.verdict}"


class ReviewRow(BaseModel):
    """One reviewer's remarks on every tool of a card, in the card's order."""

    persona: str
    entries: list[ReviewEntry]


class Recommendation(BaseModel):
    """The pick (or a toss-up) with its reason and the personas who disagree."""

    pick_id: str | None
    pick_name: str | None
    toss_up: bool
    margin: float
    reason: str
    dissenters: list[str] = Field(default_factory=list)
    headline: str = ""  # `Ship X`, `Toss-up`, or what the panel found (bot.decision)

    @property
    def heading(self) -> str:
        """`Ship X (margin 5.6 points)`: the one line every surface leads with."""
        head = self.headline or ("Toss-up" if self.toss_up else f"Ship {self.pick_name}")
        return f"{head} (margin {self.margin:.1f} points)"


class Choice(BaseModel):
    """A button or option: what it says and the command it runs; a did-you-mean choice also
    says which tool it offers for which typed words, so picking it can teach an alias."""

    label: str
    command: str  # exact (tool ids): what a button or a typed number runs
    tool_id: str = ""
    typed: str = ""
    text: str = ""  # the same command as a person would type it (names, not ids)


class Card(BaseModel):
    """Everything an adapter needs to render one answer."""

    kind: CardKind
    title: str
    notice: str = ""
    columns: list[Column] = Field(default_factory=list)
    scorecard: list[ScoreRow] = Field(default_factory=list)
    recommendation: Recommendation | None = None
    lines: list[str] = Field(default_factory=list)
    # One-line flags under the recommendation: the community disagrees, the channel decided,
    # the verdict is stale. Every surface shows them all.
    remarks: list[str] = Field(default_factory=list)
    # The reviewers' remarks, whole: each surface cuts them at a word only where its limits
    # demand (the `reviews` command and the cards' Reviews button).
    reviews: list[ReviewRow] = Field(default_factory=list)
    choices: list[Choice] = Field(default_factory=list)
    footer: str = ""
    url: str = ""  # the comparison's page on the verdict site, when known (every surface links)
    ephemeral: bool = False

    @property
    def tool_ids(self) -> list[str]:
        """The tools this card shows, in order."""
        return [c.tool_id for c in self.columns]

    @property
    def votable(self) -> bool:
        """Compare and verdict cards take votes."""
        return self.kind in ("compare", "verdict")


def score_bar(score: float | None, width: int = 10) -> str:
    """A bar like `████████▌░` for a 0-100 score."""
    if score is None:
        return "·" * width
    tenths = round(max(0.0, min(100.0, score)) / 100 * width * 2)
    full, half = divmod(tenths, 2)
    return "█" * full + ("▌" if half else "") + "░" * (width - full - half)


def column_for(tool: Tool, label: str, votes: tuple[int, int]) -> Column:
    """A card column from a tool and its community counts."""
    numbers = score_tool(tool, votes)
    return Column(
        tool_id=tool.id, label=label, name=tool.name, short_name=tool.short_name,
        vendor=tool.vendor, category=tool.category, tagline=tool.tagline,
        best_for=tool.best_for, pricing_model=tool.pricing_model, pricing_text=tool.pricing_text,
        reviewed=tool.reviewed.isoformat() if tool.reviewed else "",
        verdict=panel_verdict(tool.reviews), panel_ship=numbers.ships, panel_skip=numbers.skips,
        mean=numbers.mean, votes_ship=votes[0], votes_skip=votes[1],
    )


def compare_card(tools: list[Tool], votes: dict[str, tuple[int, int]], decision: Decision,
                 source: str = "", fresh: Freshness | None = None) -> Card:
    """The verdict card for two to four tools; `source` names the published comparison."""
    columns = [column_for(t, VOTE_LABELS[i], votes.get(t.id, (0, 0))) for i, t in enumerate(tools)]
    names = {t.id: t.short_name for t in tools}
    rows = [
        ScoreRow(persona=p.persona, scores=[p.score_of(t.id) for t in tools],
                 verdicts=[_verdict_of(t, p.persona) for t in tools],
                 prefers=names.get(p.prefers) if p.prefers else None)
        for p in decision.preferences
    ]
    rec = Recommendation(
        pick_id=decision.pick, pick_name=names.get(decision.pick) if decision.pick else None,
        toss_up=decision.toss_up, margin=decision.margin, reason=decision.reason,
        dissenters=list(decision.dissenters), headline=decision.headline,
    )
    title = " vs ".join(c.short_name for c in columns)
    fresh = fresh or Freshness()
    remarks = [r for r in (community_disagrees(columns, decision.pick),
                           fresh.stale(_reviewed(columns))) if r]
    return Card(kind="compare", title=title, columns=columns, scorecard=rows, recommendation=rec,
                remarks=remarks, footer=_footer(columns, _panel(tools), source, fresh))


COMMUNITY_QUORUM = 10  # community votes between the compared tools before they can disagree


def community_disagrees(columns: list[Column], pick: str | None) -> str:
    """`Community disagrees: 14 of 20 votes prefer Azure AI Foundry` when enough people voted
    and the tool with the most ship votes (alone) is not the panel's pick; else ''."""
    total = sum(c.votes_ship + c.votes_skip for c in columns)
    if pick is None or total < COMMUNITY_QUORUM:
        return ""
    most = max(c.votes_ship for c in columns)
    leaders = [c for c in columns if c.votes_ship == most]
    if len(leaders) != 1 or leaders[0].tool_id == pick or most == 0:
        return ""
    return f"Community disagrees: {most} of {total} votes prefer {leaders[0].short_name}"


def verdict_card(tool: Tool, votes: tuple[int, int], related: list[str],
                 fresh: Freshness | None = None) -> Card:
    """The card for one tool: its panel, community, pricing, and reviewer lines."""
    column = column_for(tool, "A", votes)
    rows = [ScoreRow(persona=r.persona, scores=[r.score], verdicts=[r.verdict])
            for r in tool.reviews]
    lines = [tool.summary] if tool.summary else []
    if related:
        lines.append("Compared with: " + ", ".join(related))
    fresh = fresh or Freshness()
    stale = fresh.stale(_reviewed([column]))
    return Card(kind="verdict", title=tool.short_name, columns=[column], scorecard=rows,
                lines=lines, remarks=[stale] if stale else [],
                footer=_footer([column], _panel([tool]), "", fresh))


def _reviewed(columns: list[Column]) -> list[str]:
    return sorted({c.reviewed for c in columns if c.reviewed})


def _verdict_of(tool: Tool, persona: str) -> str | None:
    return next((r.verdict for r in tool.reviews if r.persona == persona), None)


def _panel(tools: list[Tool]) -> list[str]:
    """The reviewers who scored any of these tools, in the order they first appear."""
    return list(dict.fromkeys(r.persona for t in tools for r in t.reviews))


def _footer(columns: list[Column], panel: list[str], source: str = "",
            fresh: Freshness | None = None) -> str:
    dates = _reviewed(columns)
    parts = [fresh.label] if fresh and fresh.label else []
    parts.append(f"Reviewed {', '.join(dates)}" if dates else "Review date not recorded")
    if fresh and fresh.stale(dates):
        parts.insert(0, "Stale")
    who = f"Expert panel: {', '.join(panel)}" if panel else "No panel reviews yet"
    parts.append(f"Source: {source}" if source else who)
    return " · ".join(parts)


def reviews_card(tools: list[Tool]) -> Card:
    """Each reviewer's score, verdict and remark for each tool, in the scorecard's order."""
    rows = []
    for persona in _panel(tools):
        entries = []
        for tool in tools:
            review = next((r for r in tool.reviews if r.persona == persona), None)
            entries.append(ReviewEntry(tool=tool.short_name) if review is None else ReviewEntry(
                tool=tool.short_name, score=review.score, verdict=review.verdict,
                text=review.text))
        rows.append(ReviewRow(persona=persona, entries=entries))
    title = "Reviews: " + " vs ".join(t.short_name for t in tools)
    lines = [] if rows else ["No panel reviews are stored for this yet."]
    return Card(kind="reviews", title=title, reviews=rows, lines=lines, ephemeral=True,
                footer="Expert panel: " + ", ".join(_panel(tools)) if rows else "")


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending with an ellipsis when cut (labels, titles,
    fields: where a platform has a hard limit and a word boundary does not matter)."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def cut_at_word(text: str, limit: int, marker: str = " …") -> str:
    """`text` whole if it fits `limit` characters, else cut at the last word that fits, with
    `marker` saying so (the one way every surface shortens prose)."""
    if len(text) <= limit:
        return text
    room = max(limit - len(marker), 0)
    cut = text[:room]
    if " " in cut and not text[room:room + 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.—-") + marker


def error_card(message: str, hint: str = "") -> Card:
    """A private answer saying what was wrong and what to type."""
    return Card(kind="error", title="Sorry, I can't answer that", lines=[message, hint] if hint
                else [message], ephemeral=True)


def info_card(title: str, lines: list[str], ephemeral: bool = True) -> Card:
    """A short confirmation or listing."""
    return Card(kind="info", title=title, lines=lines, ephemeral=ephemeral)


def column_facts(column: Column) -> list[tuple[str, str]]:
    """(label, text) lines every platform shows for a tool; the first has no label."""
    pricing = column.pricing_model + (f" — {column.pricing_text}" if column.pricing_text else "")
    facts = [
        ("", " · ".join(x for x in (column.vendor, column.category) if x)),
        ("Panel", f"{column.panel_line} (mean {column.mean:.1f})"),
        ("Community", column.community_line),
        ("Pricing", pricing),
        ("Best for", column.best_for),
    ]
    return [(label, text) for label, text in facts if text]


def scorecard_heads(card: Card) -> str:
    """`Columns: [A] Claude 4 API | [B] Azure AI Foundry`: what each scorecard cell is for."""
    if len(card.columns) < 2:
        return ""
    return "Columns: " + " | ".join(f"[{c.label}] {c.short_name}" for c in card.columns)


def score_cells(row: ScoreRow) -> str:
    """A scorecard row's cells: `████████▌░` 88 ship | … (no markup to escape)."""
    return " | ".join(f"`{score_bar(s)}` {s if s is not None else '--'} {v or ''}"
                      for s, v in zip(row.scores, row.verdicts, strict=True))
