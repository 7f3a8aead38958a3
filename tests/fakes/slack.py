"""A fake Slack: Web API methods, response_url webhooks and a Socket Mode websocket, on 127.0.0.1.

Every call is recorded as (method, params) so tests assert on what the bot really sent.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from tests.fakes.server import BackgroundServer, wait_for

HANG_SECONDS = 20.0  # how long a hanging call takes (bounded: the fake stops by itself)


@dataclass
class Call:
    """One recorded request."""

    method: str
    params: dict[str, Any]
    token: str = ""


@dataclass
class FakeSlack:
    """The fake server and everything it recorded."""

    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    channel_errors: dict[str, str] = field(default_factory=dict)
    bot_users: set[str] = field(default_factory=set)
    admin_users: set[str] = field(default_factory=set)
    rate_limit_next: int = 0  # answer this many chat.postMessage calls with 429 first
    retry_after: int = 1
    post_delay: float = 0.0  # seconds each chat.postMessage takes (for kill-mid-dispatch tests)
    posts_started: int = 0  # chat.postMessage calls received, counted before any post_delay
    sockets_opened: int = 0  # Socket Mode websockets that got their hello
    # Posts and edits to these channels take HANG_SECONDS to answer (a platform call that
    # hangs); `hanging` counts those still waiting.
    hang_channels: set[str] = field(default_factory=set)
    hanging: int = 0
    port: int = 0
    _ts: int = 0
    # What each message shows: (channel, ts) -> reaction name -> users, in the order they reacted.
    shown: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)
    _loop: asyncio.AbstractEventLoop | None = None
    _envelopes: asyncio.Queue[dict[str, Any]] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:PORT."""
        return f"http://127.0.0.1:{self.port}"

    def of(self, method: str) -> list[dict[str, Any]]:
        """The params of every recorded call to one method."""
        with self._lock:
            return [c.params for c in self.calls if c.method == method]

    def wait_for(self, check: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Poll until `check()` is true or the timeout passes (bounded)."""
        return wait_for(check, timeout)

    def show(self, channel: str, ts: str, name: str, user: str, added: bool = True) -> None:
        """Change what a message shows (a reaction added or taken off), as Slack would."""
        with self._lock:
            users = self.shown.setdefault((channel, ts), {}).setdefault(name, [])
            if added and user not in users:
                users.append(user)
            elif not added and user in users:
                users.remove(user)

    def send_envelope(self, envelope: dict[str, Any]) -> None:
        """Push a Socket Mode envelope to the connected client."""
        assert self._loop is not None and self._envelopes is not None
        self._loop.call_soon_threadsafe(self._envelopes.put_nowait, envelope)

    # ---- server --------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        body = await request.read()
        if body:
            if request.content_type == "application/json":
                params.update(json.loads(body))
            else:
                params.update(parse_qsl(body.decode()))
        if method == "chat.postMessage":
            with self._lock:
                self.posts_started += 1
            if self.post_delay:
                await asyncio.sleep(self.post_delay)
        if method in ("chat.postMessage", "chat.update") and \
                str(params.get("channel", "")) in self.hang_channels:
            with self._lock:
                self.hanging += 1
            try:
                await asyncio.sleep(HANG_SECONDS)
            finally:
                with self._lock:
                    self.hanging -= 1
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self._lock:
            self.calls.append(Call(method, params, token))
        return self._answer(method, params)

    def _answer(self, method: str, params: dict[str, Any]) -> web.Response:
        if method == "auth.test":
            return _ok({"url": "https://fake.slack/", "team": "Fake", "user": "shipbot",
                        "team_id": "T1", "user_id": "UBOT", "bot_id": "BBOT"})
        if method == "oauth.v2.access":
            return _ok({"access_token": "xoxb-installed", "token_type": "bot",
                        "scope": "commands,chat:write", "bot_user_id": "UBOT2", "app_id": "A1",
                        "team": {"id": "T9", "name": "Other"}, "enterprise": None,
                        "authed_user": {"id": "U9"}, "is_enterprise_install": False})
        if method == "apps.connections.open":
            return _ok({"url": f"ws://127.0.0.1:{self.port}/ws"})
        if method == "reactions.get":
            with self._lock:
                found = self.shown.get((str(params.get("channel")), str(params.get("timestamp"))),
                                       {})
                reactions = [{"name": n, "users": list(u), "count": len(u)}
                             for n, u in found.items() if u]
            return _ok({"type": "message", "channel": params.get("channel"),
                        "message": {"ts": params.get("timestamp"), "reactions": reactions}})
        if method == "users.info":
            user = params.get("user", "")
            return _ok({"user": {"id": user, "is_bot": user in self.bot_users,
                                 "is_admin": user in self.admin_users}})
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            channel = str(params.get("channel", ""))
            if method == "chat.postMessage" and self.rate_limit_next > 0:
                self.rate_limit_next -= 1
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": str(self.retry_after)})
            if channel in self.channel_errors:
                return _ok({"ok": False, "error": self.channel_errors[channel]})
            if method == "chat.postMessage":
                with self._lock:
                    self._ts += 1
                    ts = f"{1700000000 + self._ts}.000100"
                # A user id as the channel posts to the app's DM with them, as Slack does.
                return _ok({"channel": "D" + channel[1:] if channel.startswith("U") else channel,
                            "ts": ts})
            return _ok({"channel": channel, "ts": params.get("ts", "")})
        return _ok({})

    async def _response_url(self, request: web.Request) -> web.Response:
        payload = await request.json()
        with self._lock:
            self.responses.append(payload)
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1})
        with self._lock:
            self.sockets_opened += 1
        assert self._envelopes is not None

        async def pump() -> None:
            while True:
                envelope = await self._envelopes.get()  # type: ignore[union-attr]
                await ws.send_json(envelope)

        sender = asyncio.ensure_future(pump())
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    with self._lock:
                        self.socket_acks.append(json.loads(message.data))
        finally:
            sender.cancel()
        return ws

    def start(self) -> FakeSlack:
        """Serve on a free 127.0.0.1 port from a background thread."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{id}", self._response_url)
        app.router.add_get("/ws", self._socket)
        self._server = BackgroundServer(app, "fake-slack")

        def bind(loop: asyncio.AbstractEventLoop) -> None:
            self._loop = loop
            self._envelopes = asyncio.Queue()

        self._server.start(before=bind)
        self.port = self._server.port
        return self

    def stop(self) -> None:
        """Stop the server thread."""
        self._server.stop()


def _ok(data: dict[str, Any]) -> web.Response:
    body = {"ok": True, **data}
    return web.json_response(body)


def signed_headers(secret: str, body: str, content_type: str,
                   timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack sends: X-Slack-Signature = v0=HMAC_SHA256(secret, 'v0:ts:body')."""
    import hashlib
    import hmac

    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": content_type}


def post(url: str, body: str, headers: dict[str, str], timeout: float = 30) -> tuple[int, str]:
    """POST with urllib; returns (status, body) without raising on 4xx/5xx."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
