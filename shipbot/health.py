"""GET /healthz for a replica that serves no Slack HTTP endpoint (Discord only, or Slack over
Socket Mode): the same answer the Slack endpoint gives, so one container health check fits
every mode. aiohttp, as for Slack; nothing else is served."""

from __future__ import annotations

import asyncio

from aiohttp import web


def health_app(background: list[asyncio.Task[object]]) -> web.Application:
    """200 while every background task (dispatchers, the follower) runs; 503 naming those
    that stopped."""
    async def health(request: web.Request) -> web.StreamResponse:
        dead = [t.get_name() for t in background if t.done()]
        if dead:
            return web.Response(status=503, text=f"stopped: {', '.join(dead)}")
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/healthz", health)
    return app


async def serve_health(background: list[asyncio.Task[object]], host: str,
                       port: int) -> tuple[web.AppRunner, int]:
    """Serve /healthz on host:port; returns the runner (cleanup() stops it) and the port."""
    runner = web.AppRunner(health_app(background), access_log=None, handle_signals=False,
                           keepalive_timeout=5)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
    return runner, int(sockets[0].getsockname()[1]) if sockets else port
