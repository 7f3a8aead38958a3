"""One pass over a followed source: fetch it (conditionally), find its pages, import and
publish each one on its own, exactly as `shipbot publish` does. A bad page is refused with its
reason and the pass goes on; a failing source backs off and, after enough failures in a row,
is paused. The HTTP client is given (adapters/web.py); store calls run off the event loop."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from bot.assembly import CardMaker
from bot.dispatch import backoff
from bot.importer import ImportFileError, merge_bundles
from bot.models import Bundle
from bot.pagetext import PageFormatError, parse_page
from bot.publishing import publish_bundle
from bot.sources.htmltext import as_page_text
from bot.sources.kinds import LISTINGS, Detected, SourceError, detect
from bot.storage.sources import PageState, Source

log = logging.getLogger(__name__)
LEASE_SECONDS = 600.0  # a pass longer than this loses the source to another replica
MAX_PAGES = 5000  # pages read from one listing in one pass


@dataclass(frozen=True)
class Response:
    """What the fetcher got: 200 with a body, or 304 (not modified) without one."""

    url: str  # after redirects
    status: int
    body: bytes = b""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""


class FetchError(Exception):
    """A fetch that failed: why, and when the server asked to be tried again (Retry-After)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


Fetch = Callable[[str, str, str], Awaitable[Response]]  # (url, etag, last modified)
What = Literal["new", "changed", "unchanged", "refused"]


@dataclass(frozen=True)
class PageOutcome:
    """What one pass did with one page."""

    url: str
    what: What
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.what:<9} {self.url}" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class PassResult:
    """A source's pass: its pages, or why the source itself failed or was skipped."""

    source: Source
    pages: tuple[PageOutcome, ...] = ()
    error: str = ""
    skipped: str = ""


def retry_in(failures: int, every: int) -> float:
    """Seconds before trying a failing source again: the outbox's backoff from a minute,
    never past the source's own interval (or a day)."""
    return backoff(failures, base=60.0, cap=float(min(max(every, 60), 86400)))


async def sync_source(maker: CardMaker, source: Source, fetch: Fetch, owner: str,
                      pause_after: int = 10, clock: Callable[[], float] = time.time
                      ) -> PassResult:
    """One pass over one source under its lease; every outcome is recorded in the store."""
    store = maker.store
    if not await asyncio.to_thread(store.sources.lease, source.id, owner, clock(),
                                   LEASE_SECONDS):
        return PassResult(source, skipped="another replica is reading it")
    try:
        try:
            response = await fetch(source.url, source.etag, source.last_modified)
            if response.status == 304:
                await asyncio.to_thread(
                    store.sources.checked, source.id, kind=source.kind, etag=source.etag,
                    last_modified=source.last_modified, content_hash=source.content_hash,
                    changed=False, next_at=clock() + source.every_seconds)
                return PassResult(source, (PageOutcome(source.url, "unchanged",
                                                       "not modified (304)"),))
            digest = hashlib.sha256(response.body).hexdigest()
            if digest == source.content_hash and source.kind in LISTINGS:
                # a server without validators: the same listing as last time is no news
                await asyncio.to_thread(
                    store.sources.checked, source.id, kind=source.kind, etag=response.etag,
                    last_modified=response.last_modified, content_hash=digest, changed=False,
                    next_at=clock() + source.every_seconds)
                return PassResult(source, (PageOutcome(source.url, "unchanged",
                                                       "the same listing"),))
            found = detect(response.body, response.content_type, response.url)
        except (FetchError, SourceError) as exc:
            reason = exc.reason if isinstance(exc, FetchError) else str(exc)
            retry = exc.retry_after if isinstance(exc, FetchError) else None
            wait = retry if retry is not None else retry_in(source.failures + 1,
                                                            source.every_seconds)
            after = await asyncio.to_thread(store.sources.failed, source.id, reason,
                                            clock() + wait, pause_after)
            if after.state == "paused":
                log.warning("source %s paused after %d failures: %s", source.id,
                            after.failures, reason)
            return PassResult(after, error=reason)
        if found.kind in LISTINGS:
            pages = await _listing_pages(found, fetch)
            outcomes = []
            for url in pages[:MAX_PAGES]:
                # a long, paced pass keeps its lease: no other replica starts it meanwhile
                await asyncio.to_thread(store.sources.lease, source.id, owner, clock(),
                                        LEASE_SECONDS)
                outcomes.append(await _page(maker, source, url, fetch))
        else:  # the URL is a page itself: read what was just fetched
            outcomes = [await _page(maker, source, response.url, fetch, (response, found))]
        changed = any(o.what in ("new", "changed") for o in outcomes)
        await asyncio.to_thread(
            store.sources.checked, source.id, kind=found.kind, etag=response.etag,
            last_modified=response.last_modified, content_hash=digest, changed=changed,
            next_at=clock() + source.every_seconds)
        return PassResult(source, tuple(outcomes))
    finally:
        await asyncio.to_thread(store.sources.release, source.id, owner)


