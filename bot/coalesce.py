"""Coalescing card refreshes: a burst of votes on one card becomes a handful of edits."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable

log = logging.getLogger(__name__)


class Coalescer:
    """Calls `flush(key)` at most once per `delay` seconds per key, after the latest `touch`.

    The first touch of a quiet key schedules a flush `delay` seconds later; touches before it
    runs are absorbed. The flush reads the store when it runs, so it always shows every vote
    recorded so far. A touch during a flush schedules one more.
    """

    def __init__(self, delay: float, flush: Callable[[Hashable], None]) -> None:
        self.delay = delay
        self._flush = flush
        self._pending: dict[Hashable, threading.Timer] = {}
        self._lock = threading.Lock()

    def touch(self, key: Hashable) -> None:
        """Note that `key` changed; a flush will follow."""
        with self._lock:
            if key in self._pending:
                return
            timer = threading.Timer(self.delay, self._run, args=(key,))
            timer.daemon = True
            self._pending[key] = timer
            timer.start()

    def _run(self, key: Hashable) -> None:
        with self._lock:
            self._pending.pop(key, None)
        try:
            self._flush(key)
        except Exception:  # a failed edit must not stop later ones
            log.exception("card refresh failed for %r", key)

    def cancel_all(self) -> None:
        """Drop every pending flush (the platform connection is closing)."""
        with self._lock:
            pending = list(self._pending.values())
            self._pending.clear()
        for timer in pending:
            timer.cancel()
