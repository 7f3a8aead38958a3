"""An HTML comparison page as the text format `shipbot import` reads: block elements become
lines, inline runs stay on one line, and the site's chrome (script, style, nav, header, footer,
forms) is dropped. A real HTML parser (BeautifulSoup with Python's html.parser) reads it."""

from __future__ import annotations

from bs4 import BeautifulSoup, NavigableString, Tag

DROPPED = ("script", "style", "nav", "header", "footer", "form", "noscript", "template", "svg",
           "button", "iframe")
BLOCKS = frozenset("address article aside blockquote dd details dialog div dl dt fieldset "
                   "figcaption figure h1 h2 h3 h4 h5 h6 hr li main ol p pre section summary "
                   "table tbody thead tfoot tr td th ul br body html".split())


def html_to_text(html: str | bytes) -> tuple[str, str]:
    """(page text, canonical URL or '') of an HTML page."""
    soup = BeautifulSoup(html, "html.parser")
    canonical = ""
    for link in soup.find_all("link"):
        rel = link.get("rel") or []
        if "canonical" in ([r.lower() for r in rel] if isinstance(rel, list) else [rel.lower()]):
            canonical = str(link.get("href") or "").strip()
            break
    for tag in soup.find_all(DROPPED):
        tag.decompose()
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = " ".join("".join(current).split())
        if text:
            lines.append(text)
        current.clear()

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if type(child) is NavigableString:  # not comments, doctypes or CDATA
                    current.append(str(child))
            elif isinstance(child, Tag):
                block = child.name in BLOCKS
                if block:
                    flush()
                walk(child)
                if block:
                    flush()

    body = soup.body or soup
    walk(body)
    flush()
    return "\n".join(lines), canonical


def as_page_text(html: str | bytes) -> tuple[str, str]:
    """The page text the importer reads, and the canonical URL. A page whose first line is not
    the `Compare/A vs B` breadcrumb gets one from its first heading (`A vs B`)."""
    text, canonical = html_to_text(html)
    first = text.split("\n", 1)[0] if text else ""
    if not first.startswith("Compare/"):
        soup = BeautifulSoup(html, "html.parser")
        heading = soup.find("h1")
        title = " ".join(heading.get_text(" ").split()) if heading else ""
        if " vs " in title:
            text = f"Compare/{title}\n{text}"
    return text, canonical
