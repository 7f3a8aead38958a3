"""Chat text as one front end of the typed commands: `compare claude azure`, `decide claude
over azure because cheaper`, ... parsed into a call of the feature's method. The console, Slack's
`/shipbot` and typed Discord text use it; Discord's slash commands call the methods directly."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.cards import Card, error_card
from bot.filters import FILTER_HELP
from bot.models import Context
from bot.names import clip
from bot.needs import NEED_WORDS
from bot.team import DECIDE_USAGE, DecideError, parse_decide

if TYPE_CHECKING:
    from bot.commands import ShipBot

Parser = Callable[["ShipBot", str, Context], Card]


# Commands that only read the store (and the need path, for words that are no command).
READ_ONLY = frozenset({"compare", "vs", "verdict", "reviews", "search", "top", "help",
                       "subscriptions", "watching", "decisions", *NEED_WORDS})


def reads_only(text: str) -> bool:
    """Whether a command line only reads the store (an adapter may run it on its loop where
    reads never wait: SQLite in WAL mode)."""
    words = text.strip().lstrip("/").lower().split()
    if words[:1] == ["shipbot"]:
        words = words[1:]
    return not words or words[0] in READ_ONLY or words[0] not in PARSERS


def run(core: ShipBot, text: str, ctx: Context) -> Card:
    """Parse one command line and run it."""
    words = text.strip().lstrip("/").split(None, 1)
    if not words:
        return core.comparing.help(FILTER_HELP)
    name, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
    parser = PARSERS.get(name)
    if parser is None:
        # Words that start with no command may be a need (`voice api for agents`).
        need = core.needs.found(text)
        if need is not None:
            return need
        return error_card(f"I don't know the command `{clip(name)}`.",
                          "Type `help` for the list, e.g. `compare claude azure`, or ask "
                          "`which <what you need>`.")
    return parser(core, rest, ctx)


def _number(text: str) -> int | None:
    """A typed id: ASCII digits only (str.isdigit() also takes '²'); thousands of digits are
    cut before int(), which refuses them (no row has such an id either way)."""
    text = text.strip().lstrip("#")
    return int(text[:4000]) if text.isascii() and text.isdigit() else None


def _vote(core: ShipBot, rest: str, ctx: Context) -> Card:
    words = rest.split()
    if len(words) < 2:
        return core.voting.vote(ctx, "", "")
    return core.voting.vote(ctx, " ".join(words[:-1]), words[-1].lower())


def _subscribe(core: ShipBot, rest: str, ctx: Context) -> Card:
    words = rest.split(None, 1)
    weekly = bool(words) and words[0].lower() == "weekly"
    return core.subscribing.subscribe(ctx, weekly, (words[1] if len(words) > 1 else "")
                                      if weekly else rest)


def _unsubscribe(core: ShipBot, rest: str, ctx: Context) -> Card:
    arg = rest.strip().lstrip("#").lower()
    number = _number(arg)
    return core.subscribing.unsubscribe(ctx, number if number is not None else arg)


def _decide(core: ShipBot, rest: str, ctx: Context) -> Card:
    try:
        request = parse_decide(rest)
    except DecideError as exc:
        return error_card(str(exc), DECIDE_USAGE)
    return core.deciding.decide(ctx, request.tool, request.over, request.reason,
                                request.revisit)


def _nested(core: ShipBot, rest: str, ctx: Context) -> Card:
    """`shipbot compare ...` as typed through a catch-all slash command."""
    return run(core, rest, ctx) if rest.strip() else core.comparing.help(FILTER_HELP)


PARSERS: dict[str, Parser] = {
    "compare": lambda c, rest, ctx: c.comparing.compare(ctx, [rest]),
    "vs": lambda c, rest, ctx: c.comparing.compare(ctx, [rest]),
    "verdict": lambda c, rest, ctx: c.comparing.verdict(ctx, rest),
    "reviews": lambda c, rest, ctx: c.comparing.reviews(ctx, [rest]),
    "search": lambda c, rest, ctx: c.comparing.search(ctx, rest),
    "top": lambda c, rest, ctx: c.comparing.top(ctx, rest.strip() or None),
    "help": lambda c, rest, ctx: c.comparing.help(FILTER_HELP),
    "vote": _vote,
    "subscribe": _subscribe,
    "unsubscribe": _unsubscribe,
    "subscriptions": lambda c, rest, ctx: c.subscribing.subscriptions(ctx),
    "watch": lambda c, rest, ctx: c.watching.watch(ctx, rest),
    "unwatch": lambda c, rest, ctx: c.watching.unwatch(ctx, rest),
    "watching": lambda c, rest, ctx: c.watching.watching(ctx),
    "decide": _decide,
    "decisions": lambda c, rest, ctx: c.deciding.decisions(ctx),
    "undecide": lambda c, rest, ctx: c.deciding.undecide(ctx, _number(rest)),
    "shipbot": _nested,
    **{word: (lambda c, rest, ctx: c.needs.need(rest)) for word in NEED_WORDS},
}
