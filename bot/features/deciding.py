"""A channel's decisions: decide, decisions, undecide (reminders are queued by bot.schedule)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.assembly import today
from bot.cards import Card, error_card, info_card
from bot.features.lookup import Lookup, did_you_mean
from bot.models import Context
from bot.names import clip
from bot.store import Store
from bot.team import DECIDE_USAGE, DecideError, decide_request, decision_line

SHOWN_DECISIONS = 10  # the newest; ten lines with 300-character reasons fit Discord's embed


class Deciding:
    """What a channel decided to ship, over what, why, and when to look again."""

    def __init__(self, store: Store, lookup: Lookup) -> None:
        self.store, self.lookup = store, lookup

    def decide(self, ctx: Context, tool: str, over: list[str] | None = None, reason: str = "",
               revisit: date | None = None) -> Card:
        """Record this channel's decision: which tool over which, why, when to look again."""
        try:
            request = decide_request(tool, over or [], reason, revisit)
        except DecideError as exc:
            return error_card(str(exc), DECIDE_USAGE)
        names = [request.tool, *request.over]
        ids: list[str] = []
        for position, name in enumerate(names):
            resolution = self.lookup.one(name, ctx)
            if not resolution.ok or resolution.best is None:
                def command(tid: str, position: int = position,
                            name_of: Callable[[str], str] = str) -> str:
                    typed = [*map(name_of, ids), *names[len(ids):]]
                    typed[position] = name_of(tid)
                    return request.command(typed[0], typed[1:])
                return did_you_mean(resolution, command,
                                    lambda tid, p=position: command(tid, p, self.lookup.typable),
                                    exclude=set(ids))
            ids.append(resolution.best.tool_id)
        chosen, over_ids = ids[0], list(dict.fromkeys(i for i in ids[1:]))
        if chosen in over_ids:
            return error_card("A tool can't be chosen over itself.", DECIDE_USAGE)
        when = request.revisit.isoformat() if request.revisit else ""
        same = next((d for d in self.store.decisions.of_channel(
            ctx.platform, ctx.workspace, ctx.channel, limit=20) if (d.tool_id, list(d.over_ids),
            d.reason, d.revisit) == (chosen, over_ids, request.reason, when)), None)
        if same is not None:  # the same command twice records it once
            return info_card("Decisions", [f"This channel already recorded that decision as "
                                           f"#{same.id} on {same.decided_at[:10]}; nothing "
                                           "changed."])
        decision = self.store.decisions.add(
            ctx.platform, ctx.workspace, ctx.channel, chosen, over_ids, request.reason, when,
            ctx.user)
        tools = self.store.catalog.tools(decision.tool_ids)
        lines = [decision_line(decision, {t: tools[t].short_name for t in tools})]
        if request.revisit:
            at = ("as soon as I can" if request.revisit <= today()
                  else f"on {request.revisit.isoformat()}")
            lines.append(f"This channel gets the current card again {at}, to revisit it."
                         if ctx.can_receive else
                         "Revisit reminders are posted in Slack and Discord channels; this "
                         "console will not get one.")
        lines.append(f"Recorded as #{decision.id}; `decisions` lists them, "
                     f"`undecide {decision.id}` removes it.")
        return info_card(f"Decision #{decision.id} recorded", lines, ephemeral=False)

    def decisions(self, ctx: Context) -> Card:
        """This channel's decisions, newest first."""
        found = self.store.decisions.of_channel(ctx.platform, ctx.workspace, ctx.channel,
                                                SHOWN_DECISIONS + 1)
        if not found:
            return info_card("Decisions", ["This channel has recorded no decisions. Type "
                                           "`decide <tool> over <tool> because <reason>`."])
        tools = self.store.catalog.tools(t for d in found for t in d.tool_ids)
        names = {t: tools[t].short_name for t in tools}
        lines = [f"#{d.id} {decision_line(d, names)} — by {d.decided_by}"
                 + (f" · revisit {d.revisit}" if d.revisit else "")
                 for d in found[:SHOWN_DECISIONS]]
        if len(found) > SHOWN_DECISIONS:  # what fits one message on every platform
            lines.append(f"Older decisions are not shown; `undecide <id>` still removes any "
                         f"of them (ids below #{found[SHOWN_DECISIONS - 1].id}).")
        return info_card("Decisions", lines)

    def undecide(self, ctx: Context, decision_id: int | None) -> Card:
        """Its author, or someone who may manage the channel, removes one decision."""
        if decision_id is None:
            return error_card("Say which decision to remove.",
                              "Type `undecide <id>`; `decisions` lists the ids.")
        # SQLite refuses integers over 64 bits: no row has such an id
        decision = self.store.decisions.get(decision_id) if 0 < decision_id < 2**63 else None
        if decision is None or (decision.platform, decision.workspace, decision.channel) != (
                ctx.platform, ctx.workspace, ctx.channel):
            return error_card(f"This channel has no decision #{clip(str(decision_id), 20)}.",
                              "Type `decisions` to see the ids.")
        if decision.decided_by != ctx.user and not ctx.can_manage:
            return error_card("Only the person who recorded a decision, or someone who can "
                              "manage this channel, can remove it.",
                              "Ask them, or a channel admin, to run `undecide`.")
        self.store.undecide(decision.id)
        tools = self.store.catalog.tools(decision.tool_ids)
        line = decision_line(decision, {t: tools[t].short_name for t in tools})
        return info_card("Decision removed", [f"Removed #{decision.id}: {line}"],
                         ephemeral=False)
