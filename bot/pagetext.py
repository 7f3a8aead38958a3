"""Parser for the comparison-page text format (see ../shared/seeds/ for a real page)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.models import Bundle, Comparison, Review, Tool, slugify

_SCORE = re.compile(r"^(\d{1,3})\s*/\s*100\s*[·\-|]\s*(ship|skip)$", re.IGNORECASE)
_PERCENT = re.compile(r"^\d{1,3}%$")
_DECISION_ROWS = ("Panel verdict", "Community", "Pricing", "Best for", "Category")
# Lines after the scorecard that belong to the site, not to the comparison.
_TRAILER = ("Weekly AI Tool Verdicts", "Bookmarks")


class PageFormatError(ValueError):
    """The text is not a comparison page; says where and what was expected."""

    def __init__(self, line: int, expected: str, found: str) -> None:
        shown = found if len(found) <= 60 else found[:57] + "..."
        super().__init__(f"line {line}: expected {expected}, found {shown!r}")
        self.line = line


@dataclass
class _Cursor:
    """Walks the non-blank lines of a page, remembering their line numbers."""

    lines: list[tuple[int, str]]
    pos: int = 0
    last_line: int = field(default=0)

    def peek(self) -> str | None:
        return self.lines[self.pos][1] if self.pos < len(self.lines) else None

    def take(self, expected: str) -> str:
        if self.pos >= len(self.lines):
            raise PageFormatError(self.last_line + 1, expected, "end of file")
        number, text = self.lines[self.pos]
        self.pos += 1
        self.last_line = number
        return text

    def expect(self, literal: str) -> None:
        number = self.lines[self.pos][0] if self.pos < len(self.lines) else self.last_line + 1
        text = self.take(repr(literal))
        if text.lower() != literal.lower():
            raise PageFormatError(number, repr(literal), text)

    def line_no(self) -> int:
        return self.lines[self.pos][0] if self.pos < len(self.lines) else self.last_line + 1


def looks_like_page(text: str) -> bool:
    """True when `text` starts like a comparison page."""
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    return first.startswith("Compare/")


def parse_page(text: str) -> Bundle:
    """Parse one comparison page into tools, their reviews and one comparison."""
    cur = _Cursor([(i, ln.strip()) for i, ln in enumerate(text.splitlines(), 1) if ln.strip()])
    head_line = cur.line_no()
    head = cur.take("'Compare/<tool> vs <tool>'")
    if not head.startswith("Compare/") or " vs " not in head:
        raise PageFormatError(head_line, "'Compare/<tool> vs <tool>'", head)
    names = [n.strip() for n in head[len("Compare/"):].split(" vs ")]
    _skip_to_first_block(cur, names)
    tools = [_tool_block(cur, name) for name in names]
    _decision_table(cur, tools)
    _scorecard(cur, tools)
    built = [_finish(t) for t in tools]
    # The comparison's source is a title a person can read, not the file it came in.
    title = " vs ".join(t.short_name for t in built)
    return Bundle(tools=built, comparisons=[Comparison(tools=[t.id for t in built],
                                                       source=f"{title} (panel comparison)")])


def _skip_to_first_block(cur: _Cursor, names: list[str]) -> None:
    """Skip the page intro up to the first tool block (initial, category, name)."""
    while cur.pos + 2 < len(cur.lines):
        if cur.lines[cur.pos + 2][1] == names[0] and len(cur.lines[cur.pos][1]) <= 2:
            return
        cur.pos += 1
    raise PageFormatError(cur.line_no(), f"a tool block for {names[0]!r}", "end of file")


def _tool_block(cur: _Cursor, name: str) -> dict[str, str]:
    """Read initial, category, name, tagline, verdict, ship %, community, pricing, summary."""
    block: dict[str, str] = {"name": name}
    line = cur.line_no()
    block["vendor_initial"] = cur.take("a vendor initial")
    if len(block["vendor_initial"]) > 2:
        raise PageFormatError(line, "a one-letter vendor initial", block["vendor_initial"])
    block["category"] = cur.take("a category")
    line = cur.line_no()
    if (found := cur.take(f"the tool name {name!r}")) != name:
        raise PageFormatError(line, f"the tool name {name!r}", found)
    block["tagline"] = cur.take("a tagline")
    line = cur.line_no()
    verdict = cur.take("a panel verdict (Ship or Skip)")
    if verdict.lower() not in ("ship", "skip"):
        raise PageFormatError(line, "a panel verdict (Ship or Skip)", verdict)
    line = cur.line_no()
    if not _PERCENT.match(percent := cur.take("a ship percentage like 100%")):
        raise PageFormatError(line, "a ship percentage like 100%", percent)
    cur.expect("Panel ship")
    cur.expect("Community")
    # The community value is absent when nobody voted; pricing model then "Entry" follow.
    after = cur.take("a pricing model")
    if cur.peek() != "Entry":
        after = cur.take("a pricing model")
    block["pricing_model"] = after
    cur.expect("Entry")
    block["summary"] = cur.take("a summary paragraph")
    return block


def _decision_table(cur: _Cursor, tools: list[dict[str, str]]) -> None:
    """Read the Decision table: tool names, then one row per label with a cell per tool."""
    cur.expect("Decision")
    for tool in tools:
        line = cur.line_no()
        if (found := cur.take(f"the tool name {tool['name']!r}")) != tool["name"]:
            raise PageFormatError(line, f"the tool name {tool['name']!r}", found)
    for label in _DECISION_ROWS:
        cur.expect(label)
        for tool in tools:
            tool[label] = cur.take(f"a {label.lower()} cell for {tool['name']!r}")


def _scorecard(cur: _Cursor, tools: list[dict[str, str]]) -> None:
    """Read the Reviewer scorecard: persona, then per tool 'NN/100 · ship' and a paragraph."""
    cur.expect("Reviewer scorecard")
    reviews: list[list[Review]] = [[] for _ in tools]
    seen: set[str] = set()
    while (peek := cur.peek()) is not None and peek not in _TRAILER:
        line = cur.line_no()
        persona = cur.take("a persona name")
        if persona in seen:
            raise PageFormatError(line, "a reviewer not already on the scorecard", persona)
        seen.add(persona)
        for index in range(len(tools)):
            line = cur.line_no()
            score_line = cur.take("a score like '88/100 · ship'")
            match = _SCORE.match(score_line)
            if not match or int(match.group(1)) > 100:
                raise PageFormatError(line, "a score like '88/100 · ship'", score_line)
            text = cur.take("a review paragraph")
            reviews[index].append(Review(persona=persona, score=int(match.group(1)),
                                         verdict=match.group(2).lower(), text=text))  # type: ignore[arg-type]
    if not reviews[0]:
        raise PageFormatError(cur.line_no(), "at least one persona", "end of scorecard")
    if cur.peek() is None:  # a whole page goes on past the scorecard; a cut one stops in it
        raise PageFormatError(cur.last_line + 1, "the rest of the page after the reviewer "
                              "scorecard (the page looks cut off)", "end of file")
    for tool, found in zip(tools, reviews, strict=True):
        panel = re.search(r"(\d+) ship / (\d+) skip", tool.get("Panel verdict", ""))
        if panel and int(panel.group(1)) + int(panel.group(2)) != len(found):
            raise PageFormatError(cur.line_no(), f"{int(panel.group(1)) + int(panel.group(2))} "
                                  f"reviews of {tool['name']!r} (its panel line says so)",
                                  f"{len(found)}")
        tool["reviews"] = found  # type: ignore[assignment]


def _finish(block: dict) -> Tool:  # type: ignore[type-arg]
    """Build a Tool from a parsed block, deriving short name and vendor."""
    name = block["name"]
    return Tool(
        id=slugify(name), name=name, short_name=short_name_of(name),
        vendor=vendor_from_summary(block["summary"], name),
        vendor_initial=block["vendor_initial"], category=block["Category"] or block["category"],
        tagline=block["tagline"], best_for=block["Best for"], pricing_model=block["pricing_model"],
        pricing_text=block["Pricing"], summary=block["summary"], reviews=block["reviews"],
    )


def short_name_of(name: str) -> str:
    """The part before a colon, else the first three words of a long name."""
    if ":" in name:
        return name.split(":", 1)[0].strip()
    words = name.split()
    return " ".join(words[:3]) if len(words) > 4 else name


def vendor_from_summary(summary: str, name: str) -> str:
    """The summary's first word when it is a capitalised word not in the tool name (the vendor)."""
    first = re.split(r"[\s,']", summary.strip(), maxsplit=1)[0]
    if first[:1].isupper() and first.isalpha() and first.lower() not in name.lower():
        return first
    return ""
