"""Card assembly: the compare, verdict and reviews cards for known tool ids, with their votes,
dates and the channel's decision. Commands, publishing, the schedule and the dispatcher all
build cards here, so a card looks the same whoever sends it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot import dating
from bot.cards import Card, compare_card, error_card, reviews_card, verdict_card
from bot.dating import Freshness
from bot.decision import decide
from bot.store import CardRef, Store
from bot.team import with_channel_decision

STALE_DAYS = 180


def today() -> date:
    """Today's date in UTC, the store's time zone."""
    return datetime.now(UTC).date()


class CardMaker:
    """Builds cards for tool ids from the store."""

    def __init__(self, store: Store, stale_days: int = STALE_DAYS) -> None:
        self.store = store
        self.stale_days = stale_days

    def compare(self, ids: list[str]) -> Card:
        """The compare card for known tool ids (also used to refresh a card after votes)."""
        tools = self.store.catalog.tools(ids)
        ordered = [tools[i] for i in ids if i in tools]
        if len(ordered) < 2:
            return error_card("One of those tools is no longer in the catalog.",
                              "Run the comparison again, e.g. `compare claude azure`.")
        votes = self.store.votes.community(ids)
        found = self.store.catalog.comparison_source(ids)  # one read: source and dates
        tool_dates = {} if found else self.store.catalog.tool_dates(ids)
        fresh = dating.of_comparison(found, tool_dates, today(), self.stale_days)
        card = compare_card(ordered, votes, decide(ordered, votes),
                            found[0] if found else "", fresh)
        card.url = found[4] if found else ""
        return card

    def verdict(self, tool_id: str) -> Card:
        """The verdict card for a known tool id."""
        tool = self.store.catalog.tools([tool_id]).get(tool_id)
        if tool is None:
            return error_card("That tool is no longer in the catalog.",
                              "Run the command again, e.g. `verdict claude`.")
        related: list[str] = []
        for ids in self.store.catalog.comparisons_for(tool_id):
            others = self.store.catalog.tools(i for i in ids if i != tool_id)
            related += [t.short_name for t in others.values() if t.short_name not in related]
        return verdict_card(tool, self.store.votes.community([tool_id])[tool_id], related,
                            self.freshness(tool_id))

    def reviews(self, ids: list[str]) -> Card:
        """The reviews card for known tool ids (also what a card's Reviews button shows)."""
        tools = self.store.catalog.tools(ids)
        ordered = [tools[i] for i in ids if i in tools]
        if not ordered:
            return error_card("That tool is no longer in the catalog.",
                              "Run the command again, e.g. `reviews claude`.")
        return reviews_card(ordered)

    def for_ids(self, ids: list[str]) -> Card:
        """A verdict card for one id, a compare card for several."""
        return self.compare(ids) if len(ids) > 1 else self.verdict(ids[0])

    def for_channel(self, card: Card, platform: str, workspace: str, channel: str) -> Card:
        """A compare or verdict card with this channel's decision on its tools (bot.team)."""
        return with_channel_decision(self.store, card, platform, workspace, channel)

    def for_message(self, ref: CardRef) -> Card:
        """The fresh card a stored card message shows (after votes change its counts)."""
        card = self.verdict(ref.tool_ids[0]) if ref.kind == "verdict" else \
            self.compare(list(ref.tool_ids))
        return self.for_channel(card, ref.platform, ref.workspace, ref.channel)

    def freshness(self, tool_id: str) -> Freshness:
        """One tool's dates, as its card and the leaderboards show them."""
        dates = self.store.catalog.tool_dates([tool_id]).get(tool_id)
        return dating.of_tool(dates, today(), self.stale_days)

    def age(self, tool_id: str, reviewed: date | None) -> str:
        """` · 40 days old` (and ` · stale` past the stale age) for top and search."""
        fresh = self.freshness(tool_id)
        dates = [reviewed.isoformat()] if reviewed else []
        days = fresh.age(dates)
        if days is None:
            return ""
        return f" · {days} day{'s' if days != 1 else ''} old" + (
            " · stale" if fresh.stale(dates) else "")
