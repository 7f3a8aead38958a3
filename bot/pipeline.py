"""The card pipeline both platforms share: votes on cards, coalesced refreshes, healing.

Each platform supplies a `CardPlatform` (post a card, send one privately to a person, edit a
card, read the reactions on it) and turns its own events into `VoteEvent`s; everything above
that is written once, here, and runs on the replica's one event loop. Store work runs on the
loop's default executor: the replica's one bounded store pool (shipbot.runner), because the
store's engines are synchronous (sqlite3, and psycopg's pool shared with the CLI).

Votes that arrive together share one transaction (group commit, bot.grouped): each is
recorded in a savepoint of its own (one that fails is not acknowledged, the rest commit), and
each caller's await returns only after that transaction has committed, so an adapter that
acks after `vote()` never acks a vote the store does not hold. The records of posted cards go
through the same writer (`remember`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from bot.cards import Card
from bot.coalesce import Coalescer
from bot.commands import ShipBot
from bot.dispatch import Poster
from bot.grouped import GroupWriter
from bot.models import Context
from bot.store import CardRef

log = logging.getLogger(__name__)
MAX_PEOPLE = 100_000  # voters' bot flags remembered in memory per platform
Outcome = Literal["unknown", "unchanged", "changed"]
Recorded = tuple[CardRef, bool] | None  # a vote's card and whether it changed; None: not ours


@dataclass(frozen=True)
class VoteEvent:
    """A vote on a card, in the platform's terms translated: `meaning` is a column (a pick on
    a compare card) or "ship"/"skip"; `at` is the platform's time of the event, which orders
    a person's votes whatever order they arrive in; `event_id` is the platform's delivery id,
    so a retried delivery counts once."""

    workspace: str
    channel: str
    message_id: str
    user: str
    meaning: int | str
    added: bool
    at: float
    via: Literal["reaction", "button"] = "reaction"
    choice: Literal["ship", "skip"] = "ship"  # a button's; its meaning is its column
    event_id: str = ""

    @classmethod
    def button(cls, workspace: str, channel: str, message_id: str, user: str, position: int,
               choice: str, at: float) -> VoteEvent:
        """A press of a card's Ship (or Skip) button in column `position`; anything but
        "skip" is a ship."""
        return cls(workspace=workspace, channel=channel, message_id=message_id, user=user,
                   meaning=position, added=True, at=at, via="button",
                   choice="skip" if choice == "skip" else "ship")


class CardPlatform(Poster, Protocol):
    """What a platform implements for cards (with Poster's post and post_dm)."""

    async def edit(self, ref: CardRef, card: Card) -> None:
        """Replace the card shown in a posted message."""
        ...

    async def reactions(self, ref: CardRef) -> dict[str, set[int | str]]:
        """The people (not bots) reacting to a card now, each with their reactions' meanings."""
        ...


class CardPipeline:
    """Votes, refreshes and healing of one platform's cards, above its CardPlatform."""

    def __init__(self, bot: ShipBot, platform: CardPlatform, refresh_delay: float = 1.0,
                 edit_timeout: float = 30.0) -> None:
        self.bot = bot
        self.platform = platform
        self.name = platform.platform
        self.refresher = Coalescer(refresh_delay, self._refresh, edit_timeout)
        self.writes = GroupWriter(bot.store, self.name)  # votes and posted cards' records
        self._bots: dict[tuple[str, str], bool] = {}

    # ---- votes ---------------------------------------------------------------------------

    async def vote(self, event: VoteEvent, ask: Ask | None = None) -> Outcome:
        """Record a vote; returns once the transaction holding it has committed: "unknown"
        (not one of our cards), "unchanged" (a bot, a retry, or nothing to change) or
        "changed" (the card will be refreshed). Raises if the store could not take it.

        `ask`, where the platform's event does not say whether the voter is a bot, asks the
        platform; its answer is stored (with the vote) for every replica, and asked only
        for someone no replica has asked about, and only on our own cards."""
        learned: bool | None = None
        if ask is not None and (event.workspace, event.user) not in self._bots:
            ref, stored = await asyncio.to_thread(self._card_and_person, event)
            if ref is None:
                return "unknown"  # not our card: no need to ask about the person
            learned = await self._flag(event.workspace, event.user, stored, ask)
        if ask is not None and self._bots.get((event.workspace, event.user)):
            if learned is not None:
                await asyncio.to_thread(self.bot.store.people.remember, self.name,
                                        event.workspace, event.user, learned)
            return "unchanged"  # bots' reactions are not votes
        recorded = await self.writes.write(
            functools.partial(self._record_new, event, learned),
            f"vote on {event.channel}/{event.message_id}")
        if recorded is None:
            return "unknown"
        ref, changed = recorded
        if changed:
            self.touch(ref)
        return "changed" if changed else "unchanged"

    def _card_and_person(self, event: VoteEvent) -> tuple[CardRef | None, bool | None]:
        """The card voted on, and whether any replica learned the voter is a bot."""
        store = self.bot.store
        ref = store.cards.card_at(self.name, event.channel, event.message_id)
        if ref is None:
            return None, None
        return ref, store.people.is_bot(self.name, event.workspace, event.user)

    async def _flag(self, workspace: str, user: str, stored: bool | None,
                    ask: Ask) -> bool | None:
        """Remember whether an account is a bot: what the store says (`stored`), else what
        the platform answers now, which is returned for the caller to store (None: nothing
        new). An account the platform could not tell about counts as a person, and is asked
        about again next time."""
        flag = stored
        if flag is None:
            flag = await ask(user)
            if flag is None:
                return None
        if len(self._bots) >= MAX_PEOPLE:  # a plain bound; the store still has them all
            self._bots.clear()
        self._bots[(workspace, user)] = flag
        return flag if stored is None else None

    async def known_bot(self, workspace: str, user: str, ask: Ask) -> bool:
        """Whether an account is a bot (for healing): remembered here, then in the store,
        then asked of the platform and stored; False when the platform could not say."""
        if (workspace, user) not in self._bots:
            stored = await asyncio.to_thread(self.bot.store.people.is_bot, self.name,
                                             workspace, user)
            learned = await self._flag(workspace, user, stored, ask)
            if learned is not None:
                await asyncio.to_thread(self.bot.store.people.remember, self.name, workspace,
                                        user, learned)
        return self._bots.get((workspace, user), False)

    def _record_new(self, event: VoteEvent, learned: bool | None) -> Recorded:
        """In a group's transaction: what the platform said of a new voter, then the vote."""
        if learned is not None:
            self.bot.store.people.remember(self.name, event.workspace, event.user, learned)
        return self._record(event)

    def _record(self, event: VoteEvent) -> Recorded:
        """One vote: its card and whether a vote changed; None if the card is not ours."""
        store = self.bot.store
        ref = store.cards.card_at(self.name, event.channel, event.message_id)
        if ref is None:
            return None
        if event.event_id and not store.votes.first_sighting(self.name, event.event_id):
            return ref, False  # the platform retried a delivery this or another replica counted
        ctx = Context(platform=self.name, workspace=ref.workspace, channel=ref.channel,
                      user=event.user)
        voting = self.bot.voting
        if event.via == "button":
            changed = voting.card_button(ctx, ref, int(event.meaning), event.choice, event.at)
        else:
            changed = voting.card_reaction(ctx, ref, event.meaning, event.added, event.at)
        return ref, changed

    # ---- refreshes -----------------------------------------------------------------------

    async def remember(self, ref: CardRef) -> None:
        """Keep what a posted card shows (votes on it count from then on), in the next group."""
        await self.writes.write(functools.partial(self.bot.store.cards.remember_card, ref),
                                f"record of card {ref.channel}/{ref.message_id}")

    def touch(self, ref: CardRef) -> None:
        """A card's counts changed: edit it soon (a burst of votes becomes one edit)."""
        self.refresher.touch((ref.workspace, ref.channel, ref.message_id))

    async def _refresh(self, key: Hashable) -> None:
        """Re-render a card from the store and edit the message once."""
        assert isinstance(key, tuple)
        _, channel, message_id = key
        ref = await asyncio.to_thread(self.bot.store.cards.card_at, self.name, channel,
                                      message_id)
        if ref is None:
            return
        card = await asyncio.to_thread(self.bot.cards.for_message, ref)
        await self.platform.edit(ref, card)

    # ---- healing: reactions missed while no replica was listening -------------------------

    async def heal_recent(self, days: float, rate: float,
                          recoverable: tuple[type[BaseException], ...],
                          keep: Callable[[CardRef], bool] = lambda ref: True) -> int:
        """Re-read the reactions on the cards posted in the last `days` (those `keep` takes),
        at most `rate` platform reads a second; a card the platform will not show (deleted,
        no access: `recoverable` errors) is logged and skipped. Returns how many changed."""
        since = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")
        refs = [r for r in await asyncio.to_thread(self.bot.store.cards.recent, self.name, since)
                if keep(r)]
        changed = 0
        for n, ref in enumerate(refs):
            if n:
                await asyncio.sleep(1 / rate)
            try:
                changed += await self.heal_card(ref)
            except recoverable as exc:
                log.warning("%s: could not re-read reactions on %s/%s: %s", self.name,
                            ref.channel, ref.message_id, exc.__class__.__name__)
        if refs:
            log.info("%s: re-read reactions on %d recent card(s), %d corrected", self.name,
                     len(refs), changed)
        return changed

    async def heal_card(self, ref: CardRef) -> bool:
        """One card: the reactions the platform shows now, made the store's reaction votes."""
        read_at = time.time()
        shown = await self.platform.reactions(ref)
        if await asyncio.to_thread(self.bot.voting.heal_card, ref, shown, read_at):
            self.touch(ref)
            return True
        return False

    async def close(self) -> None:
        """Stop refreshes (the platform connection is closing)."""
        self.refresher.cancel_all()


class Ask(Protocol):
    """Asks the platform whether an account is a bot (None: it could not say)."""

    async def __call__(self, user: str) -> bool | None: ...
