"""Work that falls due with time rather than with a command: weekly digests and decision
reminders. The dispatcher of each platform calls `queue_due` before each pass; whatever is due
is queued in the outbox once (a conditional update marks it done in the same transaction, so
two replicas never queue the same digest or reminder) and posted like any delivery."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.assembly import CardMaker
from bot.cards import Card
from bot.digest import DigestTime, digest_card, matches
from bot.storage.outbox import reminder_subject
from bot.store import ChannelDecision

log = logging.getLogger(__name__)


def queue_due(maker: CardMaker, platform: str, digest_at: DigestTime,
              now: datetime | None = None) -> int:
    """Queue the digests and reminders now due on one platform; returns how many."""
    now = now or datetime.now(UTC)
    return queue_digests(maker, now, platform, digest_at) + queue_reminders(maker, platform, now)


def queue_digests(maker: CardMaker, now: datetime, platform: str | None = None,
                  digest_at: DigestTime | None = None) -> int:
    """Queue each due weekly subscription's digest: every comparison published or changed
    since its last digest that its filter takes. Without `digest_at` every weekly subscription
    is due (`shipbot digest --now`). An empty week moves the mark and sends nothing. Returns
    how many digests were queued."""
    until = now.astimezone(UTC).isoformat(timespec="microseconds")
    before = digest_at.last(now).isoformat(timespec="microseconds") if digest_at else until
    lines: dict[tuple[str, ...], str] = {}  # one summary line per comparison, for all subs
    queued = 0
    for sub in maker.store.subscriptions.weekly(platform, before):
        items = []
        for ids, _changed in maker.store.catalog.changed_since(sub.digest_at, until):
            tools = maker.store.catalog.tools(ids)
            if len(tools) == len(ids) and matches(sub.filter_json, list(tools.values())):
                if ids not in lines:
                    lines[ids] = _summary(maker.compare(list(ids)))
                items.append(lines[ids])
        with maker.store.transaction():
            if not maker.store.subscriptions.digested(sub.id, sub.digest_at, until):
                continue  # another replica took this digest
            if items:
                card = digest_card(items, len(items), sub.digest_at)
                maker.store.outbox.queue(f"digest:{sub.id}@{until}", (), card.model_dump_json(),
                                       [sub.id])
                queued += 1
    return queued


def _summary(card: Card) -> str:
    """`Claude 4 API vs Azure AI Foundry: ship Claude 4 API (margin 12.5 points)`."""
    rec = card.recommendation
    if rec is None:
        return card.title
    return f"{card.title}: {rec.heading[:1].lower()}{rec.heading[1:]}"


def queue_reminders(maker: CardMaker, platform: str, now: datetime) -> int:
    """Queue one reminder, with the current card, per decision whose revisit date has come."""
    queued = 0
    for decision in maker.store.decisions.due(platform, now.date().isoformat()):
        card = reminder_card(maker, decision)
        with maker.store.transaction():
            if not maker.store.decisions.reminded(decision.id):
                continue  # another replica queued it
            if card is None:
                log.warning("decision #%d names a tool no longer in the catalog: no reminder",
                            decision.id)
                continue
            maker.store.outbox.queue_to(
                reminder_subject(decision.id), decision.tool_ids, card.model_dump_json(),
                [(decision.platform, decision.workspace, decision.channel, "channel")])
            queued += 1
    return queued


def reminder_card(maker: CardMaker, decision: ChannelDecision) -> Card | None:
    """The decision's current card, saying it is time to look again; None if a tool is gone."""
    ids = list(decision.tool_ids)
    if len(maker.store.catalog.tools(ids)) < len(ids):
        return None
    # The channel's decision line is added when it is sent (bot.dispatch), as for every
    # card posted in a channel: once, and as the decisions stand then.
    card = maker.for_ids(ids)
    card.notice = (f"Time to revisit decision #{decision.id}, made on "
                   f"{decision.decided_at[:10]}: here is the card as it stands today.")
    card.ephemeral = False
    return card
