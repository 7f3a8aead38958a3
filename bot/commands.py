"""The one way in: command text plus who/where goes in, a Card comes out. Never raises."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from bot import dating
from bot.cards import (
    Card,
    Choice,
    compare_card,
    error_card,
    info_card,
    reviews_card,
    score_bar,
    verdict_card,
)
from bot.dating import Freshness
from bot.decision import decide
from bot.filters import FILTER_HELP, FilterError, parse_filter
from bot.learned import LearnedAliases
from bot.matching import NameIndex, Resolution, closest
from bot.models import Context, Verdict
from bot.names import normalize, printable
from bot.splitting import MAX_TOOLS, resolve_tools
from bot.store import CardRef, Store
from bot.team import (
    DECIDE_USAGE,
    DecideError,
    decision_line,
    parse_decide,
    with_channel_decision,
)
from bot.voting import card_option, source_of, tool_votes

log = logging.getLogger(__name__)

HELP_LINES = [
    "compare <tool> <tool> — which to ship, e.g. `compare claude azure` or `compare a vs b vs c`",
    "verdict <tool> — one tool's panel scores, community votes and pricing",
    "reviews <tool> [<tool>] — each reviewer's score, verdict and remark",
    "search <words> — tools whose names match",
    "top [category] — the leaderboard by panel score",
    "vote <tool> ship|skip|retract — your community vote (one per tool)",
    "subscribe [weekly] [filter] — post new verdicts in this channel, as they come or as one "
    "weekly digest; " + FILTER_HELP,
    "unsubscribe <id>|all — stop them; subscriptions — list this channel's",
    "watch <tool> — get a direct message when its verdict is published or changes; "
    "unwatch <tool>|all; watching — your list",
    "decide <tool> [over <tool>, <tool>] [because <reason>] [revisit YYYY-MM-DD] — record "
    "this channel's decision; decisions — list them; undecide <id> — remove one",
    "help — this list",
]
STALE_DAYS = 180
SHOWN_DECISIONS = 10  # the newest; ten lines with 300-character reasons fit Discord's embed


class ShipBot:
    """The core service every adapter calls."""

    def __init__(self, store: Store, learned: LearnedAliases | None = None,
                 stale_days: int = STALE_DAYS, digest_when: str = "Mon 09:00 UTC") -> None:
        self.store = store
        self.learned = learned or LearnedAliases(store)
        self.stale_days = stale_days
        self.digest_when = digest_when
        self._index: NameIndex | None = None
        self._index_version = -1
        self._lock = threading.Lock()

    @property
    def index(self) -> NameIndex:
        """The name index, rebuilt when another process imported new tools."""
        version = self.store.catalog.catalog_version()
        with self._lock:
            if self._index is None or version != self._index_version:
                self._index = NameIndex.build(self.store.catalog.match_rows())
                self._index_version = version
            return self._index

    def handle(self, text: str, ctx: Context) -> Card:
        """Run one command line (`/compare claude azure`, `help`, ...) and return its card."""
        try:
            text = printable(text)
            with self.store.one_read_of_versions():
                card = self._dispatch(text, ctx)
                if card.votable and not card.ephemeral:
                    card = self.for_channel(card, ctx.platform, ctx.workspace, ctx.channel)
                return card
        except Exception:  # one bad command must never take the bot down
            log.exception("command failed: %r", text[:200])
            return error_card("Something went wrong on my side; it has been logged.",
                              "Try again, or type `help`.")

    def _dispatch(self, text: str, ctx: Context) -> Card:
        words = text.strip().lstrip("/").split(None, 1)
        if not words:
            return self.help()
        name, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
        handlers = {
            "compare": self.compare, "vs": self.compare, "verdict": self.verdict,
            "search": self.search, "top": self.top, "help": lambda *_: self.help(),
            "reviews": self.reviews,
            "vote": self.vote, "subscribe": self.subscribe, "unsubscribe": self.unsubscribe,
            "subscriptions": self.list_subscriptions, "shipbot": self._nested,
            "watch": self.watch, "unwatch": self.unwatch, "watching": self.watching,
            "decide": self.decide, "decisions": self.list_decisions,
            "undecide": self.undecide,
        }
        handler = handlers.get(name)
        if handler is None:
            return error_card(f"I don't know the command `{_clip(name)}`.",
                              "Type `help` for the list, e.g. `compare claude azure`.")
        return handler(rest, ctx)

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

    def _learned(self, ctx: Context) -> dict[str, str]:
        """The aliases learned in this workspace and everywhere."""
        return self.learned.mapping(ctx.platform, ctx.workspace)

    def _nested(self, rest: str, ctx: Context) -> Card:
        """`shipbot compare ...` as typed through a catch-all slash command."""
        return self._dispatch(rest, ctx) if rest.strip() else self.help()

    # ---- answers -------------------------------------------------------------------------

    def compare(self, query: str, ctx: Context) -> Card:
        """Resolve two to four tools and decide which to ship."""
        if not query.strip():
            return error_card("Tell me which tools to compare.", "Type `compare claude azure`.")
        found = resolve_tools(self.index, query, self._learned(ctx))
        if len(found.parts) < 2:
            return self._one_name(query, found.parts)
        resolved = {p.best.tool_id for p in found.parts if p.ok and p.best}
        for position, part in enumerate(found.parts):
            if not part.ok:
                # Never offer a tool the query already names elsewhere: that choice would
                # only lead to "those names all point at the same tool".
                return did_you_mean(part, _replace_part(found.parts, position),
                                    _replace_part(found.parts, position, self._typable),
                                    exclude=resolved)
        ids = list(dict.fromkeys(found.tool_ids))  # a tool named twice is compared once
        if len(ids) < 2:
            part = found.parts[0]
            return error_card(f"Those names all point at the same tool ({part.best.name}).",  # type: ignore[union-attr]
                              "Compare two different tools, e.g. `compare claude azure`, "
                              f"or see this one with `verdict {_clip(part.query)}`.")
        card = self.compare_ids(ids[:MAX_TOOLS])
        if len(ids) > MAX_TOOLS and card.kind == "compare":
            names = self.store.catalog.tools(ids[MAX_TOOLS:])
            left = ", ".join(names[i].short_name for i in ids[MAX_TOOLS:] if i in names)
            card.notice = (f"A card compares up to {MAX_TOOLS} tools; left out: {left}. "
                           "Compare them in another card.")
        return card

    def _typable(self, tool_id: str) -> str:
        """What a person can type to name this tool alone: its short name, else its full
        name, else its id (choices show names people know, not ids)."""
        tools = self.store.catalog.tools([tool_id])
        tool = tools.get(tool_id)
        for name in ((tool.short_name, tool.name) if tool else ()):
            found = self.index.resolve(name)
            if found.ok and found.best is not None and found.best.tool_id == tool_id:
                return name
        return tool_id

    def _one_name(self, query: str, parts: tuple[Resolution, ...]) -> Card:
        if not parts or not parts[0].ok or parts[0].best is None:
            return did_you_mean(parts[0] if parts else Resolution(query, "missing", ()),
                                lambda tid: f"verdict {tid}",
                                lambda tid: f"verdict {self._typable(tid)}")
        one = parts[0].best.name
        return error_card(f"I need at least two tools to compare; I only found {one}.",
                          f"Type `compare {_clip(query)} vs <another tool>`, or "
                          f"`verdict {_clip(query)}` for one tool.")

    def compare_ids(self, ids: list[str]) -> Card:
        """The compare card for known tool ids (also used to refresh a card after votes)."""
        tools = self.store.catalog.tools(ids)
        ordered = [tools[i] for i in ids if i in tools]
        if len(ordered) < 2:
            return error_card("One of those tools is no longer in the catalog.",
                              "Run the comparison again, e.g. `compare claude azure`.")
        votes = self.store.votes.community(ids)
        found = self.store.catalog.comparison_source(ids)  # one read: source and dates
        tool_dates = {} if found else self.store.catalog.tool_dates(ids)
        fresh = dating.of_comparison(found, tool_dates, _today(), self.stale_days)
        return compare_card(ordered, votes, decide(ordered, votes), found[0] if found else "",
                            fresh)

    def _fresh(self, tool_id: str) -> Freshness:
        """One tool's dates, as its card and the leaderboards show them."""
        dates = self.store.catalog.tool_dates([tool_id]).get(tool_id)
        return dating.of_tool(dates, _today(), self.stale_days)

    def for_channel(self, card: Card, platform: str, workspace: str, channel: str) -> Card:
        """A compare or verdict card with this channel's decision on its tools (bot.team)."""
        return with_channel_decision(self.store, card, platform, workspace, channel)

    def verdict(self, query: str, ctx: Context) -> Card:
        """One tool's card."""
        if not query.strip():
            return error_card("Which tool?", "Type `verdict claude`.")
        found = self._one_tool(query, ctx, "verdict")
        return found if isinstance(found, Card) else self.verdict_id(found[0])

    def _one_tool(self, query: str, ctx: Context, word: str) -> tuple[str, str] | Card:
        """(tool id, name) of the one tool `query` names for command `word`; or the card to
        answer instead: did-you-mean, or, when the words name several tools (`verdict claude
        azure`), the command for each of them (and, for verdict, the comparison)."""
        resolution = self.index.resolve(query, self._learned(ctx))
        if resolution.ok and resolution.best is not None:
            return resolution.best.tool_id, resolution.best.name
        several = resolve_tools(self.index, query, self._learned(ctx))
        ids = list(dict.fromkeys(several.tool_ids)) if several.ok else []
        if len(ids) < 2:
            return did_you_mean(resolution, lambda tid: f"{word} {tid}",
                                lambda tid: f"{word} {self._typable(tid)}")
        matches = list({p.best.tool_id: p.best for p in several.parts if p.best}.values())
        choices = [Choice(label=m.name, command=f"{word} {m.tool_id}") for m in matches]
        if word == "verdict":
            both = " vs ".join(m.tool_id for m in matches)
            choices.append(Choice(label="Compare them", command=f"compare {both}"))
        return Card(kind="did_you_mean", ephemeral=True, choices=choices[:5],
                    title=f"`{word}` takes one tool; “{_clip(query)}” names {len(matches)}",
                    lines=[f"{n}. {word} {c.label}" if c.command.startswith(word) else
                           f"{n}. {c.label}" for n, c in enumerate(choices[:5], 1)])

    def reviews(self, query: str, ctx: Context) -> Card:
        """`reviews <tool> [<tool>...]`: each reviewer's score, verdict and remark."""
        if not query.strip():
            return error_card("Whose reviews?", "Type `reviews claude`, or `reviews claude "
                                                "azure` to read them side by side.")
        whole = self.index.resolve(query, self._learned(ctx))
        if whole.ok and whole.best is not None:
            return self.reviews_ids([whole.best.tool_id])
        found = resolve_tools(self.index, query, self._learned(ctx))
        if len(found.parts) < 2:
            return did_you_mean(whole, lambda tid: f"reviews {tid}",
                                lambda tid: f"reviews {self._typable(tid)}")
        resolved = {p.best.tool_id for p in found.parts if p.ok and p.best}
        for position, part in enumerate(found.parts):
            if not part.ok:
                return did_you_mean(part, _replace_part(found.parts, position, word="reviews"),
                                    _replace_part(found.parts, position, self._typable,
                                                  word="reviews"), exclude=resolved)
        return self.reviews_ids(list(dict.fromkeys(found.tool_ids))[:MAX_TOOLS])

    def reviews_ids(self, ids: list[str]) -> Card:
        """The reviews card for known tool ids (also what a card's Reviews button shows)."""
        tools = self.store.catalog.tools(ids)
        ordered = [tools[i] for i in ids if i in tools]
        if not ordered:
            return error_card("That tool is no longer in the catalog.",
                              "Run the command again, e.g. `reviews claude`.")
        return reviews_card(ordered)

    def verdict_id(self, tool_id: str) -> Card:
        """The verdict card for a known tool id."""
        tool = self.store.catalog.tools([tool_id])[tool_id]
        related = []
        for ids in self.store.catalog.comparisons_for(tool_id):
            others = self.store.catalog.tools(i for i in ids if i != tool_id)
            related += [t.short_name for t in others.values() if t.short_name not in related]
        return verdict_card(tool, self.store.votes.community([tool_id])[tool_id], related,
                            self._fresh(tool_id))

    def search(self, query: str, ctx: Context) -> Card:
        """Tools whose names match the words given."""
        if not normalize(query):
            return error_card("Search for what? Give a word of a tool's name.",
                              "Type `search voice`, or `top` to browse every tool.")
        matches = self.index.suggest(query, limit=10)
        if not matches:
            return Card(kind="search", title=f"No tools match “{_clip(query)}”",
                        lines=["Try fewer or different words, or `top` to browse."],
                        ephemeral=True)
        tools = self.store.catalog.tools(m.tool_id for m in matches)
        lines = [f"{t.short_name} — {t.vendor or 'unknown vendor'} · {t.category}"
                 + self._age(t.id, t.reviewed) for t in tools.values()]
        choices = [Choice(label=t.short_name, command=f"verdict {t.id}") for t in tools.values()]
        return Card(kind="search", title=f"Tools matching “{_clip(query)}”", lines=lines,
                    choices=choices[:5], ephemeral=True)

    def top(self, query: str, ctx: Context) -> Card:
        """The leaderboard by panel mean, optionally in one category."""
        category = None
        if query.strip():
            known = self.store.catalog.categories()
            category, nearest = closest(query, known)
            if category is None:
                offer = nearest or known[:5]
                return Card(kind="did_you_mean", ephemeral=True,
                            title=f"No category named “{_clip(query)}”",
                            lines=[("Did you mean: " if nearest else "Categories: ")
                                   + ", ".join(offer) + "?" if offer else "No categories yet."],
                            choices=[Choice(label=c, command=f"top {c}") for c in offer[:5]])
        rows = self.store.catalog.leaderboard(category, 10)
        tools = self.store.catalog.tools(r[0] for r in rows)
        lines = [f"{n}. {tools[tid].short_name} {score_bar(mean)} {mean:.1f}"
                 + self._age(tid, tools[tid].reviewed) for n, (tid, mean) in enumerate(rows, 1)]
        title = f"Top tools in {category}" if category else "Top tools"
        return Card(kind="top", title=title, lines=lines or ["No reviewed tools yet."])

    def _age(self, tool_id: str, reviewed: date | None) -> str:
        """` · 40 days old` (and ` · stale` past SHIPBOT_STALE_DAYS) for top and search."""
        fresh = self._fresh(tool_id)
        dates = [reviewed.isoformat()] if reviewed else []
        days = fresh.age(dates)
        if days is None:
            return ""
        return f" · {days} day{'s' if days != 1 else ''} old" + (
            " · stale" if fresh.stale(dates) else "")

    def help(self) -> Card:
        """The command list."""
        return Card(kind="help", title="shipbot: which should I ship?", lines=HELP_LINES,
                    ephemeral=True)

    # ---- votes ---------------------------------------------------------------------------

    def vote(self, query: str, ctx: Context) -> Card:
        """`vote <tool> ship|skip|retract`."""
        words = query.split()
        if len(words) < 2 or words[-1].lower() not in ("ship", "skip", "retract"):
            return error_card("A vote needs a tool and ship, skip or retract.",
                              "Type `vote claude ship`.")
        choice, name = words[-1].lower(), " ".join(words[:-1])
        resolution = self.index.resolve(name, self._learned(ctx))
        if not resolution.ok or resolution.best is None:
            return did_you_mean(resolution, lambda tid: f"vote {tid} {choice}",
                                lambda tid: f"vote {self._typable(tid)} {choice}")
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
        card it is ship or skip; the latest option added, by reaction or button, counts.
        Changes are applied in `at` order whatever order they arrive in (bot.storage.votes)."""
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

    def card_for(self, ref: CardRef) -> Card:
        """The fresh card a stored card message shows (after votes change its counts)."""
        if ref.kind == "verdict":
            card = self.verdict_id(ref.tool_ids[0])
        else:
            card = self.compare_ids(list(ref.tool_ids))
        return self.for_channel(card, ref.platform, ref.workspace, ref.channel)

    # ---- subscriptions -------------------------------------------------------------------

    def subscribe(self, query: str, ctx: Context) -> Card:
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
        words = query.split(None, 1)
        weekly = bool(words) and words[0].lower() == "weekly"
        if weekly:
            query = words[1] if len(words) > 1 else ""
        try:
            found, notes = parse_filter(query, self.index, self.store.catalog.categories(),
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

    def unsubscribe(self, query: str, ctx: Context) -> Card:
        """`unsubscribe <id>` or `unsubscribe all`; whoever made a subscription may remove it."""
        arg = query.strip().lstrip("#").lower()
        if arg != "all" and not _is_number(arg):
            return error_card("Say which subscription to remove.",
                              "Type `unsubscribe <id>` (see `subscriptions`) or `unsubscribe all`.")
        own = arg != "all" and self._made_by(_as_id(arg), ctx)
        if not ctx.can_manage and not own:
            return error_card("Only people who can manage this channel (or who made the "
                              "subscription) can remove it.",
                              "Ask a channel admin to run `unsubscribe`.")
        removed = self.store.subscriptions.remove(ctx.platform, ctx.workspace, ctx.channel,
                                                  None if arg == "all" else _as_id(arg))
        if not removed and arg == "all":
            return info_card("Unsubscribed", ["This channel has no subscriptions; nothing to "
                                              "remove."])
        if not removed:
            return error_card(f"This channel has no subscription #{_clip(arg, 20)}.",
                              "Type `subscriptions` to see the ids.")
        return info_card("Unsubscribed", [f"Removed {removed} subscription(s) from this channel."],
                         ephemeral=False)

    def _made_by(self, sub_id: int, ctx: Context) -> bool:
        """True when `ctx.user` made subscription `sub_id` in this very channel."""
        sub = self.store.subscriptions.get(sub_id)
        return sub is not None and sub.created_by == ctx.user and (
            sub.platform, sub.workspace, sub.channel) == (ctx.platform, ctx.workspace, ctx.channel)

    def list_subscriptions(self, query: str, ctx: Context) -> Card:
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

    # ---- watches: a person's tools, with direct messages ---------------------------------

    def watch(self, query: str, ctx: Context) -> Card:
        """`watch <tool>`: a direct message whenever its verdict is published or changes."""
        if not query.strip():
            return error_card("Which tool should I watch for you?", "Type `watch claude`.")
        found = self._one_tool(query, ctx, "watch")
        if isinstance(found, Card):
            return found
        tool_id, name = found
        if not self.store.watches.add(*ctx.person, tool_id):
            return info_card("Watching", [f"You already watch {name}; nothing changed.",
                                          "Type `watching` for your list."])
        lines = [f"Watching {name}: I'll send you a direct message when a comparison with it is "
                 "published, or its pick or verdict changes."]
        if not ctx.can_receive:
            lines.append("Alerts are direct messages in Slack or Discord; this console only "
                         "keeps the list.")
        return info_card("Watching", lines)

    def unwatch(self, query: str, ctx: Context) -> Card:
        """`unwatch <tool>` or `unwatch all`."""
        if not query.strip():
            return error_card("Which tool should I stop watching?",
                              "Type `unwatch claude`, or `unwatch all`.")
        watched = [t for t, _ in self.store.watches.of(*ctx.person)]
        if query.strip().lower() == "all":
            for tool_id in watched:
                self.store.watches.remove(*ctx.person, tool_id)
            return info_card("Watching", [f"Stopped watching {len(watched)} tool(s)." if watched
                                          else "You watch no tools; nothing to remove."])
        found = self._one_tool(query, ctx, "unwatch")
        if isinstance(found, Card):
            return found
        tool_id, name = found
        if not self.store.watches.remove(*ctx.person, tool_id):
            return info_card("Watching", [f"You don't watch {name}; nothing changed.",
                                          "Type `watching` for your list."])
        return info_card("Watching", [f"Stopped watching {name}."])

    def watching(self, query: str, ctx: Context) -> Card:
        """The tools this person watches."""
        watched = self.store.watches.of(*ctx.person)
        if not watched:
            return info_card("Watching", ["You watch no tools. Type `watch <tool>` to get a "
                                          "direct message when its verdict changes."])
        tools = self.store.catalog.tools(t for t, _ in watched)
        lines = [f"{tools[t].short_name if t in tools else t} — since {since[:10]}"
                 for t, since in watched]
        return info_card("Watching", lines)

    # ---- team decisions ------------------------------------------------------------------

    def decide(self, query: str, ctx: Context) -> Card:
        """Record this channel's decision: which tool over which, why, when to look again."""
        try:
            request = parse_decide(query)
        except DecideError as exc:
            return error_card(str(exc), DECIDE_USAGE)
        names = [request.tool, *request.over]
        ids: list[str] = []
        for position, name in enumerate(names):
            resolution = self.index.resolve(name, self._learned(ctx))
            if not resolution.ok or resolution.best is None:
                def command(tid: str, position: int = position,
                            name_of: Callable[[str], str] = str) -> str:
                    typed = [*map(name_of, ids), *names[len(ids):]]
                    typed[position] = name_of(tid)
                    return request.command(typed[0], typed[1:])
                return did_you_mean(resolution, command,
                                    lambda tid, p=position: command(tid, p, self._typable),
                                    exclude=set(ids))
            ids.append(resolution.best.tool_id)
        chosen, over = ids[0], list(dict.fromkeys(i for i in ids[1:]))
        if chosen in over:
            return error_card("A tool can't be chosen over itself.", DECIDE_USAGE)
        revisit = request.revisit.isoformat() if request.revisit else ""
        same = next((d for d in self.store.decisions.of_channel(
            ctx.platform, ctx.workspace, ctx.channel, limit=20) if (d.tool_id, list(d.over_ids),
            d.reason, d.revisit) == (chosen, over, request.reason, revisit)), None)
        if same is not None:  # the same command twice records it once
            return info_card("Decisions", [f"This channel already recorded that decision as "
                                           f"#{same.id} on {same.decided_at[:10]}; nothing "
                                           "changed."])
        decision = self.store.decisions.add(
            ctx.platform, ctx.workspace, ctx.channel, chosen, over, request.reason, revisit,
            ctx.user)
        tools = self.store.catalog.tools(decision.tool_ids)
        lines = [decision_line(decision, {t: tools[t].short_name for t in tools})]
        if request.revisit:
            when = ("as soon as I can" if request.revisit <= _today()
                    else f"on {request.revisit.isoformat()}")
            lines.append(f"This channel gets the current card again {when}, to revisit it."
                         if ctx.can_receive else
                         "Revisit reminders are posted in Slack and Discord channels; this "
                         "console will not get one.")
        lines.append(f"Recorded as #{decision.id}; `decisions` lists them, "
                     f"`undecide {decision.id}` removes it.")
        return info_card(f"Decision #{decision.id} recorded", lines, ephemeral=False)

    def list_decisions(self, query: str, ctx: Context) -> Card:
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

    def undecide(self, query: str, ctx: Context) -> Card:
        """`undecide <id>`: its author, or someone who may manage the channel, removes it."""
        arg = query.strip().lstrip("#")
        if not _is_number(arg):
            return error_card("Say which decision to remove.",
                              "Type `undecide <id>`; `decisions` lists the ids.")
        decision = self.store.decisions.get(_as_id(arg))
        if decision is None or (decision.platform, decision.workspace, decision.channel) != (
                ctx.platform, ctx.workspace, ctx.channel):
            return error_card(f"This channel has no decision #{_clip(arg, 20)}.",
                              "Type `decisions` to see the ids.")
        if decision.decided_by != ctx.user and not ctx.can_manage:
            return error_card("Only the person who recorded a decision, or someone who can "
                              "manage this channel, can remove it.",
                              "Ask them, or a channel admin, to run `undecide`.")
        self.store.decisions.remove(decision.id)
        tools = self.store.catalog.tools(decision.tool_ids)
        line = decision_line(decision, {t: tools[t].short_name for t in tools})
        return info_card("Decision removed", [f"Removed #{decision.id}: {line}"],
                         ephemeral=False)


