"""Web API calls on one event loop: many posts in flight on kept-alive connections, few threads.

Slash-command answers are posted from here instead of from a thread each: a slow Slack then
costs open requests, not blocked threads, and connections (and their TLS handshakes) are reused.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future, wait
from typing import Any

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class SlackSender:
    """Runs AsyncWebClient calls on a private loop thread; callers get concurrent Futures."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._clients: dict[str, AsyncWebClient] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="slack-sender",
                                        daemon=True)
        self._thread.start()
        self._session: aiohttp.ClientSession | None = None
        self._pending: set[Future[dict[str, Any]]] = set()
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop the calls run on (answers run on it too: lanes.py)."""
        return self._loop

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def _client(self, token: str) -> AsyncWebClient:
        client = self._clients.get(token)
        if client is None:
            client = AsyncWebClient(token=token, base_url=self.base_url, session=self._http(),
                                    retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3),
                                                    AsyncConnectionErrorRetryHandler()])
            self._clients[token] = client
        return client

    def call(self, token: str, method: str, **kwargs: Any) -> Future[dict[str, Any]]:
        """Start `method` (e.g. chat_postMessage) with `kwargs`; the Future holds the response
        data, or raises SlackApiError."""
        async def run() -> dict[str, Any]:
            response = await getattr(self._client(token), method)(**kwargs)
            return dict(response.data)  # type: ignore[arg-type]

        return self._track(asyncio.run_coroutine_threadsafe(run(), self._loop))

    def reply(self, response_url: str, payload: dict[str, Any]) -> Future[dict[str, Any]]:
        """POST a message to a response_url (an ephemeral reply, or a change to the message
        that had the button); a failure is logged."""
        async def run() -> dict[str, Any]:
            try:
                async with self._http().post(response_url, json=payload) as response:
                    if response.status >= 300:
                        log.warning("response_url answered HTTP %d", response.status)
                    return {"status": response.status}
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                log.warning("response_url failed: %s", exc.__class__.__name__)
                return {"status": 0}

        return self._track(asyncio.run_coroutine_threadsafe(run(), self._loop))

    def in_flight(self) -> int:
        """Calls started and not finished."""
        return len(self._pending)

    def _track(self, future: Future[dict[str, Any]]) -> Future[dict[str, Any]]:
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[dict[str, Any]]) -> None:
        with self._lock:
            self._pending.discard(future)

    def close(self, timeout: float = 30.0) -> None:
        """Let calls in flight finish (up to `timeout`), close connections and stop the loop."""
        with self._lock:
            pending = list(self._pending)
        wait(pending, timeout)
        async def shut() -> None:
            if self._session is not None:
                await self._session.close()

        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
