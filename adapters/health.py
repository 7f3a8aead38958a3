"""GET /healthz: what it answers (the Slack endpoint serves it too), and a listener for it
alone where no Slack HTTP endpoint runs (Discord only, or Slack over Socket Mode), so one
container health check fits every mode. aiohttp, as for Slack."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web


def health(background: list[asyncio.Task[Any]]) -> web.Response:
    """200 while every background task (dispatchers, the follower) runs; 503 naming those
    that stopped: a replica whose deliveries stopped is restarted by its orchestrator."""
    dead = [t.get_name() for t in background if t.done()]
    if dead:
        return web.Response(status=503, text=f"stopped: {', '.join(dead)}")
    return web.Response(text="ok")


def health_app(background: list[asyncio.Task[Any]]) -> web.Application:
    """An aiohttp app serving GET /healthz alone."""
    async def healthz(request: web.Request) -> web.StreamResponse:
        return health(background)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    return app


async def serve_health(background: list[asyncio.Task[Any]], host: str,
                       port: int) -> tuple[web.AppRunner, int]:
    """Serve /healthz on host:port; returns the runner (cleanup() stops it) and the port."""
    runner = web.AppRunner(health_app(background), access_log=None, handle_signals=False,
                           keepalive_timeout=5)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
    return runner, int(sockets[0].getsockname()[1]) if sockets else port
