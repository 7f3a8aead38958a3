"""Reading import files (page text or JSON) into Bundles, and loading them all-or-nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from pydantic import ValidationError

from bot.matching import NameIndex
from bot.models import Bundle, Tool
from bot.pagetext import PageFormatError, looks_like_page, parse_page
from bot.store import ImportResult, Store, StoreError


class ImportFileError(ValueError):
    """A file that cannot be imported: names the file, the line and what was expected."""


def read_bundle(path: Path) -> Bundle:
    """Parse one file: JSON in the Bundle schema, or comparison-page text."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # tolerate a byte-order mark
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"{path}: cannot read: {exc}") from exc
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        return _read_json(path, text)
    if not looks_like_page(text):
        first = text.strip().splitlines()[0][:60] if text.strip() else "an empty file"
        raise ImportFileError(
            f"{path}: line 1: expected JSON or a page starting 'Compare/<tool> vs <tool>', "
            f"found {first!r}")
    try:
        return parse_page(text)
    except PageFormatError as exc:
        raise ImportFileError(f"{path}: {exc}") from exc
    except ValidationError as exc:
        raise ImportFileError(f"{path}: line {_line_of_input(text, exc)}: "
                              f"{_first_error(exc)}") from exc


def _line_of_input(text: str, exc: ValidationError) -> int:
    """The line holding the value a page field was rejected for (1 if it cannot be found)."""
    value = exc.errors()[0].get("input")
    if isinstance(value, str) and value and value in text:
        return text.count("\n", 0, text.index(value)) + 1
    return 1


def _read_json(path: Path, text: str) -> Bundle:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}") from exc
    except (ValueError, RecursionError) as exc:  # a 4,301-digit number; nesting too deep
        raise ImportFileError(f"{path}: invalid JSON: {str(exc).split(';')[0]}") from None
    try:
        return Bundle.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        line = locate_json_path(text, err["loc"])
        where = ".".join(str(p) for p in err["loc"])
        raise ImportFileError(f"{path}: line {line}: {where}: {err['msg']}") from exc


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def locate_json_path(text: str, loc: Iterable[object]) -> int:
    """Best-effort line number of a pydantic error location inside JSON text."""
    parts = list(loc)
    pos = 0
    for i, part in enumerate(parts):
        if isinstance(part, int):
            # The n-th element of a list of objects: the n-th occurrence of the next key.
            nxt = next((p for p in parts[i + 1:] if isinstance(p, str)), None)
            if nxt is None:
                break
            for _ in range(part + 1):
                found = text.find(f'"{nxt}"', pos)
                if found < 0:
                    break
                pos = found + 1
            continue
        found = text.find(f'"{part}"', pos)
        if found >= 0:
            pos = found
    return text.count("\n", 0, pos) + 1


def read_files(paths: Iterable[Path],
               progress: Callable[[Path], None] | None = None) -> list[tuple[Path, Bundle]]:
    """Parse every file (nothing is stored yet); each bundle with the file it came from."""
    out = []
    for path in paths:
        out.append((path, read_bundle(path)))
        if progress:
            progress(path)
    return out


# A page's own paragraphs do not replace the catalog's wording of a tool it already has.
WORDING = ("tagline", "best_for", "pricing_text", "summary")


def keep_wording(tool: Tool, earlier: Tool) -> Tool:
    """`tool` from a page, with the wording `earlier` already had (facts still update)."""
    return tool.model_copy(update={f: getattr(earlier, f) for f in WORDING
                                   if getattr(earlier, f)})


def _is_json(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def merge_bundles(store: Store, files: list[tuple[Path, Bundle]]) -> Bundle:
    """One bundle from several files. A page's tool over one already known keeps the known
    wording (pages update scores and facts); two JSON files that give one tool differently are
    refused, naming both; a comparison must name tools that a file or the store has (else the
    file and line)."""
    tools: dict[str, Tool] = {}
    from_json: dict[str, Path] = {}  # the JSON file that gave each tool
    known = store.catalog.tools({t.id for _, b in files for t in b.tools})
    for path, bundle in files:
        for tool in bundle.tools:
            earlier = tools.get(tool.id) or known.get(tool.id)
            if earlier is not None and not _is_json(path):
                tool = keep_wording(tool, earlier)
            elif tool.id in from_json and tools[tool.id] != tool:
                # Two JSON records of one tool that disagree: which is meant? Say, load none.
                first = from_json[tool.id]
                raise ImportFileError(
                    f"{path}: line {_line_of(path, tool.id)}: tool {tool.id} is also in {first} "
                    f"(line {_line_of(first, tool.id)}) with different facts; give each tool "
                    "once per import")
            if _is_json(path):
                from_json[tool.id] = path
            tools[tool.id] = tool
    stored = store.catalog.tools({i for _, b in files for c in b.comparisons for i in c.tools})
    for path, bundle in files:
        for comparison in bundle.comparisons:
            missing = [i for i in comparison.tools if i not in tools and i not in stored]
            if missing:
                line = _line_of(path, missing[0])
                raise ImportFileError(f"{path}: line {line}: the comparison names tool id(s) "
                                      f"{', '.join(missing)}, which neither these files nor "
                                      "the catalog have")
    # Built without re-validating: every part was validated in its own file.
    return Bundle.model_construct(tools=list(tools.values()),
                                  comparisons=[c for _, b in files for c in b.comparisons])


def _line_of(path: Path, tool_id: str) -> int:
    """The line of a JSON file where a tool id first appears (1 if it cannot be found)."""
    text = path.read_text(encoding="utf-8-sig")
    at = text.find(f'"{tool_id}"')
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def import_files(store: Store, paths: Iterable[Path],
                 progress: Callable[[Path], None] | None = None,
                 allow_removals: bool = False) -> ImportResult:
    """Parse every file first, then load them all in one transaction (nothing on any error).
    An import that would remove stored reviews is refused unless `allow_removals`."""
    merged = merge_bundles(store, read_files(paths, progress))
    try:
        result = store.catalog.import_bundle(merged, allow_removals=allow_removals)
    except StoreError as exc:
        raise ImportFileError(str(exc)) from exc
    return replace(result, warnings=shared_alias_warnings(store, merged))


def shared_alias_warnings(store: Store, bundle: Bundle) -> tuple[str, ...]:
    """One line per imported alias that other tools also go by (a family or vendor word such
    as `claude`): it will not pick this tool, it will ask which one is meant."""
    with_aliases = [t for t in bundle.tools if t.aliases]
    if not with_aliases:
        return ()
    index = NameIndex.build(store.catalog.match_rows())
    out = []
    for tool in with_aliases:
        for alias in tool.aliases:
            others = index.sharers(alias, tool.id)
            if others:
                out.append(f"Alias '{alias}' of {tool.short_name} is a word other tools go by "
                           f"too ({', '.join(others)}): typed alone it asks which is meant.")
    return tuple(out)


def bundled_data_files() -> list[Path]:
    """The JSON files shipped in data/, loaded into a new database."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "data", here / "data"):
        if candidate.is_dir():
            return sorted(candidate.glob("*.json"))
    return []
