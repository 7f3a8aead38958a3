"""The delivery dispatcher: claims queued deliveries for one platform, posts them, records them.

Guarantees and their limits (also in the README):
- Any number of dispatchers (one per platform in each replica) share the outbox: a delivery is
  claimed with a lease before posting (bot.storage.outbox), marked sent with the platform message id
  right after the platform accepts it. If the process dies in between, the lease expires and
  the delivery is posted again: that window (the posts in flight: one, plus any that were slow
  to answer) is the only duplicate risk.
- The dispatcher is a task on the replica's event loop; a post that hangs holds up no other
  (see Dispatcher).
- Deliveries are channel posts (a subscription's card or digest, a decision's reminder) or
  direct messages (a watcher's alert). A channel post carries that channel's decision on its
  tools, added at posting time.
- Temporary failures retry with exponential backoff and jitter, or after the platform's
  Retry-After. Permanent failures (channel gone, bot removed, no access) retry a few times, in
  case of a transient misconfiguration, then fail the delivery and disable the subscription with
  the reason recorded. A direct message that cannot be sent (the person closed their DMs)
  is failed with the reason; the watch stays.
- Before each pass the dispatcher queues what has fallen due with time (`due`: weekly digests
  and decision reminders, bot.schedule), so no separate scheduler runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from typing import Literal, Protocol

from bot.cards import Card
from bot.storage.outbox import Claimed
from bot.store import Store
from bot.team import with_channel_decision

log = logging.getLogger(__name__)

LEASE_SECONDS = 30.0  # a replica killed mid-post frees its claims this long after
MAX_TEMPORARY_ATTEMPTS = 8
MAX_PERMANENT_ATTEMPTS = 3
BASE_DELAY = 2.0
MAX_DELAY = 300.0
POST_TIMEOUT = 12.0  # a post that hangs longer is retried later (well inside its lease)
SLOW_POST = 0.5  # a post still running after this long no longer holds up the next one


class DeliveryError(Exception):
    """A post that failed; `kind` says whether trying again can help."""

    def __init__(self, kind: Literal["temporary", "permanent"], reason: str,
                 retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.retry_after = retry_after


class Poster(Protocol):
    """What an adapter supplies to deliver: post a card, return the message id. Part of each
    platform's card protocol (bot.pipeline.CardPlatform)."""

    platform: str

    async def post(self, card: Card, workspace: str, channel: str) -> str:
        """Post; raise DeliveryError on failure."""
        ...

    async def post_dm(self, card: Card, workspace: str, user: str) -> str:
        """Send a direct message to a person; raise DeliveryError on failure."""
        ...


def backoff(attempts: int, base: float = BASE_DELAY,
            rng: Callable[[], float] = random.random, cap: float = MAX_DELAY) -> float:
    """Seconds before retry number `attempts`: exponential, capped, jittered in its top half
    (deliveries here; a followed source's failures in bot.sources.sync)."""
    delay = min(cap, base * 2 ** max(min(attempts, 60) - 1, 0))
    return delay / 2 + rng() * delay / 2


