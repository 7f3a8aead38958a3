"""What a card may say about its date, and how old its verdict is: pure functions over the
dates the store keeps (bot.storage.catalog.tool_dates and comparison_source).

`Published` is only ever a date from the data. Where the data gives none, a card says when
shipbot added it. A card of tools never compared together says so instead of any date. A
verdict's age counts from its newest publication (or change), never its oldest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

NEVER_COMPARED = "Never compared together: each tool's own verdict"


@dataclass(frozen=True)
class Freshness:
    """A card's date line and the day its verdict's age counts from."""

    label: str = ""  # "Published 2026-01-02", "Added 2026-12-02" or NEVER_COMPARED
    verdict_on: str = ""  # YYYY-MM-DD
    today: date | None = None
    stale_days: int = 180

    def age(self, reviewed: Sequence[str] = ()) -> int | None:
        """Days since the later of the verdict and its review dates; None if neither is known."""
        known = [d for d in (self.verdict_on, *reviewed) if d]
        if not known or self.today is None:
            return None
        try:
            return (self.today - date.fromisoformat(max(known)[:10])).days
        except ValueError:
            return None

    def stale(self, reviewed: Sequence[str] = ()) -> str:
        """The card's stale remark, or '' while the verdict is fresh."""
        days = self.age(reviewed)
        if days is None or days <= self.stale_days:
            return ""
        return (f"Stale: this verdict is {days} days old (over {self.stale_days}); "
                "prices and scores may have changed since.")


def dated(published: str, added: str) -> str:
    """`Published D` from the data, else `Added D` (when shipbot stored it), else ''."""
    if published:
        return f"Published {published[:10]}"
    return f"Added {added[:10]}" if added else ""


def of_comparison(found: tuple[str, str, str, str, str] | None,
                  tools: dict[str, tuple[str, str, str]], today: date | None,
                  stale_days: int) -> Freshness:
    """A compare card's freshness: the published comparison's dates, or, for tools never
    compared together, that fact and the age of the oldest verdict among them."""
    if found is not None:
        _, published, added, changed, _ = found
        return Freshness(dated(published, added), published or changed or added, today,
                         stale_days)
    days = [verdict_on(*dates) for dates in tools.values()]
    return Freshness(NEVER_COMPARED, min((d for d in days if d), default=""), today,
                     stale_days)


def of_tool(dates: tuple[str, str, str] | None, today: date | None,
            stale_days: int) -> Freshness:
    """A tool's freshness: its newest published date, else the day it was added."""
    if dates is None:
        return Freshness(today=today, stale_days=stale_days)
    published, added, _ = dates
    return Freshness(dated(published, added), verdict_on(*dates), today, stale_days)


def verdict_on(published: str, added: str, newest: str) -> str:
    """The day a tool's newest verdict counts from."""
    return newest or published or added
