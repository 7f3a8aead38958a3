"""Votes: `vote <tool> ship|skip|retract`, and votes by reaction or button on a card, applied in
the platform's time order (bot.storage.votes) whatever order they arrive in."""

from __future__ import annotations

import time
from typing import Literal

from bot.cards import Card, error_card, info_card
from bot.features.lookup import Lookup, did_you_mean
from bot.models import Context, Verdict
from bot.store import CardRef, Store
from bot.voting import card_option, source_of, tool_votes

VoteChoice = Literal["ship", "skip", "retract"]


class Voting:
    """A person's community votes, typed or on cards."""

    def __init__(self, store: Store, lookup: Lookup) -> None:
        self.store, self.lookup = store, lookup

    def vote(self, ctx: Context, tool: str, choice: str) -> Card:
        """`vote <tool> ship|skip|retract`: one vote per person and tool."""
        if choice not in ("ship", "skip", "retract") or not tool.strip():
            return error_card("A vote needs a tool and ship, skip or retract.",
                              "Type `vote claude ship`.")
        resolution = self.lookup.one(tool, ctx)
        if not resolution.ok or resolution.best is None:
            return did_you_mean(resolution, lambda tid: f"vote {tid} {choice}",
                                lambda tid: f"vote {self.lookup.typable(tid)} {choice}")
        tool_id, short = resolution.best.tool_id, resolution.best.name
        key = (ctx.platform, ctx.workspace, ctx.user, tool_id)
        if choice == "retract":
            gone = self.store.votes.withdraw(*key, at=time.time())
            message = f"Your vote on {short} is withdrawn." if gone else \
                f"You had no vote on {short}."
        elif self.store.votes.user_vote(*key) == choice:
            message = f"You already vote {choice} on {short}; nothing changed."
        else:
            self.store.votes.cast(*key, choice, at=time.time(), source="command")
            message = f"Recorded: {choice} {short}."
        ship, skip = self.store.votes.community([tool_id])[tool_id]
        return info_card("Vote", [message, f"Community now: {ship} ship / {skip} skip."])

    def card_vote(self, ctx: Context, ref: CardRef, position: int, choice: Verdict,
                  added: bool, at: float | None = None, via: str = "reaction") -> bool:
        """A reaction or button on a card at the platform's time `at` (now, if not given);
        returns True if a tool's vote changed.

        One vote per person and card: on a compare card it picks one tool to ship, on a verdict
        card it is ship or skip; the latest option added, by reaction or button, counts."""
        option, at = _option_at(ref, position, choice, at)
        if option is None:
            return False
        with self.store.transaction():
            self.store.votes.hold(ref, ctx.user)
            if not self.store.votes.card_event(ref, ctx.user, option, added, at, via):
                return False  # the same or a later change of this option is kept already
            return self._settle(ref, ctx.user)

    def _settle(self, ref: CardRef, user: str) -> bool:
        """Bring a person's tool votes in line with their vote on the card; True if changed."""
        votes = self.store.votes
        chosen, latest = votes.card_choice(ref, user)
        changed = False
        for tool, value in tool_votes(ref, chosen).items():
            key = (ref.platform, ref.workspace, user, tool)
            if value:
                changed |= votes.cast(*key, value, at=latest, source=source_of(ref))
            else:
                changed |= votes.withdraw(*key, at=latest, source=source_of(ref))
        return changed

    def card_reaction(self, ctx: Context, ref: CardRef, meaning: int | str, added: bool,
                      at: float | None = None) -> bool:
        """A reaction on a card, already translated by the adapter into what its emoji means:
        a column position (a pick on a compare card) or "ship" / "skip" (on a verdict card).
        Reactions that mean nothing on this kind of card are ignored; True if the store changed."""
        if ref.kind == "compare" and isinstance(meaning, int):
            return self.card_vote(ctx, ref, meaning, "ship", added, at)
        if ref.kind == "verdict" and meaning in ("ship", "skip"):
            return self.card_vote(ctx, ref, 0, meaning, added, at)  # type: ignore[arg-type]
        return False

    def card_button(self, ctx: Context, ref: CardRef, position: int, choice: Verdict,
                    at: float | None = None) -> bool:
        """A vote button: the first press records the vote, pressing it again withdraws it
        (and with it a reaction for the same option: one vote per person and card)."""
        option, at = _option_at(ref, position, choice, at)
        if option is None:
            return False
        with self.store.transaction():
            self.store.votes.hold(ref, ctx.user)
            current, _ = self.store.votes.card_choice(ref, ctx.user)
            if current != option:
                return self.card_vote(ctx, ref, position, choice, True, at, via="button")
            for via in ("button", "reaction"):
                self.store.votes.card_event(ref, ctx.user, option, False, at, via)
            return self._settle(ref, ctx.user)

    def heal_card(self, ref: CardRef, shown: dict[str, set[int | str]], at: float) -> bool:
        """Make the store's reaction votes on a card match what the platform shows (each
        person's reactions, as meanings: a column or ship/skip), as of `at`, the time the
        platform was read. Reactions missed while no replica was listening are added, ones
        removed meanwhile are withdrawn; button votes are left alone. True if a vote changed."""
        wanted = {user: {o for m in meanings if (o := _option(ref, m)) is not None}
                  for user, meanings in shown.items()}
        changed = False
        with self.store.transaction():
            stored = self.store.votes.reactions(ref)
            for user in set(wanted) | set(stored):
                want = wanted.get(user, set())
                if stored.get(user, set()) == want:
                    continue
                self.store.votes.hold(ref, user)  # then read again: an event may have landed
                have = self.store.votes.reactions(ref).get(user, set())
                for option in sorted(want - have):
                    self.store.votes.card_event(ref, user, option, True, at, "reaction")
                for option in sorted(have - want):
                    self.store.votes.card_event(ref, user, option, False, at, "reaction")
                changed |= self._settle(ref, user)
        return changed


def _option_at(ref: CardRef, position: int, choice: str,
               at: float | None) -> tuple[str | None, float]:
    """The card option a vote stands for (None: nothing on this card), and its time (now, when
    the platform gave none)."""
    option = card_option(ref, position, "ship" if ref.kind == "compare" else choice)
    return option, time.time() if at is None else at


def _option(ref: CardRef, meaning: int | str) -> str | None:
    """The card option a reaction's meaning stands for on this card, if any."""
    if isinstance(meaning, int):
        return card_option(ref, meaning, "ship") if ref.kind == "compare" else None
    return card_option(ref, 0, meaning) if ref.kind == "verdict" else None
