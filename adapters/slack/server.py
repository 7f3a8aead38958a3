"""Serving the Slack app: aiohttp on --host/--port (POST /slack/events), or Socket Mode.

A request's signature is checked before anything reads its body as JSON or a form: unsigned,
stale or forged requests of any shape get 401 and one short log line, never a traceback.
aiohttp refuses bodies over 1 MB (Slack's are a few KB); connections are bounded and idle,
half-sent or slow ones closed (adapters.slack.connections). GET /healthz answers 200 for a
load balancer's health check, 503 once a background task of the replica (a dispatcher, the
follower) has stopped.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.signature import SignatureVerifier

from adapters.health import health
from adapters.slack.app import SlackAdapter
from adapters.slack.connections import ConnectionGuard

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
MAX_BODY = 1 << 20
MAX_CONNECTIONS = 1000  # open at once (adapters.slack.connections)
IDLE_SECONDS = 20.0  # a connection that receives nothing this long is closed

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _finite(text: str) -> float:
    """A JSON number that is a real number (`1e999` would be infinity)."""
    number = float(text)
    if number in (float("inf"), float("-inf")) or number != number:
        raise ValueError(f"number out of range: {text[:20]}")
    return number


def _json_object(text: str | bytes, what: str) -> dict[str, object]:
    try:
        data = json.loads(text, parse_float=_finite, parse_constant=_finite)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{what} is not valid JSON ({str(exc)[:60]})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{what} is not a JSON object")
    return data


def malformed(body: bytes, content_type: str) -> str:
    """Why a signed body is not a Slack command, event or interaction; '' if it may be one."""
    try:
        if content_type == "application/json":
            data = _json_object(body, "the body")
            if "event" in data and not isinstance(data["event"], dict):
                return "event is not an object"
            return ""
        form = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        if "payload" in form:
            payload = _json_object(form["payload"][0], "payload")
            actions = payload.get("actions")
            if payload.get("type") == "block_actions" and not (
                    isinstance(actions, list) and actions
                    and all(isinstance(a, dict) for a in actions)):
                return "block_actions without actions"
            for action in actions if isinstance(actions, list) else []:
                if isinstance(action, dict) and isinstance(action.get("value"), str) \
                        and action["value"][:1] in "{[":
                    _json_object(action["value"], "a button value")
    except ValueError as exc:
        return str(exc)
    return ""


def web_app(adapter: SlackAdapter) -> web.Application:
    """The aiohttp application: events, OAuth install and redirect (when configured), health."""
    secret = adapter.settings.slack_signing_secret
    verifier = SignatureVerifier(secret.get_secret_value()) if secret else None

    @web.middleware
    async def signed_only(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "POST" and verifier is not None:
            body = await request.read()
            stamp = request.headers.get("X-Slack-Request-Timestamp", "")
            signature = request.headers.get("X-Slack-Signature", "")
            # A missing, non-numeric or absurdly long timestamp is a forgery too (the verifier
            # raises on them: 309 digits overflow a float).
            if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12
                    and verifier.is_valid(body, stamp, signature)):
                log.warning("slack: refused an unsigned or badly signed request from %s",
                            request.remote)
                return web.Response(status=401, text="invalid signature")
            problem = malformed(body, request.content_type) if request.path == EVENTS_PATH \
                else ""
            if problem:  # signed, but not something Slack sends: 400, one line, no traceback
                log.warning("slack: refused a malformed request from %s: %s", request.remote,
                            problem)
                return web.Response(status=400, text=f"malformed request: {problem}")
        return await handler(request)

    async def events(request: web.Request) -> web.StreamResponse:
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await adapter.app.async_dispatch(bolt_request))

    async def oauth(request: web.Request) -> web.StreamResponse:
        flow = adapter.app.oauth_flow
        if flow is None:
            return web.Response(status=404)
        bolt_request = await to_bolt_request(request)
        if request.path == flow.install_path:
            return await to_aiohttp_response(await flow.handle_installation(bolt_request))
        try:
            return await to_aiohttp_response(await flow.handle_callback(bolt_request))
        except (OSError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            # Slack's API could not be reached to exchange the code: nothing was installed.
            # The state goes back (bolt spent it first), so reloading this page tries again
            # while Slack's code is still valid (ten minutes).
            log.warning("slack: OAuth callback could not reach Slack (%s)",
                        exc.__class__.__name__)
            state = request.query.get("state", "")
            await adapter.run(adapter.bot.store.installations.restore_state, state, 600)
            return web.Response(status=502, content_type="text/html", text=(
                "<html><body><h1>Slack could not be reached</h1><p>shipbot could not finish "
                "installing: Slack's API did not answer. Nothing was installed. Reload this "
                "page in a moment to try again, or <a href=\"" + flow.install_path +
                "\">start the installation again</a>.</p></body></html>"))

    async def healthz(request: web.Request) -> web.StreamResponse:
        return health(adapter.background)

    app = web.Application(middlewares=[signed_only], client_max_size=MAX_BODY)
    app.router.add_post(EVENTS_PATH, events)
    app.router.add_get("/slack/install", oauth)
    app.router.add_get("/slack/oauth_redirect", oauth)
    app.router.add_get("/healthz", healthz)
    return app


class HttpServing:
    """The endpoint while it runs: aiohttp's runner behind a bounded listener."""

    def __init__(self, runner: web.AppRunner, server: asyncio.Server,
                 guard: ConnectionGuard) -> None:
        self.runner, self.server, self.guard = runner, server, guard

    async def cleanup(self) -> None:
        """Stop listening, close connections, finish aiohttp's shutdown."""
        self.server.close()
        self.guard.close()
        for conn in list(self.guard.open):
            conn.close()
        await self.runner.cleanup()


async def serve_http(adapter: SlackAdapter, host: str, port: int, *,
                     max_connections: int = MAX_CONNECTIONS,
                     idle: float = IDLE_SECONDS) -> tuple[HttpServing, int]:
    """Start serving on the running loop; returns what stops it (cleanup()) and the port."""
    await adapter.start()
    runner = web.AppRunner(web_app(adapter), access_log=None, handle_signals=False,
                           keepalive_timeout=idle)
    await runner.setup()
    guard = ConnectionGuard(runner.server, _connection_limit(max_connections), idle)  # type: ignore[arg-type]
    server = await asyncio.get_running_loop().create_server(guard, host, port,
                                                            reuse_address=True)
    return HttpServing(runner, server, guard), int(server.sockets[0].getsockname()[1])


def _connection_limit(wanted: int) -> int:
    """At most `wanted`, and well under the process's open-file limit, so accepting never
    fails with "Too many open files" (the store, the platforms and logs need descriptors)."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return wanted
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(16, min(wanted, soft - 200, int(soft * 0.8)))


async def serve_socket_mode(adapter: SlackAdapter, app_token: str) -> AsyncSocketModeHandler:
    """Connect over Socket Mode (no public URL needed); close_async() ends it."""
    await adapter.start()
    # Ask once ourselves: a refused token or an unreachable Slack at start is a sentence and an
    # exit, where the client would retry forever, logging a traceback each time.
    await adapter.client(None).apps_connections_open(app_token=app_token)
    handler = AsyncSocketModeHandler(adapter.app, app_token=app_token,
                                     web_client=adapter.app.client)
    await handler.connect_async()
    return handler
