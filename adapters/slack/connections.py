"""Bounds on the Slack endpoint's connections, which anyone can open (no signature is needed
to connect): at most `limit` at once, a new one evicting the connection idle longest, and any
connection that has received nothing for `idle` seconds (idle, half-sent or slow) closed. A
full table is logged once a minute at most, not once per connection.

aiohttp's server has keep-alive timeouts but no bound on connections and no timeout on a
request that never finishes arriving; this wraps its protocol factory with both."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
LOG_EVERY = 60.0


class _Guarded(asyncio.Protocol):
    """aiohttp's protocol for one connection, with the time it last received bytes."""

    def __init__(self, inner: Any, guard: ConnectionGuard) -> None:
        self.inner, self.guard = inner, guard
        self.transport: asyncio.Transport | None = None
        self.last = time.monotonic()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.guard.admit(self)
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.last = time.monotonic()
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()  # type: ignore[no-any-return]

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.forget(self)
        self.inner.connection_lost(exc)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class ConnectionGuard:
    """A protocol factory for loop.create_server around aiohttp's (`runner.server`)."""

    def __init__(self, factory: Callable[[], Any], limit: int = 1000,
                 idle: float = 20.0) -> None:
        self.factory, self.limit, self.idle = factory, limit, idle
        self.open: set[_Guarded] = set()
        self._logged = -LOG_EVERY
        self._sweeper: asyncio.Task[None] | None = None

    def __call__(self) -> _Guarded:
        return _Guarded(self.factory(), self)

    def admit(self, conn: _Guarded) -> None:
        """Count a new connection; past the limit, close the one idle longest."""
        if len(self.open) >= self.limit:
            now = time.monotonic()
            if now - self._logged >= LOG_EVERY:
                self._logged = now
                log.warning("slack endpoint: %d connections open, the limit; closing the ones "
                            "idle longest (logged once a minute)", len(self.open))
            min(self.open, key=lambda c: c.last).close()
        self.open.add(conn)
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    def forget(self, conn: _Guarded) -> None:
        self.open.discard(conn)

    async def _sweep(self) -> None:
        """While connections are open: close those that received nothing for `idle` s."""
        while self.open:
            await asyncio.sleep(min(self.idle / 2, 5.0))
            cutoff = time.monotonic() - self.idle
            for conn in [c for c in self.open if c.last < cutoff]:
                conn.close()

    def close(self) -> None:
        """Stop sweeping (the server is closing)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
