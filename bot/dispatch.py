"""The delivery dispatcher: claims queued deliveries for one platform, posts them, records them.

Guarantees and their limits (also in the README):
- Any number of dispatchers (one per platform in each replica) share the outbox: a delivery is
  claimed with a lease before posting (bot.storage.outbox), marked sent with the platform message id
  right after the platform accepts it. If the process dies in between, the lease expires and
  the delivery is posted again: that window (one post's round trip) is the only duplicate risk.
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

import logging
import random
import threading
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


class DeliveryError(Exception):
    """A post that failed; `kind` says whether trying again can help."""

    def __init__(self, kind: Literal["temporary", "permanent"], reason: str,
                 retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.retry_after = retry_after


class Poster(Protocol):
    """What an adapter supplies: post a card to a channel, return the message id."""

    platform: str

    def post(self, card: Card, workspace: str, channel: str) -> str:
        """Post; raise DeliveryError on failure."""
        ...

    def post_dm(self, card: Card, workspace: str, user: str) -> str:
        """Send a direct message to a person; raise DeliveryError on failure."""
        ...


def backoff(attempts: int, base: float = BASE_DELAY,
            rng: Callable[[], float] = random.random, cap: float = MAX_DELAY) -> float:
    """Seconds before retry number `attempts`: exponential, capped, jittered in its top half
    (deliveries here; a followed source's failures in bot.sources.sync)."""
    delay = min(cap, base * 2 ** max(min(attempts, 60) - 1, 0))
    return delay / 2 + rng() * delay / 2


class Dispatcher:
    """Posts one platform's pending deliveries, at most `rate` posts per second."""

    def __init__(self, store: Store, poster: Poster, rate: float = 5.0, batch: int = 50,
                 base_delay: float = BASE_DELAY, clock: Callable[[], float] = time.time,
                 due: Callable[[], int] | None = None) -> None:
        self.store = store
        self.due = due
        self.poster = poster
        self.platform = poster.platform
        self.interval = 1.0 / rate if rate > 0 else 0.0
        # No more than half a lease's worth of posts at the configured rate in one claim.
        self.batch = max(1, min(batch, int(rate * LEASE_SECONDS / 2))) if rate > 0 else batch
        self.base_delay = base_delay
        self.clock = clock
        self._last_post = 0.0

    def claim(self) -> list[Claimed]:
        """Take the lease on a batch of due deliveries (other dispatchers get other rows)."""
        return self.store.outbox.claim(self.platform, self.clock(), LEASE_SECONDS, self.batch)

    def run_once(self) -> int:
        """Queue what has fallen due, then claim and post one batch; returns how many were
        attempted."""
        if self.due is not None:
            try:
                self.due()
            except Exception:  # a failed digest or reminder pass must not stop deliveries
                log.exception("queueing due digests and reminders failed")
        claimed = self.claim()
        for item in claimed:
            self._pace()
            self.deliver(item)
        return len(claimed)

    def _pace(self) -> None:
        wait = self._last_post + self.interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_post = time.monotonic()

    def deliver(self, item: Claimed) -> None:
        """Post one claimed delivery and record the outcome."""
        if self.store.outbox.status(item.id) != "pending":
            return  # its subscription was removed or disabled while this batch waited
        card = Card.model_validate_json(item.card_json)
        try:
            if item.target == "dm":
                message_id = self.poster.post_dm(card, item.workspace, item.channel)
            else:
                message_id = self.poster.post(
                    with_channel_decision(self.store, card, self.platform, item.workspace,
                                          item.channel), item.workspace, item.channel)
        except DeliveryError as exc:
            self._failed(item, exc)
            return
        except Exception as exc:  # an adapter bug must not stop the queue
            log.exception("delivery %s failed unexpectedly", item.id)
            self._failed(item, DeliveryError("temporary", f"unexpected error: {exc}"))
            return
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

    def run_forever(self, stop: threading.Event, poll: float = 2.0) -> None:
        """Loop until `stop` is set: drain due deliveries, then wait `poll` seconds."""
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # e.g. the database is locked for a moment
                log.exception("dispatcher pass failed")
                busy = 0
            if not busy:
                stop.wait(poll)


def start_dispatcher(dispatcher: Dispatcher, stop: threading.Event,
                     poll: float = 2.0) -> threading.Thread:
    """Run a dispatcher on a daemon thread."""
    thread = threading.Thread(target=dispatcher.run_forever, args=(stop, poll),
                              name=f"dispatch-{dispatcher.platform}", daemon=True)
    thread.start()
    return thread


def delivery_rows(store: Store, status: str | None = None, limit: int = 100) -> list[dict]:  # type: ignore[type-arg]
    """Deliveries for `shipbot deliveries`, newest first."""
    return store.outbox.rows(status, limit)
