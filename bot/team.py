"""Team decisions: parsing `decide`, and the one line a card in the deciding channel shows for
a decided tool (the revisit reminders are queued by bot.schedule)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.cards import Card
from bot.names import printable
from bot.store import ChannelDecision, Store

MAX_REASON = 300
MAX_OVER = 3  # a card compares at most four tools
# The last `revisit` with at most three words after it ends the command: its date.
_REVISIT = re.compile(r"(?:^|\s)revisit((?:\s+\S+){0,3})\s*$", re.IGNORECASE)
_BECAUSE = re.compile(r"(?:^|\s)because(?:\s+|$)", re.IGNORECASE)
_OVER = re.compile(r"\s+over(?:\s+|$)", re.IGNORECASE)
DECIDE_USAGE = ("Type `decide <tool> [over <tool>, <tool>] [because <reason>] "
                "[revisit YYYY-MM-DD]`, e.g. `decide claude over azure because cheaper "
                "revisit 2027-03-01`.")


class DecideError(ValueError):
    """A `decide` that cannot be understood; the message says what was wrong."""


@dataclass(frozen=True)
class DecideRequest:
    """What `decide` asked for, names not yet resolved."""

    tool: str
    over: list[str] = field(default_factory=list)
    reason: str = ""
    revisit: date | None = None

    def command(self, tool: str, over: list[str]) -> str:
        """The full command again with resolved names (for did-you-mean choices)."""
        text = f"decide {tool}"
        if over:
            text += " over " + ", ".join(over)
        if self.reason:
            text += f" because {self.reason}"
        if self.revisit:
            text += f" revisit {self.revisit.isoformat()}"
        return text


def parse_decide(text: str) -> DecideRequest:
    """`claude over azure, openai because cheaper revisit 2027-01-01` -> its parts."""
    text = " ".join(text.split())
    revisit = None
    if found := _REVISIT.search(text):
        when = found.group(1).strip()
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", when):
                raise ValueError
            revisit = date.fromisoformat(when)
        except ValueError:
            shown = f"“{when[:40]}” is not a date" if when else "`revisit` needs a date"
            raise DecideError(f"{shown}: give the revisit date as YYYY-MM-DD, e.g. "
                              "`revisit 2027-03-01`.") from None
        text = text[:found.start()]
    reason = ""
    if found := _BECAUSE.search(text):
        reason = text[found.end():]
        text = text[:found.start()]
        if not reason.strip():
            raise DecideError("`because` needs a reason after it.")
    tool, *rest = _OVER.split(text.strip(), maxsplit=1)
    over = [n.strip() for n in rest[0].split(",")] if rest else []
    if any(not n for n in over):
        raise DecideError("Which tool did the channel decide on? " + DECIDE_USAGE)
    return decide_request(tool, over, reason, revisit)


def decide_request(tool: str, over: list[str], reason: str = "",
                   revisit: date | None = None) -> DecideRequest:
    """A decision's parts checked, however they were typed (one sentence, or Discord's
    options): a tool, at most MAX_OVER others, a reason under MAX_REASON characters."""
    reason = " ".join(printable(reason).split())
    over = [" ".join(n.split()) for n in over if n.strip()]
    if not tool.strip():
        raise DecideError("Which tool did the channel decide on? " + DECIDE_USAGE)
    if len(over) > MAX_OVER:
        raise DecideError(f"A decision names at most {MAX_OVER} tools it was chosen over.")
    if len(reason) > MAX_REASON:
        raise DecideError(f"Keep the reason under {MAX_REASON} characters "
                          f"(it has {len(reason)}).")
    return DecideRequest(" ".join(tool.split()), over, reason, revisit)


def decision_line(decision: ChannelDecision, names: dict[str, str]) -> str:
    """`This channel shipped Claude 4 API over Azure AI Foundry on 2026-11-25: cheaper`."""
    line = f"This channel shipped {names.get(decision.tool_id, decision.tool_id)}"
    if decision.over_ids:
        line += " over " + ", ".join(names.get(t, t) for t in decision.over_ids)
    line += f" on {decision.decided_at[:10]}"
    if decision.reason:
        line += f": {decision.reason}"
    return line


def channel_remark(store: Store, tool_ids: list[str], platform: str, workspace: str,
                   channel: str) -> str:
    """The newest decision of this channel that names any of these tools, as one line; ''."""
    decision = store.decisions.newest_naming(platform, workspace, channel, tool_ids)
    if decision is None:
        return ""
    tools = store.catalog.tools(decision.tool_ids)
    return decision_line(decision, {t: tools[t].short_name for t in tools})


def with_channel_decision(store: Store, card: Card, platform: str, workspace: str,
                          channel: str) -> Card:
    """A compare or verdict card as shown in one channel: with the channel's decision on any
    of its tools, in one line. Decisions are channel data: no other channel sees them."""
    if not card.votable:
        return card
    remark = channel_remark(store, card.tool_ids, platform, workspace, channel)
    if remark:
        card.remarks.insert(0, remark)
    return card
