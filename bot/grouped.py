"""Group commit: writes that arrive together (within one turn of the event loop, or while the
previous group is being written) share one transaction on the store pool.

Each write runs in a savepoint of its own, so one that fails changed nothing and is given its
error while the rest commit; every caller's await returns only after the transaction holding
its write has committed (an adapter that acknowledges after it never acknowledges a write the
store does not hold). One hop to the store pool serves a whole group: under load that, not
the writes, was what a vote or a posted card's record cost (benchmarks/bench_slack.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from bot.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_GROUP = 200  # writes in one transaction at most


class GroupWriter:
    """Queues writes from the event loop and commits them together on the store pool."""

    def __init__(self, store: Store, name: str) -> None:
        self.store, self.name = store, name
        self._queue: list[tuple[Callable[[], Any], str, asyncio.Future[Any]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def write(self, op: Callable[[], T], what: str) -> T:
        """Run `op` (a store write) in the next group; its result once that group committed.
        Raises what `op` raised, or what failed the whole transaction."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((op, what, future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush(), name=f"{self.name}-writes")
        return await future

    async def _flush(self) -> None:
        """Write what is queued, a group per transaction, until the queue is empty."""
        await asyncio.sleep(0)  # let the writes of this loop iteration join the first group
        while self._queue:
            group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
            try:
                outcomes = await asyncio.to_thread(self._commit, [(op, what) for op, what, _
                                                                  in group])
            except Exception as exc:  # the transaction failed: none of the group is stored
                outcomes = [exc] * len(group)
            for (_, _, future), outcome in zip(group, outcomes, strict=True):
                if future.done():  # its caller gave up (cancelled)
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    def _commit(self, group: list[tuple[Callable[[], Any], str]]) -> list[Any]:
        """On the store pool: the group in one transaction, each write in a savepoint."""
        outcomes: list[Any] = []
        with self.store.transaction():
            for op, what in group:
                try:
                    with self.store.transaction():
                        outcomes.append(op())
                except Exception as exc:
                    log.exception("%s: %s not stored", self.name, what)
                    outcomes.append(exc)
        return outcomes