def _replace_part(parts: tuple[Resolution, ...], position: int,
                  name_of: Callable[[str], str] = str,
                  word: str = "compare") -> Callable[[str], str]:
    """The compare command with one name swapped for a candidate, the others kept; each
    resolved tool written as `name_of(id)` (the id by default: exact, for buttons)."""
    names = [p.best.tool_id if p.ok and p.best else p.query for p in parts]
    resolved = {n for n, p in enumerate(parts) if p.ok and p.best}

    def command(tool_id: str) -> str:
        return f"{word} " + " vs ".join(
            name_of(tool_id) if n == position else name_of(x) if n in resolved else x
            for n, x in enumerate(names))
    return command


def did_you_mean(resolution: Resolution, command_for: Callable[[str], str],
                 shown_for: Callable[[str], str] | None = None,
                 exclude: set[str] | frozenset[str] = frozenset()) -> Card:
    """Offer up to five candidates (none in `exclude`: tools the query already names) as
    choices that each run a full command; `shown_for` writes it as a person would type it."""
    typed = _clip(resolution.query, 100)
    choices = [Choice(label=m.name, command=command_for(m.tool_id), tool_id=m.tool_id,
                      typed=typed, text=shown_for(m.tool_id) if shown_for else "")
               for m in resolution.candidates if m.tool_id not in exclude]
    if not choices:
        return Card(kind="did_you_mean", ephemeral=True,
                    title=f"I couldn't find another tool called “{_clip(resolution.query)}”"
                    if exclude and resolution.candidates else
                    f"I couldn't find a tool called “{_clip(resolution.query)}”",
                    lines=["Check the spelling, or try `search <word>` to browse."])
    what = "matches several tools" if resolution.status == "ambiguous" else "isn't a close match"
    return Card(kind="did_you_mean", ephemeral=True, choices=choices,
                title=f"Did you mean…? “{_clip(resolution.query)}” {what}",
                lines=[f"{n}. {c.label}" for n, c in enumerate(choices, 1)])


def _today() -> date:
    """Today's date in UTC, the store's time zone."""
    return datetime.now(UTC).date()


def _as_id(digits: str) -> int:
    """A typed id as a number the store can hold: past 18 digits no row has it (and int() of
    thousands of digits raises; SQLite refuses integers over 64 bits)."""
    return int(digits) if len(digits) <= 18 else -1


def _is_number(text: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts '²', which int() rejects."""
    return text.isascii() and text.isdigit()


def _clip(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


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
