"""Comparing and verdicts: compare, verdict, reviews, search, top and help."""

from __future__ import annotations

from bot.assembly import CardMaker
from bot.cards import Card, Choice, error_card, score_bar
from bot.features.lookup import Lookup, did_you_mean
from bot.features.needs import Needs
from bot.matching import Resolution, closest
from bot.models import Context
from bot.names import clip, normalize
from bot.splitting import MAX_TOOLS, ToolsResolution
from bot.store import Store

HELP_LINES = [
    "compare <tool> <tool> — which to ship, e.g. `compare claude azure` or `compare a vs b vs c`",
    "verdict <tool> — one tool's panel scores, community votes and pricing",
    "reviews <tool> [<tool>] — each reviewer's score, verdict and remark",
    "search <words> — tools whose names match",
    "which <need> — tools for what you need, e.g. `which voice api should we ship`, "
    "`best for agent memory`, `recommend cheap code review tool`",
    "top [category] — the leaderboard by panel score",
    "vote <tool> ship|skip|retract — your community vote (one per tool)",
    "subscribe [weekly] [filter] — post new verdicts in this channel, as they come or as one "
    "weekly digest; {filter_help}",
    "unsubscribe <id>|all — stop them; subscriptions — list this channel's",
    "watch <tool> — get a direct message when its verdict is published or changes; "
    "unwatch <tool>|all; watching — your list",
    "decide <tool> [over <tool>, <tool>] [because <reason>] [revisit YYYY-MM-DD] — record "
    "this channel's decision; decisions — list them; undecide <id> — remove one",
    "help — this list",
]


