"""Coalescing card refreshes: a burst of votes on one card becomes a handful of edits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

log = logging.getLogger(__name__)


class Coalescer:
    """Runs `flush(key)` at most once per `delay` seconds per key, after the latest `touch`,
    as a task on the running event loop (`loop.call_later`, no timer threads).

    The first touch of a quiet key schedules a flush `delay` seconds later; touches before it
    runs are absorbed. The flush reads the store when it runs, so it always shows every vote
    recorded so far. A touch during a flush schedules one more. A flush that takes longer than
    `timeout` (a platform that never answers) is cancelled and logged, so flushes cannot pile up.
    """

    def __init__(self, delay: float, flush: Callable[[Hashable], Awaitable[Any]],
                 timeout: float = 30.0) -> None:
        self.delay = delay
        self.timeout = timeout
        self._flush = flush
        self._pending: dict[Hashable, asyncio.TimerHandle] = {}
        self._running: set[asyncio.Task[None]] = set()

    def touch(self, key: Hashable) -> None:
        """Note that `key` changed; a flush will follow (call on the event loop)."""
        if key in self._pending:
            return
        loop = asyncio.get_running_loop()
        self._pending[key] = loop.call_later(self.delay, self._start, key)

    def _start(self, key: Hashable) -> None:
        self._pending.pop(key, None)
        task = asyncio.get_running_loop().create_task(self._run(key), name=f"refresh {key!r}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, key: Hashable) -> None:
        try:
            await asyncio.wait_for(self._flush(key), self.timeout)
        except Exception:  # a failed or stuck edit must not stop later ones
            log.exception("card refresh failed for %r", key)

    def cancel_all(self) -> None:
        """Drop every pending and running flush (the platform connection is closing)."""
        for handle in self._pending.values():
            handle.cancel()
        self._pending.clear()
        for task in list(self._running):
            task.cancel()