async def _listing_pages(found: Detected, fetch: Fetch) -> list[str]:
    """The pages a listing names; a sitemap index's sitemaps are read one level down."""
    if found.kind != "sitemapindex":
        return found.pages
    pages: list[str] = []
    for sitemap in found.pages[:100]:
        try:
            response = await fetch(sitemap, "", "")
            child = detect(response.body, response.content_type, response.url)
        except (FetchError, SourceError) as exc:
            log.warning("sitemap %s skipped: %s", sitemap, exc)
            continue
        if child.kind == "sitemap":  # one level down only
            pages += child.pages
    return list(dict.fromkeys(pages))


async def _page(maker: CardMaker, source: Source, url: str, fetch: Fetch,
                fetched: tuple[Response, Detected] | None = None) -> PageOutcome:
    """Fetch (conditionally), parse, import and publish one page; never raises."""
    store = maker.store
    known = await asyncio.to_thread(store.sources.page, source.id, url)
    try:
        if fetched is None:
            response = await fetch(url, known.etag, known.last_modified)
            if response.status == 304:
                return PageOutcome(url, "unchanged", "not modified (304)")
            found = detect(response.body, response.content_type, response.url)
        else:
            response, found = fetched
        digest = hashlib.sha256(response.body).hexdigest()
        if digest == known.content_hash:
            await asyncio.to_thread(store.sources.page_seen, source.id, url, PageState(
                response.etag, response.last_modified, digest))
            return PageOutcome(url, "unchanged")
        bundle = _bundle(response, found)
        # merged as a file of its kind would be: a page keeps the catalog's wording
        name = Path("page.json" if found.kind == "bundle" else "page.txt")
        merged = await asyncio.to_thread(merge_bundles, store, [(name, bundle)])
        result = await asyncio.to_thread(publish_bundle, maker, merged)
    except FetchError as exc:
        return PageOutcome(url, "refused", exc.reason)
    except (SourceError, PageFormatError, ImportFileError, OSError) as exc:
        return PageOutcome(url, "refused", str(exc))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        return PageOutcome(url, "refused", f"{where}: {first['msg']}")
    await asyncio.to_thread(store.sources.page_seen, source.id, url, PageState(
        response.etag, response.last_modified, digest))
    imported = result.imported
    if imported is None:
        return PageOutcome(url, "unchanged")
    if imported.added or imported.new_comparisons:
        return PageOutcome(url, "new", _queued(result.queued))
    if imported.changed:
        return PageOutcome(url, "changed", _queued(result.queued))
    return PageOutcome(url, "unchanged")


def _queued(count: int) -> str:
    return f"{count} deliver{'y' if count == 1 else 'ies'} queued"


def _bundle(response: Response, found: Detected) -> Bundle:
    """The import bundle a page holds, with its canonical URL on its comparisons."""
    if found.kind == "bundle":
        return Bundle.model_validate_json(response.body)
    if found.kind == "html":
        text, canonical = as_page_text(response.body)
    else:
        text, canonical = response.body.decode("utf-8-sig", errors="replace"), ""
    bundle = parse_page(text)
    url = canonical if canonical.startswith(("http://", "https://")) else response.url
    for comparison in bundle.comparisons:
        comparison.url = url[:2000]
    return bundle
