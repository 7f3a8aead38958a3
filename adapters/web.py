"""The polite HTTP client shipbot follows the verdict site with (aiohttp): conditional requests,
an honest User-Agent, gzip, a size cap, a time limit, at most five redirects, http and https
only, Retry-After honoured, and at most a few requests a second per host (aiolimiter)."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from urllib.parse import urlsplit

import aiohttp
from aiolimiter import AsyncLimiter

from bot.assembly import CardMaker
from bot.sources.sync import FetchError, Response, sync_source

log = logging.getLogger(__name__)

USER_AGENT = "shipbot/0.1.0 (+https://github.com/shipbot/shipbot; verdict follower)"
MAX_BYTES = 5 * 1024 * 1024
TIMEOUT = 30.0  # seconds for one whole request
MAX_REDIRECTS = 5
PER_HOST_RATE = 4.0  # requests a second to one host


class PoliteFetcher:
    """Fetches one URL at a time as the Fetch the sync pass takes; use as an async context."""

    def __init__(self, max_bytes: int = MAX_BYTES, timeout: float = TIMEOUT,
                 per_host: float = PER_HOST_RATE) -> None:
        self.max_bytes, self.timeout, self.per_host = max_bytes, timeout, per_host
        self.session: aiohttp.ClientSession | None = None
        self._limits: dict[str, AsyncLimiter] = {}
        self.requests = 0  # sent, for the benchmark and the tests

    async def __aenter__(self) -> PoliteFetcher:
        self.session = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT},
                                             auto_decompress=True)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.session is not None:
            await self.session.close()

    async def __call__(self, url: str, etag: str = "", last_modified: str = "") -> Response:
        """GET `url`, conditionally; 304 comes back as a Response without a body."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"only http and https URLs are followed, not {url[:80]!r}")
        assert self.session is not None, "use the fetcher as `async with PoliteFetcher()`"
        limit = self._limits.setdefault(parts.hostname, AsyncLimiter(self.per_host, 1))
        headers = {"Accept-Encoding": "gzip, deflate"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        async with limit:
            self.requests += 1
            try:
                return await asyncio.wait_for(self._get(url, headers), self.timeout)
            except asyncio.TimeoutError:
                raise FetchError(f"no whole answer within {self.timeout:g} s") from None
            except aiohttp.TooManyRedirects:
                raise FetchError(f"more than {MAX_REDIRECTS} redirects") from None
            except aiohttp.ClientError as exc:
                raise FetchError(f"{type(exc).__name__}: {exc}"[:300]) from None

    async def _get(self, url: str, headers: dict[str, str]) -> Response:
        assert self.session is not None
        async with self.session.get(url, headers=headers, max_redirects=MAX_REDIRECTS) as got:
            final = str(got.url)
            if got.status == 304:
                return Response(final, 304, etag=got.headers.get("ETag", ""),
                                last_modified=got.headers.get("Last-Modified", ""))
            if got.status in (429, 503):
                raise FetchError(f"HTTP {got.status}", retry_after(got.headers.get("Retry-After")))
            if got.status >= 400:
                raise FetchError(f"HTTP {got.status}")
            if got.content_length is not None and got.content_length > self.max_bytes:
                raise FetchError(f"over {self.max_bytes} bytes ({got.content_length}): refused")
            body = bytearray()
            async for chunk in got.content.iter_chunked(64 * 1024):
                body += chunk
                if len(body) > self.max_bytes:
                    raise FetchError(f"over {self.max_bytes} bytes: cut off and refused")
            return Response(final, got.status, bytes(body), got.headers.get("Content-Type", ""),
                            got.headers.get("ETag", ""), got.headers.get("Last-Modified", ""))


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks for (seconds, or an HTTP date), bounded to a day."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(min(int(value[:9]), 86400))
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when - (now or time.time()), 86400.0))


async def follow_sources(maker: CardMaker, stop: asyncio.Event, owner: str, *,
                         max_bytes: int = MAX_BYTES, pause_after: int = 10,
                         poll: float = 30.0) -> None:
    """`shipbot run`'s follower: every `poll` seconds, one pass over each due source (a source
    is due once added, then every its interval), each under its lease so one replica reads it
    at a time. Its own task on the loop: a slow site never delays an answer."""
    async with PoliteFetcher(max_bytes=max_bytes) as fetch:
        while not stop.is_set():
            try:
                for source in await asyncio.to_thread(maker.store.sources.due, time.time()):
                    if stop.is_set():
                        break
                    result = await sync_source(maker, source, fetch, owner, pause_after)
                    for page in result.pages:
                        if page.what != "unchanged":
                            log.info("source %s: %s", source.id, page)
                    if result.error:
                        log.warning("source %s (%s) failed: %s", source.id, source.url,
                                    result.error)
            except Exception:  # one bad pass must not end the follower
                log.exception("following sources failed; trying again in %g s", poll)
            try:
                await asyncio.wait_for(stop.wait(), poll)
            except asyncio.TimeoutError:
                pass
