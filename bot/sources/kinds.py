"""What a fetched URL is, read from the response (never from the URL's spelling), and the
page URLs a listing names. XML is read with defusedxml first, so an entity bomb or an
external entity is refused before any parser expands it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urljoin

import defusedxml.ElementTree as SafeXML
import feedparser
from defusedxml import DefusedXmlException

from bot.pagetext import looks_like_page

Kind = Literal["feed", "jsonfeed", "sitemap", "sitemapindex", "html", "text", "bundle"]
LISTINGS = ("feed", "jsonfeed", "sitemap", "sitemapindex")
# Content types each kind may come as (a server that labels a feed text/html is refused).
_TYPES = {
    "xml": ("xml", "rss", "atom", "text/plain"),
    "json": ("json", "text/plain"),
    "html": ("html",),
    "text": ("text/plain", "text/markdown"),
}


class SourceError(ValueError):
    """A response that is not something shipbot can follow; the message says why."""


@dataclass(frozen=True)
class Detected:
    """A response's kind, and for a listing the page URLs it names (absolute)."""

    kind: Kind
    pages: list[str] = field(default_factory=list)


def detect(body: bytes, content_type: str, url: str) -> Detected:
    """The kind of a response body, and the pages a feed or sitemap lists."""
    text = body.decode("utf-8-sig", errors="replace").lstrip()
    ctype = content_type.split(";")[0].strip().lower()
    if text.startswith(("{", "[")):
        _fits(ctype, "json")
        return _json(text, url)
    if text.startswith("<"):
        head = text[:512].lower()
        if "<!doctype html" in head or "<html" in head:
            _fits(ctype, "html")
            return Detected("html")
        _fits(ctype, "xml")
        return _xml(body, url)
    if looks_like_page(text):
        _fits(ctype, "text")
        return Detected("text")
    raise SourceError("not a feed, sitemap, comparison page or import bundle")


def _fits(ctype: str, family: str) -> None:
    if ctype and not any(t in ctype for t in _TYPES[family]):
        raise SourceError(f"a {family.upper()} body served as {ctype!r}")


def _json(text: str, url: str) -> Detected:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SourceError(f"invalid JSON: {exc}") from None
    if isinstance(data, dict) and "jsonfeed.org" in str(data.get("version", "")):
        items = data.get("items") if isinstance(data.get("items"), list) else []
        pages = [urljoin(url, str(i.get("url") or i.get("external_url")))
                 for i in items if isinstance(i, dict) and (i.get("url") or i.get("external_url"))]
        return Detected("jsonfeed", _http_only(pages))
    if isinstance(data, dict) and "tools" in data:
        return Detected("bundle")
    raise SourceError("JSON that is neither a JSON Feed nor an import bundle")


def _xml(body: bytes, url: str) -> Detected:
    try:
        root = SafeXML.fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        raise SourceError("XML with a DTD or entities (refused: entity expansion)") from None
    except SafeXML.ParseError as exc:
        raise SourceError(f"malformed XML: {exc}") from None
    tag = root.tag.rsplit("}", 1)[-1].lower()
    if tag in ("urlset", "sitemapindex"):
        locs = [(el.text or "").strip() for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "loc"]
        kind: Kind = "sitemap" if tag == "urlset" else "sitemapindex"
        return Detected(kind, _http_only([urljoin(url, loc) for loc in locs if loc]))
    if tag in ("rss", "feed", "rdf"):
        parsed = feedparser.parse(body)
        pages = [urljoin(url, e.get("link", "")) for e in parsed.entries if e.get("link")]
        return Detected("feed", _http_only(pages))
    raise SourceError(f"XML whose root is <{tag}>, not a feed or a sitemap")


def _http_only(urls: list[str]) -> list[str]:
    """Listed pages that are http or https, each once, in order."""
    return list(dict.fromkeys(u for u in urls if u.startswith(("http://", "https://"))))
