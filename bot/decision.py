"""Which tool to ship and why: pure functions over reviews and vote counts.

The formula, documented in the README:
  panel     = 0.8 * mean reviewer score + 0.2 * (100 * share of reviewers saying ship)
  community = 100 * (ship_votes + M * panel / 100) / (votes + M)       M = 25
  overall   = (panel + community) / 2
The community term is a Bayesian average whose prior is the panel's own opinion, so with no
votes overall == panel, and the community's weight grows smoothly towards one half as votes
accumulate (weight = 0.5 * n / (n + M)). A gap under TOSS_UP points overall is a toss-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import Review, Tool

PRIOR_VOTES = 25
TOSS_UP = 2.0


@dataclass(frozen=True)
class ToolScore:
    """One tool's numbers as the decision sees them."""

    tool_id: str
    name: str
    mean: float
    ships: int
    skips: int
    votes_ship: int
    votes_skip: int
    panel: float
    community: float
    overall: float


@dataclass(frozen=True)
class PersonaPreference:
    """What one reviewer prefers among the compared tools."""

    persona: str
    scores: dict[str, int | None]  # tool id -> score, in the order the tools were given
    prefers: str | None  # tool id, or None for a tie

    def score_of(self, tool_id: str) -> int | None:
        """This persona's score for one tool."""
        return self.scores.get(tool_id)


@dataclass(frozen=True)
class Decision:
    """The recommendation: a ranking, the pick (or a toss-up), margin, dissenters, reason."""

    ranking: tuple[ToolScore, ...]
    pick: str | None
    toss_up: bool
    margin: float
    preferences: tuple[PersonaPreference, ...]
    dissenters: tuple[str, ...]
    reason: str
    headline: str = ""  # `Ship X`, or what the panel found when X's panel does not say ship


def score_tool(tool: Tool, votes: tuple[int, int]) -> ToolScore:
    """Panel, community and overall scores for one tool."""
    reviews = tool.reviews
    mean = panel_mean(reviews)
    ships = sum(r.verdict == "ship" for r in reviews)
    ship_share = ships / len(reviews) if reviews else 0.0
    panel = 0.8 * mean + 20.0 * ship_share
    up, down = votes
    community = 100.0 * (up + PRIOR_VOTES * panel / 100.0) / (up + down + PRIOR_VOTES)
    return ToolScore(tool.id, tool.short_name, round(mean, 2), ships, len(reviews) - ships,
                     up, down, round(panel, 2), round(community, 2),
                     round((panel + community) / 2, 2))


def persona_preferences(tools: list[Tool]) -> tuple[PersonaPreference, ...]:
    """Each persona's scores across the tools and the tool it scores highest (None on a tie)."""
    personas: list[str] = []
    for tool in tools:
        personas += [r.persona for r in tool.reviews if r.persona not in personas]
    out = []
    for persona in personas:
        scores = {t.id: _score_by(t.reviews, persona) for t in tools}
        known = [s for s in scores.values() if s is not None]
        top = max(known) if known else None
        leaders = [tid for tid, s in scores.items() if s == top]
        # A preference needs a comparison: a reviewer who scored one tool prefers nothing.
        prefers = leaders[0] if len(leaders) == 1 and len(known) >= 2 else None
        out.append(PersonaPreference(persona, scores, prefers))
    return tuple(out)


def _score_by(reviews: list[Review], persona: str) -> int | None:
    return next((r.score for r in reviews if r.persona == persona), None)


def decide(tools: list[Tool], votes: dict[str, tuple[int, int]]) -> Decision:
    """Rank two or more tools and say which to ship, by how much, and who disagrees."""
    scored = sorted((score_tool(t, votes.get(t.id, (0, 0))) for t in tools),
                    key=lambda s: (-s.overall, -s.mean, s.name))
    first, second = scored[0], scored[1]
    margin = round(first.overall - second.overall, 2)
    toss_up = margin < TOSS_UP
    prefs = persona_preferences(tools)
    pick = None if toss_up else first.tool_id
    # A dissenter scored the pick too, and scored another tool higher.
    dissenters = tuple(p.persona for p in prefs if pick and p.prefers and p.prefers != pick
                       and p.score_of(pick) is not None)
    names = {t.id: t.short_name for t in tools}
    return Decision(tuple(scored), pick, toss_up, margin, prefs, dissenters,
                    _reason(scored, toss_up, prefs, dissenters, names),
                    _headline(scored, toss_up))


def _headline(scored: list[ToolScore], toss_up: bool) -> str:
    """`Ship X` only where X's panel says ship; otherwise what the panel found."""
    if toss_up:
        return "Toss-up"
    first = scored[0]
    verdict = verdict_of(first.ships, first.skips)
    if verdict == "ship":
        return f"Ship {first.name}"
    if verdict == "split":
        return f"{first.name} leads, but its panel is split"
    if verdict == "unreviewed":
        return f"{first.name} leads on community votes; the panel has not reviewed it"
    if any(verdict_of(s.ships, s.skips) == "ship" for s in scored[1:]):
        return f"{first.name} scores higher, but its panel says skip"
    none = "Neither ships" if len(scored) == 2 else "None of them ships"
    return f"{none}; {first.name} scores {'higher' if len(scored) == 2 else 'highest'}"


def _reason(scored: list[ToolScore], toss_up: bool, prefs: tuple[PersonaPreference, ...],
            dissenters: tuple[str, ...], names: dict[str, str]) -> str:
    """One line a person can read in a chat message."""
    first, second = scored[0], scored[1]
    means = " vs ".join(f"{s.mean:.1f}" for s in scored)
    if toss_up:
        return (f"Toss-up: {first.name} and {second.name} are within {TOSS_UP:.1f} points "
                f"(panel mean {means}); pick by what each is best for.")
    text = (f"{first.name} leads: panel mean {means}, "
            f"{first.ships}/{first.ships + first.skips} reviewers say ship")
    votes = first.votes_ship + first.votes_skip
    if votes:
        text += f", community {first.votes_ship} ship / {first.votes_skip} skip"
    text += "."
    if len(scored) > 2:
        text += (" Ranking by overall score (panel and community, 0-100): "
                 + " > ".join(f"{s.name} {s.overall:.1f}" for s in scored) + ".")
    for persona in dissenters:
        pref = next(p for p in prefs if p.persona == persona)
        other = pref.prefers or ""
        text += (f" {persona} prefers {names.get(other, other)} "
                 f"({pref.score_of(other)} vs {pref.score_of(first.tool_id)}).")
    return text


def panel_mean(reviews: list[Review]) -> float:
    """The reviewers' mean score (0 with no reviews)."""
    return sum(r.score for r in reviews) / len(reviews) if reviews else 0.0


def panel_verdict(reviews: list[Review]) -> str:
    """The panel's majority verdict: ship, skip, split (as many of each) or unreviewed."""
    ships = sum(r.verdict == "ship" for r in reviews)
    return verdict_of(ships, len(reviews) - ships)


def verdict_of(ships: int, skips: int) -> str:
    """ship or skip by majority, split on a tie, unreviewed with no reviews."""
    if ships == skips:
        return "split" if ships else "unreviewed"
    return "ship" if ships > skips else "skip"
