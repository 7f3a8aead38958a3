"""Where the work after ack() runs: inline (tests), on threads, or in worker processes.

Every listener is a bolt "lazy listener": its ack function only calls ack(), so bolt answers
the HTTP request (or Socket Mode envelope) at once, and the work (resolve, decide, render,
post; or record a vote) goes to a lazy runner. The runners here put it in one of two lanes:
answers, which may run side by side, and votes, which run one at a time in arrival order so a
quick add-then-remove of a reaction is applied in that order.

`WorkerLanes` hands the answers to worker processes, much as bolt's AWS Lambda adapter hands
work to another Lambda: bolt here verifies, parses, authorizes and acks; the worker gets the
lazy function's name and its arguments and calls it (SlackAdapter.run_job). The serving
process then spends its CPU on taking requests, so answering never slows the acks. Votes stay
in the serving process, on its ordered lane: they are cheap, and a worker that dies cannot
take queued votes with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import multiprocessing
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from slack_bolt.lazy_listener import LazyListenerRunner
from slack_bolt.request import BoltRequest

log = logging.getLogger(__name__)
_ORDERED = "_shipbot_in_order"
GATHER_SECONDS = 0.002  # how long the feeder lets jobs gather before writing them to workers
MAX_IN_FLIGHT = 64  # answers a worker runs or posts at once; more wait in its pipe


def in_order(function: Callable[..., None]) -> Callable[..., None]:
    """Mark a lazy function whose calls must run one at a time, in arrival order (votes)."""
    setattr(function, _ORDERED, True)
    return function


def is_in_order(function: Callable[..., Any]) -> bool:
    """True for lazy functions marked with `in_order`."""
    return bool(getattr(function, _ORDERED, False))


class InlineLanes(LazyListenerRunner):
    """Run the work before the request returns (tests: deterministic; no background)."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        self.run(function, request)

    def close(self) -> None:
        """Nothing is queued."""


class ThreadLanes(LazyListenerRunner):
    """Answers on the event loop that posts them; votes on one thread, in order.

    An answer is CPU work (resolve, decide, render: well under a millisecond) and then a post
    that the loop awaits, so running it on the loop itself saves two thread hand-offs per
    answer (measured: about a quarter of a worker's CPU). Nothing on that path waits on the
    network: replies to response_url go out on the loop too (app.Reply)."""

    def __init__(self, logger: logging.Logger, run_job: Callable[..., None],
                 loop: asyncio.AbstractEventLoop, in_flight: Callable[[], int]) -> None:
        self.logger = logger
        self._run_job, self._loop, self._in_flight = run_job, loop, in_flight
        self.votes = ThreadPoolExecutor(1, thread_name_prefix="slack-votes")
        self._queued = 0  # answers handed to the loop that have not run yet
        self._lock = threading.Lock()

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        self.submit(as_job(function, request))

    def submit(self, job: Job) -> None:
        """Run one job: on the votes thread (in order) or on the loop."""
        self.submit_all([job])

    def submit_all(self, jobs: list[Job], wait: bool = False) -> None:
        """Run jobs in order on their lanes; answers start on the loop in chunks.

        With `wait` (a worker's reader thread), at most MAX_IN_FLIGHT answers are queued on
        the loop or posting at once; the rest wait in the pipe. Under overload a flood of
        tasks would otherwise make every answer dearer (measured: answers/s fell by a third).
        """
        answers = []
        for ordered, *call in jobs:
            if ordered:
                self.votes.submit(_logged, self._run_job, *call)
            else:
                answers.append(call)
        while answers:
            room = len(answers)
            if wait:
                while (room := MAX_IN_FLIGHT - self._queued - self._in_flight()) <= 0:
                    time.sleep(0.001)
            chunk, answers = answers[:room], answers[room:]
            with self._lock:
                self._queued += len(chunk)
            self._loop.call_soon_threadsafe(self._answer_all, chunk)

    def _answer_all(self, answers: list[list[Any]]) -> None:
        for call in answers:
            _logged(self._run_job, *call)
        with self._lock:
            self._queued -= len(answers)

    def close(self, timeout: float = 30.0) -> None:
        """Finish queued votes, and start every queued answer (the sender then waits for the
        posts to finish)."""
        self.votes.shutdown(wait=True)
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0), self._loop).result(timeout)


