"""Reading a need ("which voice api should we ship", "best for agent memory"): the words that
count, the category it names, and why a tool matched. Pure functions; the ranking itself is
the database's full-text search (bot.storage.needs)."""

from __future__ import annotations

import re

from bot.models import Tool

# Words that say "I am asking", not what for: they never count as matches.
FILLER = frozenset("""
a about all an and any anything are as at be best better can could do does for from get give
good great have help i in is it its me my need needs of on one or our please pick recommend
recommendation s should ship shipbot so some something suggest that the this to tool tools
top us use using want we what which who with would you your
""".split())
NEED_WORDS = ("recommend", "which", "best")  # first words that always ask by need
_WORD = re.compile(r"[a-z0-9][a-z0-9.+#-]*")


def need_terms(text: str) -> list[str]:
    """The words of a need that can match a tool (lower case, filler left out, in order)."""
    words = [w.strip(".-") for w in _WORD.findall(text.lower())]
    return list(dict.fromkeys(w for w in words if w and w not in FILLER and len(w) > 1))


def _stem(word: str) -> str:
    """A crude singular, enough to tell `agents` and `agent` apart from other words."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def category_named(terms: list[str], categories: list[str]) -> str | None:
    """The category whose every word the need uses (`code review` -> "Code review"), the
    longest if several; None if the need names none."""
    said = {_stem(t) for t in terms}
    named = [c for c in categories
             if (words := {_stem(w) for w in _WORD.findall(c.lower()) if w not in FILLER})
             and words <= said]
    return max(named, key=len) if named else None


def matched(tool: Tool, terms: list[str]) -> dict[str, list[str]]:
    """Which of the need's words a tool's text has, by where (its name, what it is for, ...)."""
    places = (("its name", f"{tool.name} {tool.short_name} {tool.vendor}"),
              ("its category", tool.category),
              ("what it is for", f"{tool.tagline} {tool.best_for}"),
              ("its summary", f"{tool.summary} {tool.pricing_text}"),
              ("the reviews", " ".join(r.text for r in tool.reviews)))
    found: dict[str, list[str]] = {}
    for term in terms:
        stem = _stem(term)[:6]
        for place, text in places:
            if any(w.startswith(stem) for w in _WORD.findall(text.lower())):
                found.setdefault(place, []).append(term)
                break
    return found


def coverage(tool: Tool, terms: list[str]) -> int:
    """How many of the need's words a tool's text has."""
    return sum(len(words) for words in matched(tool, terms).values())


def why(tool: Tool, terms: list[str]) -> str:
    """One line: which of the need's words a tool's text has, and where."""
    found = matched(tool, terms)
    if not found:
        return "related words in its description"
    return "; ".join(f"{', '.join(words)} in {place}" for place, words in found.items())
