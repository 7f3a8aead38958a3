"""Channel subscriptions: subscribe [weekly] [filter], unsubscribe <id>|all, subscriptions."""

from __future__ import annotations

from bot.cards import Card, error_card, info_card
from bot.features.lookup import Lookup
from bot.filters import FilterError, parse_filter
from bot.models import Context
from bot.names import clip
from bot.store import Store

ALL = "all"


class Subscribing:
    """Which new verdicts a channel gets, as they come or as a weekly digest."""

    def __init__(self, store: Store, lookup: Lookup, digest_when: str) -> None:
        self.store, self.lookup, self.digest_when = store, lookup, digest_when

    def subscribe(self, ctx: Context, weekly: bool = False, filter_text: str = "") -> Card:
        """Subscribe this channel to new verdicts matching a filter."""
        if ctx.is_dm:
            return error_card("Subscriptions are for channels, not direct messages.",
                              "Run `subscribe` in the channel that should get new verdicts.")
        if not ctx.can_receive:
            return error_card("New verdicts are posted to a Slack or Discord channel; this "
                              "one cannot receive them.",
                              "Run `/shipbot subscribe` in Slack or `/subscribe` in Discord.")
        if not ctx.can_manage:
            return error_card("Only people who can manage this channel can change its "
                              "subscriptions.", "Ask a channel admin to run `subscribe`.")
        try:
            found, notes = parse_filter(filter_text, self.lookup.index,
                                        self.store.catalog.categories(),
                                        self.store.catalog.vendors())
        except FilterError as exc:
            return error_card(str(exc), "Type `subscribe` for everything, `subscribe weekly` "
                                        "for a weekly digest, or see `help`.")
        sub, new = self.store.subscriptions.add(ctx.platform, ctx.workspace, ctx.channel,
                                               found.model_dump_json(), found.describe(), ctx.user,
                                               "weekly" if weekly else "instant")
        what = (f"a weekly digest ({self.digest_when}) of verdicts for {sub.filter_text}"
                if weekly else f"new verdicts for {sub.filter_text}")
        head = (f"Subscribed (#{sub.id}): {what} will be posted here." if new
                else f"Already subscribed (#{sub.id}) to {what}.")
        return info_card("Subscribed", [head, *notes], ephemeral=False)

    def unsubscribe(self, ctx: Context, target: int | str) -> Card:
        """One subscription by id, or `all` of this channel's; whoever made a subscription
        may remove it, as may anyone who manages the channel."""
        if target != ALL and not isinstance(target, int):
            return error_card("Say which subscription to remove.",
                              "Type `unsubscribe <id>` (see `subscriptions`) or `unsubscribe all`.")
        if isinstance(target, int) and not 0 < target < 2**63:  # over 64 bits: no such row
            return error_card(f"This channel has no subscription #{clip(str(target), 20)}.",
                              "Type `subscriptions` to see the ids.")
        own = isinstance(target, int) and self._made_by(target, ctx)
        if not ctx.can_manage and not own:
            return error_card("Only people who can manage this channel (or who made the "
                              "subscription) can remove it.",
                              "Ask a channel admin to run `unsubscribe`.")
        removed = self.store.unsubscribe(ctx.platform, ctx.workspace, ctx.channel,
                                         None if target == ALL else int(target))
        if not removed and target == ALL:
            return info_card("Unsubscribed", ["This channel has no subscriptions; nothing to "
                                              "remove."])
        if not removed:
            return error_card(f"This channel has no subscription #{clip(str(target), 20)}.",
                              "Type `subscriptions` to see the ids.")
        return info_card("Unsubscribed", [f"Removed {removed} subscription(s) from this channel."],
                         ephemeral=False)

    def _made_by(self, sub_id: int, ctx: Context) -> bool:
        """True when `ctx.user` made subscription `sub_id` in this very channel."""
        sub = self.store.subscriptions.get(sub_id)
        return sub is not None and sub.created_by == ctx.user and (
            sub.platform, sub.workspace, sub.channel) == (ctx.platform, ctx.workspace, ctx.channel)

    def subscriptions(self, ctx: Context) -> Card:
        """This channel's subscriptions with id, filter, who and when."""
        subs = self.store.subscriptions.list(ctx.platform, ctx.workspace, ctx.channel)
        if not subs:
            invite = ("Type `subscribe` to get new verdicts here." if ctx.can_receive else
                      "New verdicts are posted to Slack and Discord channels: run `subscribe` "
                      "in one of those; this console cannot receive them.")
            return info_card("Subscriptions", ["This channel has no subscriptions. " + invite])
        lines = [f"#{s.id} {s.cadence}: {s.filter_text} — by {s.created_by} on "
                 f"{s.created_at[:10]}" + ("" if s.active else f" (disabled: {s.disabled_reason})")
                 for s in subs]
        return info_card("Subscriptions", lines)
