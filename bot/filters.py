"""Subscription filters: `category:<name> vendor:<name> tool:<name> min_score:<n> verdict:ship`."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from bot.decision import panel_mean, panel_verdict
from bot.matching import NameIndex, closest
from bot.models import Tool

_KEY = re.compile(r"\b(category|vendor|tool|min_score|verdict)\s*:\s*", re.IGNORECASE)
FILTER_HELP = ("Filters: category:<name>, vendor:<name>, tool:<name>, min_score:<0-100>, "
               "verdict:ship|skip, combinable, e.g. `subscribe vendor:anthropic min_score:80`.")


class FilterError(ValueError):
    """A filter that cannot be understood or can never match; the message says why."""


class SubscriptionFilter(BaseModel):
    """Which published verdicts a channel wants; empty means everything."""

    categories: list[str] = Field(default_factory=list)
    vendors: list[str] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)
    min_score: int | None = None
    verdict: str | None = None

    def describe(self) -> str:
        """The canonical text, also the key that makes a repeated subscribe a no-op."""
        parts = [f"category:{c}" for c in self.categories]
        parts += [f"vendor:{v}" for v in self.vendors]
        parts += [f"tool:{t}" for t in self.tools]
        if self.min_score is not None:
            parts.append(f"min_score:{self.min_score}")
        if self.verdict:
            parts.append(f"verdict:{self.verdict}")
        return " ".join(parts) or "everything"

    def matches(self, tool: Tool) -> bool:
        """True when a verdict on `tool` should reach this subscription."""
        if self.categories and tool.category.lower() not in {c.lower() for c in self.categories}:
            return False
        if self.vendors and tool.vendor.lower() not in {v.lower() for v in self.vendors}:
            return False
        if self.tools and tool.id not in self.tools:
            return False
        if self.min_score is not None and panel_mean(tool.reviews) < self.min_score:
            return False
        return not (self.verdict and panel_verdict(tool.reviews) != self.verdict)


def parse_filter(text: str, index: NameIndex, categories: list[str],
                 vendors: list[str]) -> tuple[SubscriptionFilter, list[str]]:
    """Parse filter text; returns the filter and lines confirming what each part resolved to."""
    text = text.strip()
    if text.lower() in ("", "all", "everything", "*"):
        return SubscriptionFilter(), []
    pieces = _KEY.split(" " + text)
    if pieces[0].strip():
        raise FilterError(f"I don't understand {pieces[0].strip()!r}. {FILTER_HELP}")
    found = SubscriptionFilter()
    notes: list[str] = []
    seen: dict[str, str] = {}
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        key, value = key.lower(), value.strip()
        if key in ("min_score", "verdict") and key in seen and seen[key] != value.lower():
            raise FilterError(f"{key} is given twice ({seen[key]} and {value}); a subscription "
                              f"has one {key}. {FILTER_HELP}")
        seen[key] = value.lower()
        _apply(found, key, value, index, categories, vendors, notes)
    return found, notes


def _apply(found: SubscriptionFilter, key: str, value: str, index: NameIndex,
           categories: list[str], vendors: list[str], notes: list[str]) -> None:
    if not value:
        raise FilterError(f"`{key}:` needs a value. {FILTER_HELP}")
    if key == "min_score":
        if not (value.isascii() and value.isdigit() and len(value) <= 3) \
                or not 0 <= int(value) <= 100:
            raise FilterError(f"min_score must be a whole number from 0 to 100, not "
                              f"{value[:20]!r}.")
        found.min_score = int(value)
    elif key == "verdict":
        if value.lower() not in ("ship", "skip"):
            raise FilterError(f"verdict must be ship or skip, not {value!r}.")
        found.verdict = value.lower()
    elif key == "tool":
        resolution = index.resolve(value)
        if not resolution.ok or resolution.best is None:
            options = ", ".join(m.name for m in resolution.candidates) or "none close"
            raise FilterError(f"No single tool matches {value!r} (closest: {options}).")
        found.tools.append(resolution.best.tool_id)
        notes.append(f"tool:{value} means {resolution.best.name}")
    else:
        known = categories if key == "category" else vendors
        name, nearest = closest(value, known)
        if name is None:
            hint = f" Did you mean: {', '.join(nearest)}?" if nearest else ""
            raise FilterError(f"No {key} named {value!r} in the catalog, so this could never "
                              f"match.{hint}")
        (found.categories if key == "category" else found.vendors).append(name)
        if name.lower() != value.lower():
            notes.append(f"{key}:{value} means {name}")