class Comparing:
    """Answers about tools: which to ship, one tool, the panel's words, lists."""

    def __init__(self, store: Store, lookup: Lookup, maker: CardMaker, needs: Needs) -> None:
        self.store, self.lookup, self.maker, self.needs = store, lookup, maker, needs

    def _as_need(self, text: str, parts: tuple[Resolution, ...]) -> Card | None:
        """Words that name no tool (every part missing, none even ambiguous) are a need: its
        ranked tools, if any fit (else None: the name path answers as before)."""
        if any(p.status != "missing" for p in parts):
            return None
        return self.needs.found(text)

    def compare(self, ctx: Context, names: list[str]) -> Card:
        """Two to four tools and which to ship. One string is free text to split (`claude
        azure`); several are one name each (typed options), never split further."""
        names = [n for n in names if n.strip()]
        if not names:
            return error_card("Tell me which tools to compare.", "Type `compare claude azure`.")
        if len(names) == 1:
            found = self.lookup.several(names[0], ctx)
        else:
            found = ToolsResolution(tuple(self.lookup.one(n, ctx) for n in names))
        need = self._as_need(" ".join(names), found.parts)
        if need is not None:
            return need
        if len(found.parts) < 2:
            return self._one_name(names[0], found.parts)
        unclear = self.lookup.unclear_part(found, "compare")
        if unclear is not None:
            return unclear
        ids = list(dict.fromkeys(found.tool_ids))  # a tool named twice is compared once
        if len(ids) < 2:
            part = found.parts[0]
            return error_card(f"Those names all point at the same tool ({part.best.name}).",  # type: ignore[union-attr]
                              "Compare two different tools, e.g. `compare claude azure`, "
                              f"or see this one with `verdict {clip(part.query)}`.")
        card = self.maker.compare(ids[:MAX_TOOLS])
        if len(ids) > MAX_TOOLS and card.kind == "compare":
            tools = self.store.catalog.tools(ids[MAX_TOOLS:])
            left = ", ".join(tools[i].short_name for i in ids[MAX_TOOLS:] if i in tools)
            card.notice = (f"A card compares up to {MAX_TOOLS} tools; left out: {left}. "
                           "Compare them in another card.")
        return card

    def _one_name(self, query: str, parts: tuple[Resolution, ...]) -> Card:
        if not parts or not parts[0].ok or parts[0].best is None:
            return did_you_mean(parts[0] if parts else Resolution(query, "missing", ()),
                                lambda tid: f"verdict {tid}",
                                lambda tid: f"verdict {self.lookup.typable(tid)}")
        one = parts[0].best.name
        return error_card(f"I need at least two tools to compare; I only found {one}.",
                          f"Type `compare {clip(query)} vs <another tool>`, or "
                          f"`verdict {clip(query)}` for one tool.")

    def verdict(self, ctx: Context, tool: str) -> Card:
        """One tool's card."""
        if not tool.strip():
            return error_card("Which tool?", "Type `verdict claude`.")
        whole = self.lookup.one(tool, ctx)  # and its parts: `verdict claude azure` names two
        need = None if whole.status != "missing" else \
            self._as_need(tool, self.lookup.several(tool, ctx).parts)
        if need is not None:
            return need
        found = self.lookup.one_tool(tool, ctx, "verdict")
        return found if isinstance(found, Card) else self.maker.verdict(found[0])

    def reviews(self, ctx: Context, names: list[str]) -> Card:
        """Each reviewer's score, verdict and remark for one to four tools; one string is
        free text as in compare."""
        names = [n for n in names if n.strip()]
        if not names:
            return error_card("Whose reviews?", "Type `reviews claude`, or `reviews claude "
                                                "azure` to read them side by side.")
        if len(names) == 1:
            whole = self.lookup.one(names[0], ctx)
            if whole.ok and whole.best is not None:
                return self.maker.reviews([whole.best.tool_id])
            found = self.lookup.several(names[0], ctx)
            if len(found.parts) < 2:
                return did_you_mean(whole, lambda tid: f"reviews {tid}",
                                    lambda tid: f"reviews {self.lookup.typable(tid)}")
        else:
            found = ToolsResolution(tuple(self.lookup.one(n, ctx) for n in names))
        unclear = self.lookup.unclear_part(found, "reviews")
        if unclear is not None:
            return unclear
        return self.maker.reviews(list(dict.fromkeys(found.tool_ids))[:MAX_TOOLS])

    def search(self, ctx: Context, query: str) -> Card:
        """Tools whose names match the words given."""
        if not normalize(query):
            return error_card("Search for what? Give a word of a tool's name.",
                              "Type `search voice`, or `top` to browse every tool.")
        matches = self.lookup.index.suggest(query, limit=10)
        if not matches:
            return Card(kind="search", title=f"No tools match “{clip(query)}”",
                        lines=["Try fewer or different words, or `top` to browse."],
                        ephemeral=True)
        tools = self.store.catalog.tools(m.tool_id for m in matches)
        lines = [f"{t.short_name} — {t.vendor or 'unknown vendor'} · {t.category}"
                 + self.maker.age(t.id, t.reviewed) for t in tools.values()]
        choices = [Choice(label=t.short_name, command=f"verdict {t.id}") for t in tools.values()]
        return Card(kind="search", title=f"Tools matching “{clip(query)}”", lines=lines,
                    choices=choices[:5], ephemeral=True)

    def top(self, ctx: Context, category: str | None = None) -> Card:
        """The leaderboard by panel mean, optionally in one category."""
        chosen = None
        if category and category.strip():
            known = self.store.catalog.categories()
            chosen, nearest = closest(category, known)
            if chosen is None:
                offer = nearest or known[:5]
                return Card(kind="did_you_mean", ephemeral=True,
                            title=f"No category named “{clip(category)}”",
                            lines=[("Did you mean: " if nearest else "Categories: ")
                                   + ", ".join(offer) + "?" if offer else "No categories yet."],
                            choices=[Choice(label=c, command=f"top {c}") for c in offer[:5]])
        rows = self.store.catalog.leaderboard(chosen, 10)
        tools = self.store.catalog.tools(r[0] for r in rows)
        lines = [f"{n}. {tools[tid].short_name} {score_bar(mean)} panel mean {mean:.1f}"
                 + self.maker.age(tid, tools[tid].reviewed)
                 for n, (tid, mean) in enumerate(rows, 1)]
        title = f"Top tools in {chosen}" if chosen else "Top tools"
        return Card(kind="top", title=title, lines=lines or ["No reviewed tools yet."])

    @staticmethod
    def help(filter_help: str) -> Card:
        """The command list."""
        return Card(kind="help", title="shipbot: which should I ship?",
                    lines=[line.format(filter_help=filter_help) for line in HELP_LINES],
                    ephemeral=True)
