"""The core service every adapter calls: the feature rooms (bot.features) behind one object,
the text front end (bot.textcommands), and the guard that makes every command answer with a
card, never an exception."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot import textcommands
from bot.assembly import STALE_DAYS, CardMaker
from bot.cards import Card, Choice, error_card
from bot.features.comparing import Comparing
from bot.features.deciding import Deciding
from bot.features.lookup import Lookup
from bot.features.needs import Needs
from bot.features.subscribing import Subscribing
from bot.features.votes import Voting
from bot.features.watching import Watching
from bot.learned import LearnedAliases
from bot.matching import NameIndex
from bot.models import Context
from bot.names import printable
from bot.store import Store, store_failure

log = logging.getLogger(__name__)


class ShipBot:
    """Every command, typed (`core.comparing.compare(ctx, names)`, `core.deciding.decide(...)`)
    and as chat text (`core.handle("compare claude azure", ctx)`)."""

    def __init__(self, store: Store, learned: LearnedAliases | None = None,
                 stale_days: int = STALE_DAYS, digest_when: str = "Mon 09:00 UTC") -> None:
        self.store = store
        self.learned = learned or LearnedAliases(store)
        self.lookup = Lookup(store, self.learned)
        self.cards = CardMaker(store, stale_days)
        self.needs = Needs(store, self.cards)
        self.comparing = Comparing(store, self.lookup, self.cards, self.needs)
        self.voting = Voting(store, self.lookup)
        self.subscribing = Subscribing(store, self.lookup, digest_when)
        self.watching = Watching(store, self.lookup)
        self.deciding = Deciding(store, self.lookup)

    @property
    def index(self) -> NameIndex:
        """The name index, rebuilt when another process imported new tools."""
        return self.lookup.index

    def handle(self, text: str, ctx: Context) -> Card:
        """Run one command line (`/compare claude azure`, `help`, ...) and return its card."""
        return self.call(ctx, textcommands.run, self, text, ctx)

    def call(self, ctx: Context, command: Callable[..., Card], *args: Any) -> Card:
        """Run one typed command for `ctx` and return its card; never raises. Typed text loses
        control and invisible characters here, the one way in; a public compare or verdict
        card gets the channel's decision."""
        try:
            args = tuple(_printable(a) for a in args)
            with self.store.one_read_of_versions():
                card = command(*args)
                if card.votable and not card.ephemeral:
                    card = self.cards.for_channel(card, ctx.platform, ctx.workspace, ctx.channel)
                return card
        except Exception as exc:  # one bad command must never take the bot down
            reason = store_failure(exc)
            if reason is not None:  # the store, not the code: one line, no traceback
                log.error("command failed: %s", reason)
                return error_card(f"I can't use my database right now: {reason}.",
                                  "Try again in a moment; nothing was changed.")
            log.exception("command failed: %r", getattr(command, "__name__", command))
            return error_card("Something went wrong on my side; it has been logged.",
                              "Try again, or type `help`.")

    def choose(self, choice: Choice, ctx: Context) -> Card:
        """A did-you-mean choice was picked: remember what was typed and which tool it meant
        (enough such picks teach an alias), then run the choice's command."""
        try:
            if choice.typed and choice.tool_id and self.store.catalog.tools([choice.tool_id]):
                self.learned.record_pick(ctx.platform, ctx.workspace, ctx.user,
                                         printable(choice.typed), choice.tool_id)
        except Exception:  # learning is a bonus: the person still gets their card
            log.exception("could not record a did-you-mean pick")
        return self.handle(choice.command, ctx)


def _printable(value: Any) -> Any:
    """Typed text (a string, or a list of them) without control or invisible characters."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [printable(v) for v in value]
    return value
