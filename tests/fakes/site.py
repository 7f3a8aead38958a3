"""A fake verdict site on 127.0.0.1: pages, feeds and sitemaps the tests write, served with
ETags and Last-Modified (304 when they match), and the ways a server misbehaves: 429 with
Retry-After, 500, a hang, an endless body, a redirect loop."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from dataclasses import dataclass, field

from aiohttp import web

from tests.fakes.server import BackgroundServer

LAST_MODIFIED = "Tue, 01 Dec 2026 10:00:00 GMT"


@dataclass
class FakeSite:
    """Routes (path -> (content type, body)) and misbehaviours, plus what was asked of it."""

    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    status: dict[str, tuple[int, dict[str, str]]] = field(default_factory=dict)
    hang: set[str] = field(default_factory=set)
    endless: set[str] = field(default_factory=set)
    no_validators: set[str] = field(default_factory=set)  # served without ETag/Last-Modified
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        """The absolute URL of a path on the site."""
        return f"http://127.0.0.1:{self.port}{path}"

    def put(self, path: str, body: str | bytes, content_type: str = "text/html") -> None:
        """Serve `body` at `path` (replacing what was there: its ETag changes with it)."""
        data = body.encode() if isinstance(body, str) else body
        with self._lock:
            self.pages[path] = (content_type, data)

    def asked(self, path: str) -> list[dict[str, str]]:
        """The headers of every request for `path`."""
        with self._lock:
            return [h for p, h in self.requests if p == path]

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs
        with self._lock:
            self.requests.append((path, dict(request.headers)))
        if path in self.hang:
            await asyncio.sleep(3600)
        if path in self.endless:
            stream = web.StreamResponse(headers={"Content-Type": "text/html"})
            await stream.prepare(request)
            for _ in range(10_000):
                await stream.write(b"x" * 65536)
            return stream
        if path in self.status:
            code, headers = self.status[path]
            return web.Response(status=code, headers=headers, text=f"status {code}")
        with self._lock:
            found = self.pages.get(path)
        if found is None:
            return web.Response(status=404, text="not here")
        content_type, body = found
        if path in self.no_validators:
            return web.Response(body=body, headers={"Content-Type": content_type})
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, headers={"Content-Type": content_type, "ETag": etag,
                                                "Last-Modified": LAST_MODIFIED})

    def start(self) -> BackgroundServer:
        """Serve on a free port until the returned server is stopped."""
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._serve)
        server = BackgroundServer(app, "fake-site")
        server.start()
        self.port = server.port
        return server
