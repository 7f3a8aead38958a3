"""Aliases learned from did-you-mean picks: what people typed, and the tool they then chose.

When `users` different people in one workspace pick the same tool after typing the same words,
those words become an alias there; once that has happened in `workspaces` workspaces, taught by
at least `people` people in all (each counted once per workspace: Slack's user ids repeat across
workspaces; a Discord id is one person everywhere), it is an alias everywhere, except in a
workspace where someone picked another tool for those words: there people are still asked. A
learned alias is consulted only after every published name and alias, so it never overrides one. Picks are kept (one per person and words, the latest), and learned aliases
are worked out from them, so removing one is deleting its picks and remembering not to relearn.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from bot.names import compact, normalize
from bot.storage.versioned import Versioned
from bot.store import Store

GLOBAL = ("*", "*")  # the scope of an alias learned in enough workspaces


@dataclass(frozen=True)
class LearnedAlias:
    """One learned alias: where it applies, the words, the tool, and who taught it."""

    platform: str
    workspace: str
    words: str
    typed: str
    tool_id: str
    teachers: tuple[str, ...]

    @property
    def scope(self) -> str:
        """`everywhere` or `platform/workspace`."""
        return "everywhere" if (self.platform, self.workspace) == GLOBAL else \
            f"{self.platform}/{self.workspace}"


def words_key(typed: str) -> str:
    """The form a typed name is learned and looked up under (spacing and case do not count)."""
    return compact(normalize(typed))


class LearnedAliases:
    """Learned aliases over the store's pick tables, cached until a pick or removal changes them."""

    def __init__(self, store: Store, users: int = 3, workspaces: int = 3,
                 people: int | None = None) -> None:
        self.store = store
        self.users = max(1, users)
        self.workspaces = max(1, workspaces)
        self.people = max(self.users * self.workspaces, people or 0)
        # Worked out again when any process records a pick or removes an alias.
        self._learned = Versioned(self._work_out)

    def record_pick(self, platform: str, workspace: str, user: str, typed: str,
                    tool_id: str) -> None:
        """Remember that `user` chose `tool_id` after typing `typed` (their latest choice wins)."""
        words = words_key(typed)
        if words and user:
            self.store.picks.record(platform, workspace, user, words, " ".join(typed.split())[:100],
                                    tool_id)

    def mapping(self, platform: str, workspace: str) -> dict[str, str]:
        """Learned words -> tool id for one workspace: its own, then those learned everywhere."""
        _, maps, dissent = self._learned.get(self.store.picks.version())
        local = maps.get((platform, workspace), {})
        disagree = dissent.get((platform, workspace), {})
        everywhere = {w: t for w, t in maps.get(GLOBAL, {}).items()
                      if disagree.get(w, {t}) == {t}}  # someone here picked another tool: ask
        return {**everywhere, **local}

    def all(self) -> list[LearnedAlias]:
        """Every learned alias, everywhere first."""
        aliases, _, _ = self._learned.get(self.store.picks.version())
        return list(aliases)

    def remove(self, typed: str, tool_id: str | None, by: str) -> int:
        """Forget the aliases for these words (for one tool, or all); they are not relearned.
        Returns how many learned aliases went."""
        words = words_key(typed)
        gone = [a for a in self.all() if a.words == words and tool_id in (None, a.tool_id)]
        if gone:
            self.store.picks.remove(words, sorted({a.tool_id for a in gone}), by)
        return len(gone)

    def _work_out(self) -> tuple[list[LearnedAlias], dict[tuple[str, str], dict[str, str]],
                                 dict[tuple[str, str], dict[str, set[str]]]]:
        """Every learned alias from the stored picks, the words -> tool map per scope, and
        the tools each workspace's people picked for each words (to see who disagrees)."""
        picked: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(dict)
        groups = self.store.picks.agreed(1)
        for platform, workspace, words, tool, _, _ in groups:
            picked[platform, workspace].setdefault(words, set()).add(tool)
        aliases = self._decide([
            LearnedAlias(platform, workspace, words, typed, tool, tuple(users))
            for platform, workspace, words, tool, typed, users in groups
            if len(users) >= self.users])
        maps: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        for alias in aliases:
            maps[alias.platform, alias.workspace][alias.words] = alias.tool_id
        return aliases, maps, picked

    def _decide(self, local: list[LearnedAlias]) -> list[LearnedAlias]:
        """Keep one tool per words in each workspace (the most teachers; a tie teaches nothing),
        and add the global aliases: words that name the same tool in enough workspaces."""
        by_scope: dict[tuple[str, str, str], list[LearnedAlias]] = defaultdict(list)
        for alias in local:
            by_scope[alias.platform, alias.workspace, alias.words].append(alias)
        kept = [_clear_winner(group, lambda a: len(a.teachers)) for group in by_scope.values()]
        learned = [a for a in kept if a is not None]
        places: dict[str, Counter[str]] = defaultdict(Counter)
        for alias in learned:
            places[alias.words][alias.tool_id] += 1
        everywhere = []
        for words, counts in places.items():
            (tool, count), *rest = counts.most_common(2) + [("", 0)]
            if count < self.workspaces or count <= rest[0][1]:
                continue
            teachers = sorted({_person(a.platform, a.workspace, t) for a in learned
                               if a.words == words and a.tool_id == tool for t in a.teachers})
            if len(teachers) >= self.people:
                typed = next(a.typed for a in learned if a.words == words)
                everywhere.append(LearnedAlias(*GLOBAL, words, typed, tool, tuple(teachers)))
        return sorted(everywhere, key=lambda a: a.words) + sorted(
            learned, key=lambda a: (a.platform, a.workspace, a.words))


def _person(platform: str, workspace: str, user: str) -> str:
    """One person, as evidence: a Discord id is the same person in every server; a Slack
    user id is only unique within its workspace."""
    return f"{platform}:{user}" if platform == "discord" else f"{platform}:{workspace}:{user}"


def _clear_winner(group: list[LearnedAlias], weight: object) -> LearnedAlias | None:
    """The alias with strictly the most weight in its group, else None."""
    ranked = sorted(group, key=weight, reverse=True)  # type: ignore[arg-type]
    if len(ranked) > 1 and weight(ranked[0]) == weight(ranked[1]):  # type: ignore[operator]
        return None
    return ranked[0]
