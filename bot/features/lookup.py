"""Resolving typed names to tools, for every command: the name index (rebuilt when the catalog
changes), learned aliases, and the did-you-mean card when a name is unclear."""

from __future__ import annotations

from collections.abc import Callable

from bot.cards import Card, Choice
from bot.learned import LearnedAliases
from bot.matching import NameIndex, Resolution
from bot.models import Context
from bot.names import clip
from bot.splitting import ToolsResolution, resolve_tools
from bot.storage.versioned import Versioned
from bot.store import Store


class Lookup:
    """The catalog's names as a person types them."""

    def __init__(self, store: Store, learned: LearnedAliases) -> None:
        self.store = store
        self.learned = learned
        self._index = Versioned(lambda: NameIndex.build(store.catalog.match_rows()))

    @property
    def index(self) -> NameIndex:
        """The name index, rebuilt when another process imported new tools."""
        return self._index.get(self.store.catalog.catalog_version())

    def aliases(self, ctx: Context) -> dict[str, str]:
        """The aliases learned in this workspace and everywhere."""
        return self.learned.mapping(ctx.platform, ctx.workspace)

    def one(self, name: str, ctx: Context) -> Resolution:
        """One typed name, resolved."""
        return self.index.resolve(name, self.aliases(ctx))

    def several(self, text: str, ctx: Context) -> ToolsResolution:
        """Free text holding several names (`claude azure`, `a vs b`), split and resolved."""
        return resolve_tools(self.index, text, self.aliases(ctx))

    def typable(self, tool_id: str) -> str:
        """What a person can type to name this tool alone: its short name, else its full
        name, else its id (choices show names people know, not ids)."""
        tool = self.store.catalog.tools([tool_id]).get(tool_id)
        for name in ((tool.short_name, tool.name) if tool else ()):
            found = self.index.resolve(name)
            if found.ok and found.best is not None and found.best.tool_id == tool_id:
                return name
        return tool_id

    def one_tool(self, query: str, ctx: Context, word: str) -> tuple[str, str] | Card:
        """(tool id, name) of the one tool `query` names for command `word`; or the card to
        answer instead: did-you-mean, or, when the words name several tools (`verdict claude
        azure`), the command for each of them (and, for verdict, the comparison)."""
        resolution = self.one(query, ctx)
        if resolution.ok and resolution.best is not None:
            return resolution.best.tool_id, resolution.best.name
        several = self.several(query, ctx)
        ids = list(dict.fromkeys(several.tool_ids)) if several.ok else []
        if len(ids) < 2:
            return did_you_mean(resolution, lambda tid: f"{word} {tid}",
                                lambda tid: f"{word} {self.typable(tid)}")
        matches = list({p.best.tool_id: p.best for p in several.parts if p.best}.values())
        choices = [Choice(label=m.name, command=f"{word} {m.tool_id}",
                          text=f"{word} {self.typable(m.tool_id)}") for m in matches]
        if word == "verdict":
            both = " vs ".join(m.tool_id for m in matches)
            choices.append(Choice(label="Compare them", command=f"compare {both}"))
        return Card(kind="did_you_mean", ephemeral=True, choices=choices[:5],
                    title=f"`{word}` takes one tool; “{clip(query)}” names {len(matches)}",
                    lines=[f"{n}. {word} {c.label}" if c.command.startswith(word) else
                           f"{n}. {c.label}" for n, c in enumerate(choices[:5], 1)])

    def unclear_part(self, found: ToolsResolution, word: str) -> Card | None:
        """Did-you-mean for the first unclear name among several, offering no tool the query
        already names (that choice would lead to "those names all point at the same tool")."""
        resolved = {p.best.tool_id for p in found.parts if p.ok and p.best}
        for position, part in enumerate(found.parts):
            if not part.ok:
                return did_you_mean(part, replace_part(found.parts, position, word=word),
                                    replace_part(found.parts, position, self.typable, word),
                                    exclude=resolved)
        return None


def replace_part(parts: tuple[Resolution, ...], position: int,
                 name_of: Callable[[str], str] = str,
                 word: str = "compare") -> Callable[[str], str]:
    """The command with one name swapped for a candidate, the others kept; each resolved tool
    written as `name_of(id)` (the id by default: exact, for buttons)."""
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
    typed = clip(resolution.query, 100)
    choices = [Choice(label=m.name, command=command_for(m.tool_id), tool_id=m.tool_id,
                      typed=typed, text=shown_for(m.tool_id) if shown_for else "")
               for m in resolution.candidates if m.tool_id not in exclude]
    if not choices:
        return Card(kind="did_you_mean", ephemeral=True,
                    title=f"I couldn't find another tool called “{clip(resolution.query)}”"
                    if exclude and resolution.candidates else
                    f"I couldn't find a tool called “{clip(resolution.query)}”",
                    lines=["Check the spelling, or try `search <word>` to browse."])
    what = "matches several tools" if resolution.status == "ambiguous" else "isn't a close match"
    return Card(kind="did_you_mean", ephemeral=True, choices=choices,
                title=f"Did you mean…? “{clip(resolution.query)}” {what}",
                lines=[f"{n}. {c.label}" for n, c in enumerate(choices, 1)])
