"""Caches that last until a version counter in the store moves: the one pattern for data that
is expensive to build and rarely changes (the name index, tools, a channel's decisions, learned
aliases). The counters live in the `meta` table; Engine.bump moves one in the writer's
transaction, and every replica sees the new number on its next read."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


class Versioned(Generic[T]):
    """One value, built by `build()` and rebuilt when the version it was built at moves."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._version = -1
        self._value: T | None = None

    def get(self, version: int) -> T:
        """The value as of `version`."""
        with self._lock:
            if self._value is None or version != self._version:
                self._value, self._version = self._build(), version
            return self._value

    def forget(self) -> None:
        """Rebuild on the next read whatever the version (after a rolled-back write)."""
        with self._lock:
            self._value, self._version = None, -1


class VersionedDict(Generic[K, V]):
    """A dict emptied when the version moves, or when it holds more than `limit` entries."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._version = -1
        self._data: dict[K, V] = {}

    def at(self, version: int) -> dict[K, V]:
        """The entries cached as of `version` (empty after a move); callers fill it."""
        if version != self._version or len(self._data) > self._limit:
            self._data, self._version = {}, version
        return self._data

    def forget(self) -> None:
        """Drop everything."""
        self._data, self._version = {}, -1
