"""Aliases learned from did-you-mean picks: what people typed, and the tool they then chose.

When `users` different people in one workspace pick the same tool after typing the same words,
those words become an alias there; once that has happened in `workspaces` workspaces, it is an
alias everywhere. A learned alias is consulted only after every published name and alias, so it
never overrides one. Picks are kept (one per person and words, the latest), and learned aliases
are worked out from them, so removing one is deleting its picks and remembering not to relearn.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass

from bot.names import compact, normalize
from bot.store import Store, utcnow

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

    def __init__(self, store: Store, users: int = 3, workspaces: int = 2) -> None:
        self.store = store
        self.users = max(1, users)
        self.workspaces = max(1, workspaces)
        self._lock = threading.Lock()
        self._version = -1
        self._aliases: list[LearnedAlias] = []
        self._maps: dict[tuple[str, str], dict[str, str]] = {}

    def record_pick(self, platform: str, workspace: str, user: str, typed: str,
                    tool_id: str) -> None:
        """Remember that `user` chose `tool_id` after typing `typed` (their latest choice wins)."""
        words = words_key(typed)
        if not words or not user:
            return
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO alias_picks (platform, workspace, user, words, typed, tool_id, "
                "picked_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, workspace, user, "
                "words) DO UPDATE SET tool_id = excluded.tool_id, typed = excluded.typed, "
                "picked_at = excluded.picked_at",
                [platform, workspace, user, words, " ".join(typed.split())[:100], tool_id,
                 utcnow()])
            self._bump(db)

    def mapping(self, platform: str, workspace: str) -> dict[str, str]:
        """Learned words -> tool id for one workspace: its own, then those learned everywhere."""
        self._refresh()
        local = self._maps.get((platform, workspace), {})
        return {**self._maps.get(GLOBAL, {}), **local}

    def all(self) -> list[LearnedAlias]:
        """Every learned alias, everywhere first."""
        self._refresh()
        return list(self._aliases)

    def remove(self, typed: str, tool_id: str | None, by: str) -> int:
        """Forget the aliases for these words (for one tool, or all); they are not relearned.
        Returns how many learned aliases went."""
        words = words_key(typed)
        gone = [a for a in self.all() if a.words == words and tool_id in (None, a.tool_id)]
        with self.store.transaction() as db:
            for tool in {a.tool_id for a in gone}:
                db.execute("DELETE FROM alias_picks WHERE words = ? AND tool_id = ?",
                           [words, tool])
                db.execute("INSERT INTO alias_blocks (words, tool_id, removed_by, removed_at) "
                           "VALUES (?, ?, ?, ?) ON CONFLICT (words, tool_id) DO NOTHING",
                           [words, tool, by, utcnow()])
            if gone:
                self._bump(db)
        return len(gone)

    @staticmethod
    def _bump(db: object) -> None:
        db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 "  # type: ignore[attr-defined]
                    "WHERE key = 'aliases_version'")

    def _refresh(self) -> None:
        """Work the aliases out again when another process (or this one) recorded a pick."""
        row = self.store.db.execute(
            "SELECT value FROM meta WHERE key = 'aliases_version'").fetchone()
        version = int(row[0]) if row else 0
        with self._lock:
            if version == self._version:
                return
            rows = self.store.db.execute(
                "SELECT platform, workspace, words, tool_id, MAX(typed), "
                "GROUP_CONCAT(user, '|') FROM alias_picks p WHERE NOT EXISTS (SELECT 1 FROM "
                "alias_blocks b WHERE b.words = p.words AND b.tool_id = p.tool_id) "
                "GROUP BY platform, workspace, words, tool_id HAVING COUNT(*) >= ?",
                [self.users]).fetchall()
            self._aliases = self._decide([
                LearnedAlias(r[0], r[1], r[2], r[4], r[3], tuple(sorted(r[5].split("|"))))
                for r in rows])
            self._maps = defaultdict(dict)
            for alias in self._aliases:
                self._maps[alias.platform, alias.workspace][alias.words] = alias.tool_id
            self._version = version

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
            if count >= self.workspaces and count > rest[0][1]:
                teachers = sorted({t for a in learned if a.words == words and a.tool_id == tool
                                   for t in a.teachers})
                typed = next(a.typed for a in learned if a.words == words)
                everywhere.append(LearnedAlias(*GLOBAL, words, typed, tool, tuple(teachers)))
        return sorted(everywhere, key=lambda a: a.words) + sorted(
            learned, key=lambda a: (a.platform, a.workspace, a.words))


def _clear_winner(group: list[LearnedAlias], weight: object) -> LearnedAlias | None:
    """The alias with strictly the most weight in its group, else None."""
    ranked = sorted(group, key=weight, reverse=True)  # type: ignore[arg-type]
    if len(ranked) > 1 and weight(ranked[0]) == weight(ranked[1]):  # type: ignore[operator]
        return None
    return ranked[0]