def _logged(work: Callable[..., Any], *args: Any) -> None:
    try:
        work(*args)
    except Exception:  # one bad request is logged and skipped; the lane goes on
        log.exception("slack work failed")


# What a worker process needs to run one lazy function: its lane, its name, and its
# arguments as bolt prepared them here (the verified, parsed payload; the workspace's bot
# token, found by bolt's authorize, from the installation store in OAuth mode; our bot user).
Job = tuple[bool, str, dict[str, Any], str | None, str | None]


def as_job(function: Callable[..., None], request: BoltRequest) -> Job:
    """The picklable form of one lazy call."""
    context = request.context
    token = context.bot_token or (context.client.token if context.client else None)
    return (is_in_order(function), str(request.lazy_function_name), request.body, token,
            context.bot_user_id)


class WorkerLanes(LazyListenerRunner):
    """Send answers to `count` worker processes (replacing one that dies); votes stay here."""

    def __init__(self, logger: logging.Logger, count: int, local: ThreadLanes,
                 target: Callable[..., None], args: tuple[Any, ...]) -> None:
        self.logger = logger
        # Votes are cheap (a row and a coalesced card update) and must not be lost or
        # reordered, so they run in this process, on its ordered votes lane.
        self._local = local
        # spawn, not fork: the serving process already runs threads (and sqlite connections)
        self._mp = multiprocessing.get_context("spawn")
        self._target, self._args = target, args
        self.count = max(1, count)
        self._closing = threading.Event()
        # A worker gets jobs only while it is up: started and ready (it sets its event once
        # its app is built). While one is down, its jobs go to the others.
        self._up = [threading.Event() for _ in range(self.count)]
        self._procs: list[BaseProcess | None] = [None] * self.count
        self._conns: list[Connection | None] = [None] * self.count
        self._restarts = [0] * self.count
        self._born = [time.monotonic()] * self.count
        self._lock = threading.Lock()
        for i in range(self.count):
            self._bring_up(i, delay=0.0)
        # Request threads only append to an in-process queue (never blocked by a slow or dead
        # worker); one feeder thread writes the jobs to the workers' pipes, in batches.
        self._jobs: queue.SimpleQueue[tuple[int, Job | None]] = queue.SimpleQueue()
        self._next = itertools.cycle(range(self.count))
        self._feeder = threading.Thread(target=self._feed, name="slack-feeder", daemon=True)
        self._feeder.start()

    def wait_ready(self, timeout: float) -> list[int]:
        """Wait (bounded) until every worker is up; returns their process ids."""
        deadline = time.monotonic() + timeout
        for up in self._up:
            up.wait(max(0.0, deadline - time.monotonic()))
        return [p.pid for p in self._procs if p is not None and p.pid is not None]

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        job = as_job(function, request)
        if job[0]:
            self._local.submit(job)
        else:
            self._jobs.put((next(self._next), job))

    def _feed(self) -> None:
        stopping = 0
        while stopping < self.count:
            batches: dict[int, list[Job]] = {}
            item: tuple[int, Job | None] | None = self._jobs.get()
            time.sleep(GATHER_SECONDS)  # under load, let a batch build: fewer wake-ups
            while item is not None:
                i, job = item
                if job is None:
                    stopping += 1
                else:
                    batches.setdefault(i, []).append(job)
                try:
                    item = self._jobs.get_nowait()
                except queue.Empty:
                    item = None
            for i, batch in batches.items():
                self._send(i, batch)
        for i in range(self.count):  # stop every worker that is up; none is restarted now
            conn = self._conns[i]
            if self._up[i].is_set() and conn is not None:
                with contextlib.suppress(OSError):
                    conn.send([None])

    def _send(self, i: int, batch: list[Job]) -> None:
        """Write a batch to worker i, or to another worker while i is down."""
        while True:
            target = i if self._up[i].is_set() else self._some_worker_up(i)
            if target < 0:
                self.logger.warning("no slack worker is up while stopping: %d answers dropped",
                                    len(batch))
                return
            conn = self._conns[target]
            try:
                assert conn is not None
                conn.send(batch)
                return
            except (OSError, AssertionError):  # it died; jobs already in its pipe are lost
                self._down(target)

    def _some_worker_up(self, preferred: int) -> int:
        """A worker that is up, preferring `preferred`; waits while all are starting (-1 if
        we are stopping meanwhile)."""
        while True:
            for k in range(self.count):
                j = (preferred + k) % self.count
                if self._up[j].is_set():
                    return j
            if self._closing.is_set():
                return -1
            self._up[preferred].wait(0.1)

    def _down(self, i: int) -> None:
        """Worker i's pipe broke: take it out of rotation and start another."""
        with self._lock:
            if not self._up[i].is_set():
                return
            self._up[i].clear()
        self._restart_later(i)

    def _restart_later(self, i: int) -> None:
        proc = self._procs[i]
        lived = time.monotonic() - self._born[i]
        self._restarts[i] = 1 if lived > 60 else self._restarts[i] + 1
        # a worker that keeps dying (say, Slack unreachable at start-up) is retried ever more
        # slowly, up to once a minute; the others take its jobs meanwhile
        delay = min(60.0, 0.5 * 2 ** min(self._restarts[i] - 1, 7))
        self.logger.error("slack worker %d exited (code %s); starting another in %.1f s", i,
                          proc.exitcode if proc else None, delay)
        self._bring_up(i, delay)

    def _bring_up(self, i: int, delay: float) -> None:
        """Start worker i on a thread of its own, after `delay`; it is up once it is ready."""
        def run() -> None:
            if self._closing.wait(delay):
                return
            old, conn = self._procs[i], self._conns[i]
            if old is not None:
                old.join(5)
            if conn is not None:
                conn.close()
            # readiness comes back on a pipe of its own, not a multiprocessing.Event: setting
            # one blocks forever if the process waiting on it has died
            ready_in, ready_out = self._mp.Pipe(duplex=False)
            reader, writer = self._mp.Pipe(duplex=False)
            proc = self._mp.Process(target=self._target, args=(*self._args, ready_out, reader),
                                    name=f"shipbot-slack-worker-{i}", daemon=True)
            proc.start()
            reader.close()  # only the worker reads: a dead worker then fails our next send
            ready_out.close()
            self._procs[i], self._conns[i], self._born[i] = proc, writer, time.monotonic()
            with ready_in:
                while not ready_in.poll(0.2):
                    if self._closing.is_set():
                        return
                try:
                    ready_in.recv()
                except EOFError:  # died while starting: try again, later
                    self._restart_later(i)
                    return
            self._up[i].set()

        threading.Thread(target=run, name=f"slack-worker-start-{i}", daemon=True).start()

    def close(self, timeout: float = 30.0) -> None:
        """Let the workers finish what is queued, then stop them; finish the votes."""
        self._local.close(timeout)
        self._closing.set()
        for i in range(self.count):
            self._jobs.put((i, None))
        self._feeder.join(timeout)
        for conn in self._conns:  # what is in a pipe is still read; then the worker sees EOF
            if conn is not None:
                conn.close()
        for proc in self._procs:
            if proc is None:
                continue
            proc.join(timeout)
            if proc.is_alive():
                self.logger.warning("slack worker %s did not stop in %.0f s", proc.name, timeout)
                proc.terminate()
