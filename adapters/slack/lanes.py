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
        # Request threads only append to an in-process queue (never blocked by a slow or dead
        # worker); one feeder thread writes the jobs to the workers' pipes, in batches, and
        # restarts a worker whose pipe is broken.
        self.count = max(1, count)
        self._jobs: queue.SimpleQueue[tuple[int, Job | None]] = queue.SimpleQueue()
        self._procs: list[BaseProcess] = []
        self._conns: list[Connection] = []
        self._started: list[float] = []
        for i in range(self.count):
            proc, conn = self._spawn(i)
            self._procs.append(proc)
            self._conns.append(conn)
            self._started.append(time.monotonic())
        self._next = itertools.cycle(range(self.count))
        self._restarts = [0] * self.count
        self._feeder = threading.Thread(target=self._feed, name="slack-feeder", daemon=True)
        self._feeder.start()

    def _spawn(self, i: int) -> tuple[BaseProcess, Connection]:
        reader, writer = self._mp.Pipe(duplex=False)
        proc = self._mp.Process(target=self._target, args=(*self._args, reader),
                                name=f"shipbot-slack-worker-{i}", daemon=True)
        proc.start()
        reader.close()  # only the worker reads: a dead worker then fails our next send
        return proc, writer

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        job = as_job(function, request)
        if job[0]:
            self._local.submit(job)
        else:
            self._jobs.put((next(self._next), job))

    def _feed(self) -> None:
        stopping = 0
        while stopping < self.count:
            batches: dict[int, list[Job | None]] = {}
            item: tuple[int, Job | None] | None = self._jobs.get()
            time.sleep(GATHER_SECONDS)  # under load, let a batch build: fewer wake-ups
            while item is not None:
                batches.setdefault(item[0], []).append(item[1])
                try:
                    item = self._jobs.get_nowait()
                except queue.Empty:
                    item = None
            for i, batch in batches.items():
                while True:
                    try:
                        self._conns[i].send(batch)
                        break
                    except OSError:  # the worker died; jobs already in its pipe are lost
                        self._restart(i)
                stopping += batch.count(None)

    def _restart(self, i: int) -> None:
        proc = self._procs[i]
        proc.join(5)
        lived = time.monotonic() - self._started[i]
        self._restarts[i] = 1 if lived > 60 else self._restarts[i] + 1
        # a worker that keeps dying (say, Slack unreachable at start-up) is retried ever more
        # slowly, up to once a minute, instead of in a tight loop
        delay = min(60.0, 0.5 * 2 ** min(self._restarts[i] - 1, 7))
        self.logger.error("slack worker %d exited (code %s); starting another in %.1f s", i,
                          proc.exitcode, delay)
        self._conns[i].close()
        time.sleep(delay)
        self._procs[i], self._conns[i] = self._spawn(i)
        self._started[i] = time.monotonic()

    def close(self, timeout: float = 30.0) -> None:
        """Let the workers finish what is queued, then stop them; finish the votes."""
        self._local.close(timeout)
        for i in range(self.count):
            self._jobs.put((i, None))
        self._feeder.join(timeout)
        for proc, conn in zip(self._procs, self._conns, strict=True):
            proc.join(timeout)
            if proc.is_alive():
                self.logger.warning("slack worker %s did not stop in %.0f s", proc.name, timeout)
                proc.terminate()
            conn.close()
