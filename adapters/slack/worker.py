"""A Slack worker process: runs the work after ack() that the serving process hands it."""

from __future__ import annotations

import logging
import signal
from multiprocessing.connection import Connection

from adapters.slack.lanes import Job
from bot.bootstrap import open_bot
from bot.config import Settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s"


def work_forever(settings: Settings, log_level: int, ready: Connection,
                 jobs: Connection) -> None:
    """Run each job (a lazy function by name, with its arguments) until None or EOF."""
    # Ctrl-C (and a service manager's SIGTERM) reach the whole process group; the parent
    # decides when we stop: it sends None once the server has stopped taking requests, so
    # what is queued here is finished first. If the parent dies, recv() ends with EOF.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=log_level, format=LOG_FORMAT)
    from adapters.slack.app import SlackAdapter  # after logging is set up, as in the parent

    adapter = SlackAdapter(open_bot(settings.shipbot_db, settings), settings, work="threads")
    lanes = adapter.lanes
    try:
        try:
            ready.send(True)  # the serving process sends jobs from now on
            ready.close()
        except OSError:  # the serving process is gone, or stopped waiting for us
            return
        while True:
            try:
                batch: list[Job | None] = jobs.recv()
            except EOFError:  # the serving process is gone: nothing more will come
                break
            jobs_now = [job for job in batch if job is not None]
            lanes.submit_all(jobs_now, wait=True)  # type: ignore[union-attr]
            if len(jobs_now) < len(batch):  # None: the parent is stopping us
                return
    finally:
        adapter.close()
