"""Votes in the platform's order whatever order they arrive in, on both engines."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

from bot.commands import ShipBot
from bot.models import Context
from bot.store import CardRef, Store
from tests.conftest import AZURE, CLAUDE

COMPARE = CardRef("slack", "T1", "C1", "m1", "compare", (CLAUDE, AZURE))
VERDICT = CardRef("slack", "T1", "C1", "m2", "verdict", (CLAUDE,))


def _ctx(user: str) -> Context:
    return Context(platform="slack", workspace="T1", channel="C1", user=user)


def test_a_remove_that_arrives_before_its_add_wins(bot: ShipBot, store: Store) -> None:
    assert not bot.voting.card_reaction(_ctx("U1"), COMPARE, 0, added=False, at=20.0)
    assert not bot.voting.card_reaction(_ctx("U1"), COMPARE, 0, added=True, at=10.0)  # older: ignored
    assert {CLAUDE: (0, 0), AZURE: (0, 0)} == store.votes.community([CLAUDE, AZURE])
    assert bot.voting.card_reaction(_ctx("U1"), COMPARE, 1, added=True, at=30.0)
    assert not bot.voting.card_reaction(_ctx("U1"), COMPARE, 1, added=True, at=30.0)  # a retry
    assert {CLAUDE: (0, 0), AZURE: (1, 0)} == store.votes.community([CLAUDE, AZURE])


def test_the_latest_option_added_is_the_vote(bot: ShipBot, store: Store) -> None:
    # Added ship at 1, skip at 2, ship removed at 3: arriving in every order, skip counts.
    events = [("ship", True, 1.0), ("skip", True, 2.0), ("ship", False, 3.0)]
    for n, order in enumerate(([0, 1, 2], [2, 1, 0], [1, 2, 0], [2, 0, 1])):
        ctx = _ctx(f"U{n}")
        for i in order:
            choice, added, at = events[i]
            bot.voting.card_reaction(ctx, VERDICT, choice, added, at)
    assert {CLAUDE: (0, 4)} == store.votes.community([CLAUDE])


def test_a_command_vote_and_a_card_vote_are_one_vote(bot: ShipBot, store: Store) -> None:
    ctx = _ctx("U1")
    assert "Recorded: ship" in bot.handle("vote claude ship", ctx).lines[0]
    assert "already vote ship" in bot.handle("vote claude ship", ctx).lines[0]
    bot.voting.card_reaction(ctx, VERDICT, "skip", added=True)  # later: replaces the typed vote
    assert {CLAUDE: (0, 1)} == store.votes.community([CLAUDE])
    bot.voting.card_reaction(ctx, VERDICT, "skip", added=False)
    assert {CLAUDE: (0, 0)} == store.votes.community([CLAUDE])


def test_shuffled_concurrent_reactions_end_exact(bot: ShipBot, store: Store) -> None:
    """Forty people react, switch and remove in a known order; the events arrive shuffled on
    eight threads (as on two replicas); the counts are what the platform shows at the end."""
    rng = random.Random(5)
    events, expected = [], {CLAUDE: 0, AZURE: 0}
    for person in range(40):
        at, shown = float(person * 100), set()
        for _ in range(rng.randint(1, 5)):
            at += 1
            column = rng.randint(0, 1)
            added = column not in shown or rng.random() < 0.3
            (shown.add if added else shown.discard)(column)
            events.append((f"P{person}", column, added, at))
        latest = [e for e in events if e[0] == f"P{person}" and e[2] and e[1] in shown]
        if latest:
            expected[COMPARE.tool_ids[max(latest, key=lambda e: e[3])[1]]] += 1
    rng.shuffle(events)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda e: bot.voting.card_reaction(_ctx(e[0]), COMPARE, e[1], e[2], e[3]),
                      events))
    found = store.votes.community([CLAUDE, AZURE])
    assert {CLAUDE: (expected[CLAUDE], 0), AZURE: (expected[AZURE], 0)} == found


def test_a_button_press_toggles_in_platform_order(bot: ShipBot, store: Store) -> None:
    ctx = _ctx("U1")
    assert bot.voting.card_button(ctx, COMPARE, 0, "ship", at=1.0)
    assert {CLAUDE: (1, 0)} == store.votes.community([CLAUDE])
    assert bot.voting.card_button(ctx, COMPARE, 0, "ship", at=2.0)  # pressed again: withdrawn
    assert {CLAUDE: (0, 0)} == store.votes.community([CLAUDE])
    assert bot.voting.card_button(ctx, COMPARE, 1, "ship", at=3.0)
    assert bot.voting.card_reaction(ctx, COMPARE, 0, added=True, at=4.0)  # a reaction after it wins
    assert {CLAUDE: (1, 0), AZURE: (0, 0)} == store.votes.community([CLAUDE, AZURE])


def test_healing_brings_reaction_votes_in_line_and_leaves_buttons(bot: ShipBot,
                                                                  store: Store) -> None:
    bot.voting.card_reaction(_ctx("U1"), COMPARE, 0, added=True, at=1.0)  # stored, then removed unseen
    bot.voting.card_reaction(_ctx("U2"), COMPARE, 0, added=True, at=2.0)  # stored and still shown
    bot.voting.card_button(_ctx("U3"), COMPARE, 1, "ship", at=3.0)  # a button vote: no reaction
    # While no replica listened: U1 took their reaction off, U4 reacted 🅱, U2 added 🅱 too.
    shown: dict[str, set[int | str]] = {"U2": {0, 1}, "U4": {1}, "UBOT": set()}
    assert bot.voting.heal_card(COMPARE, shown, at=10.0)
    assert {CLAUDE: (0, 0), AZURE: (3, 0)} == store.votes.community([CLAUDE, AZURE])
    assert not bot.voting.heal_card(COMPARE, shown, at=11.0)  # already in line: nothing changes
    # A reaction event newer than the reading still counts.
    assert bot.voting.card_reaction(_ctx("U4"), COMPARE, 1, added=False, at=12.0)
    assert {CLAUDE: (0, 0), AZURE: (2, 0)} == store.votes.community([CLAUDE, AZURE])
