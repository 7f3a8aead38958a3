"""Running an aiohttp fake on a free 127.0.0.1 port from a background thread."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from aiohttp import web


class BackgroundServer:
    """An aiohttp app served on its own event loop and thread until stop()."""

    def __init__(self, app: web.Application, name: str,
                 on_stop: Callable[[], object] | None = None) -> None:
        self.app, self.name, self.on_stop = app, name, on_stop
        self.loop: asyncio.AbstractEventLoop | None = None
        self.port = 0

    def start(self, before: Callable[[asyncio.AbstractEventLoop], None] | None = None) -> None:
        """Start serving; `before` runs on the new loop first (to create loop-bound objects)."""
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self.loop = loop
            if before:
                before(loop)
            runner = web.AppRunner(self.app, access_log=None)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            loop.run_forever()
            if self.on_stop:
                loop.run_until_complete(self.on_stop())  # type: ignore[arg-type]
            loop.run_until_complete(runner.cleanup())
            loop.close()

        self.thread = threading.Thread(target=run, name=self.name, daemon=True)
        self.thread.start()
        assert ready.wait(10), f"{self.name} did not start"

    def stop(self) -> None:
        """Stop the loop and wait for the thread."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll until `check()` is true or the timeout passes; every test loop is bounded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()
