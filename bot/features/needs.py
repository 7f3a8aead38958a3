"""Asking by need: `which voice api should we ship`, `best for agent memory`, `recommend cheap
code review tool` answer with the tools whose published text fits best."""

from __future__ import annotations

from bot.assembly import CardMaker
from bot.cards import Card, Choice
from bot.decision import panel_mean, panel_verdict
from bot.names import clip
from bot.needs import category_named, coverage, need_terms, why
from bot.store import Store

LIMIT = 5


class Needs:
    """Ranked tools for a need, by the store's full-text search."""

    def __init__(self, store: Store, maker: CardMaker) -> None:
        self.store, self.maker = store, maker

    def need(self, text: str) -> Card:
        """Up to five tools for the need in `text`, each with its panel verdict, mean,
        community votes and why it matched; buttons open each verdict, and one compares the
        top two. A need that matches nothing says so and offers `top <category>`."""
        found = self.found(text)
        if found is not None:
            return found
        categories = self.store.catalog.categories()
        if not need_terms(text):
            return self._nothing(categories, "Tell me what it is for")
        return self._nothing(categories, f"Nothing I know fits “{clip(text, 80)}”")

    def found(self, text: str) -> Card | None:
        """The ranked tools for the need in `text`; None if no tool fits (so words that may
        also be a typo'd command or name can be answered another way)."""
        terms = need_terms(text)
        if not terms:
            return None
        category, ids = self._ranked(terms, category_named(terms,
                                                           self.store.catalog.categories()))
        if not ids:
            return None
        tools = self.store.catalog.tools(ids)
        votes = self.store.votes.community(ids)
        lines = []
        for n, tool_id in enumerate(ids, 1):
            tool = tools[tool_id]
            ship, skip = votes.get(tool_id, (0, 0))
            panel = (f"panel {panel_verdict(tool.reviews)}, mean "
                     f"{panel_mean(tool.reviews):.1f}" if tool.reviews else "not reviewed yet")
            lines.append(f"{n}. {tool.short_name} — {panel} · community {ship} ship / {skip} "
                         f"skip{self.maker.age(tool_id, tool.reviewed)}")
            lines.append(f"   matched: {why(tool, terms)}")
        choices = [Choice(label=tools[i].short_name, command=f"verdict {i}", tool_id=i,
                          text=f"verdict {tools[i].short_name}") for i in ids[:4]]
        if len(ids) > 1:
            a, b = tools[ids[0]], tools[ids[1]]
            choices.append(Choice(label=f"Compare {a.short_name} vs {b.short_name}"[:75],
                                  command=f"compare {ids[0]} vs {ids[1]}",
                                  text=f"compare {a.short_name} vs {b.short_name}"))
        where = f" in {category}" if category else ""
        return Card(kind="need", title=f"Tools for “{clip(' '.join(terms), 80)}”{where}",
                    lines=lines, choices=choices, ephemeral=True,
                    footer="Ranked by how well what each tool is for matches your words; "
                           "panel scores break ties.")

    def _ranked(self, terms: list[str], category: str | None) -> tuple[str | None, list[str]]:
        """The tools for the need's words, in the category it names when that fits: a
        category word filters, unless a tool outside it covers more of the need (`one api
        for many models` asks for a router, not for a model)."""
        everywhere = self.store.needs.search(terms, None, LIMIT)
        if category is None or not everywhere:
            return None, everywhere
        within = self.store.needs.search(terms, category, LIMIT)
        if not within:
            return None, everywhere
        best = self.store.catalog.tools([within[0], everywhere[0]])
        if coverage(best[within[0]], terms) >= coverage(best[everywhere[0]], terms):
            return category, within
        return None, everywhere

    @staticmethod
    def _nothing(categories: list[str], title: str) -> Card:
        offer = [Choice(label=f"top {c}"[:75], command=f"top {c}") for c in categories[:5]]
        return Card(kind="need", title=title, ephemeral=True, choices=offer,
                    lines=["Describe what it is for in other words, e.g. `which voice api "
                           "should we ship`, or browse a category: "
                           + (", ".join(f"`top {c}`" for c in categories) or "`top`") + "."])