class Dispatcher:
    """Posts one platform's pending deliveries, at most `rate` posts per second, as a task on
    the replica's event loop. Each post is a task of its own: the next starts when it is done
    or after SLOW_POST seconds, whichever is first (at most `concurrency` at once), so one
    channel whose post hangs delays no other by more than that; a hanging post is given up
    after POST_TIMEOUT, well inside its lease, and retried like any temporary failure. Store
    work runs on the loop's default executor (the replica's one bounded store pool)."""

    def __init__(self, store: Store, poster: Poster, rate: float = 5.0, batch: int = 50,
                 base_delay: float = BASE_DELAY, clock: Callable[[], float] = time.time,
                 due: Callable[[], int] | None = None, concurrency: int = 8,
                 post_timeout: float = POST_TIMEOUT) -> None:
        self.store = store
        self.due = due
        self.poster = poster
        self.platform = poster.platform
        self.interval = 1.0 / rate if rate > 0 else 0.0
        # No more than half a lease's worth of posts at the configured rate in one claim.
        self.batch = max(1, min(batch, int(rate * LEASE_SECONDS / 2))) if rate > 0 else batch
        self.base_delay = base_delay
        self.clock = clock
        self.post_timeout = min(post_timeout, LEASE_SECONDS / 2)
        self._slots = asyncio.Semaphore(concurrency)
        self._posting: set[asyncio.Task[None]] = set()
        self._last_post = 0.0

    def claim(self) -> list[Claimed]:
        """Take the lease on a batch of due deliveries (other dispatchers get other rows)."""
        return self.store.outbox.claim(self.platform, self.clock(), LEASE_SECONDS, self.batch)

    async def run_once(self) -> int:
        """Queue what has fallen due, then claim one batch and start posting it; returns how
        many were claimed. Posts still running when it returns go on as tasks."""
        if self.due is not None:
            try:
                await asyncio.to_thread(self.due)
            except Exception:  # a failed digest or reminder pass must not stop deliveries
                log.exception("queueing due digests and reminders failed")
        claimed = await asyncio.to_thread(self.claim)
        for item in claimed:
            await self._slots.acquire()
            await self._pace()
            task = asyncio.create_task(self._deliver_in_slot(item), name=f"deliver {item.id}")
            self._posting.add(task)
            task.add_done_callback(self._posting.discard)
            # One post at a time while posts are quick (a replica killed mid-pass then
            # repeats at most one); one that is slow keeps its slot and the next one starts.
            await asyncio.wait({task}, timeout=SLOW_POST)
        return len(claimed)

    async def _deliver_in_slot(self, item: Claimed) -> None:
        try:
            await self.deliver(item)
        except Exception:  # e.g. the store is unreachable for a moment: the lease expires
            log.exception("delivery %s could not be recorded", item.id)
        finally:
            self._slots.release()

    async def _pace(self) -> None:
        wait = self._last_post + self.interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_post = time.monotonic()

    async def deliver(self, item: Claimed) -> None:
        """Post one claimed delivery and record the outcome."""
        card = await asyncio.to_thread(self._card_to_send, item)
        if card is None:
            return  # its subscription was removed or disabled while this batch waited
        try:
            send = self.poster.post_dm if item.target == "dm" else self.poster.post
            message_id = await asyncio.wait_for(send(card, item.workspace, item.channel),
                                                self.post_timeout)
        except DeliveryError as exc:
            await asyncio.to_thread(self._failed, item, exc)
            return
        except TimeoutError:
            await asyncio.to_thread(self._failed, item, DeliveryError(
                "temporary", f"no answer from {self.platform} in {self.post_timeout:.0f} s"))
            return
        except Exception as exc:  # an adapter bug must not stop the queue
            log.exception("delivery %s failed unexpectedly", item.id)
            await asyncio.to_thread(self._failed, item,
                                    DeliveryError("temporary", f"unexpected error: {exc}"))
            return
        await asyncio.to_thread(self._sent, item, message_id)

    def _card_to_send(self, item: Claimed) -> Card | None:
        """The card to post, finished for its channel; None if it is no longer wanted."""
        if self.store.outbox.status(item.id) != "pending":
            return None
        card = Card.model_validate_json(item.card_json)
        if item.target == "dm":
            return card
        return with_channel_decision(self.store, card, self.platform, item.workspace,
                                     item.channel)

    def _sent(self, item: Claimed, message_id: str) -> None:
        with self.store.transaction():
            self.store.outbox.sent(item.id, message_id)
            if item.subscription_id is not None:
                self.store.subscriptions.delivered(item.subscription_id)

    def _failed(self, item: Claimed, error: DeliveryError) -> None:
        attempts = item.attempts + 1
        limit = MAX_PERMANENT_ATTEMPTS if error.kind == "permanent" else MAX_TEMPORARY_ATTEMPTS
        log.warning("delivery %s to %s failed (%s, attempt %d/%d): %s", item.id, item.channel,
                    error.kind, attempts, limit, error.reason)
        outbox = self.store.outbox
        with self.store.transaction():
            if attempts < limit:
                delay = (error.retry_after if error.retry_after is not None
                         else backoff(attempts, self.base_delay))
                outbox.retry(item.id, attempts, error.reason, self.clock() + delay)
                return
            outbox.fail(item.id, attempts, error.reason)
            if error.kind == "permanent" and item.subscription_id is not None:  # a dead channel: stop it and its other deliveries
                self.store.subscriptions.disable(item.subscription_id, error.reason)
                outbox.fail_pending(item.subscription_id, f"subscription disabled: {error.reason}")

    async def run_forever(self, stop: asyncio.Event, poll: float = 2.0) -> None:
        """Loop until `stop` is set: drain due deliveries, then wait `poll` seconds. Posts in
        flight when it stops are cancelled; their leases expire and another pass sends them."""
        try:
            while not stop.is_set():
                try:
                    busy = await self.run_once()
                except Exception:  # e.g. the database is locked for a moment
                    log.exception("dispatcher pass failed")
                    busy = 0
                if not busy:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), poll)
        finally:
            for task in list(self._posting):
                task.cancel()

    async def idle(self) -> None:
        """Wait until every post started so far has finished (tests)."""
        while self._posting:
            await asyncio.wait(set(self._posting))


def start_dispatcher(dispatcher: Dispatcher, stop: asyncio.Event,
                     poll: float = 2.0) -> asyncio.Task[None]:
    """Run a dispatcher as a task on the running loop until `stop` is set."""
    return asyncio.get_running_loop().create_task(dispatcher.run_forever(stop, poll),
                                                  name=f"dispatch-{dispatcher.platform}")


def delivery_rows(store: Store, status: str | None = None, limit: int = 100) -> list[dict]:  # type: ignore[type-arg]
    """Deliveries for `shipbot deliveries`, newest first."""
    return store.outbox.rows(status, limit)
