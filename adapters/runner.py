"""`shipbot run`: every adapter whose credentials are set, plus their delivery dispatchers."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

from bot.commands import ShipBot
from bot.config import Settings
from bot.dispatch import Dispatcher, start_dispatcher

log = logging.getLogger(__name__)


class NothingToRun(Exception):
    """No platform has credentials."""


def run(bot: ShipBot, settings: Settings, host: str, port: int, rate: float) -> None:
    """Start Slack (Socket Mode or HTTP) and Discord as configured; block until SIGINT/SIGTERM."""
    slack_on = bool(settings.slack_bot_token or settings.slack_client_id)
    discord_on = bool(settings.discord_token)
    if not slack_on and not discord_on:
        raise NothingToRun(
            "No platform credentials are set: set SLACK_BOT_TOKEN (and SLACK_SIGNING_SECRET or "
            "SLACK_APP_TOKEN) or DISCORD_TOKEN. To try the bot without them: shipbot console.")
    if slack_on and not settings.slack_app_token and not settings.slack_signing_secret:
        raise NothingToRun(
            "Slack HTTP mode needs SLACK_SIGNING_SECRET (Basic Information -> Signing Secret) to "
            "verify requests; or set SLACK_APP_TOKEN to use Socket Mode instead.")
    stop = threading.Event()
    closers: list[Callable[[], None]] = []
    if slack_on:
        closers.append(_start_slack(bot, settings, host, port, rate, stop))
    if discord_on:
        _run_discord(bot, settings, rate, stop, closers)
    else:
        _wait_for_signal(stop)
    for close in closers:
        try:
            close()
        except Exception:
            log.exception("error while shutting down")


def _start_slack(bot: ShipBot, settings: Settings, host: str, port: int, rate: float,
                 stop: threading.Event) -> Callable[[], None]:
    from adapters.slack.app import SlackAdapter
    from adapters.slack.poster import SlackPoster
    from adapters.slack.server import serve_http_in_thread, socket_mode

    adapter = SlackAdapter(bot, settings, work="process" if settings.slack_workers else "threads",
                           workers=settings.slack_workers)
    if settings.slack_app_token:
        handler = socket_mode(adapter, settings.slack_app_token.get_secret_value())
        handler.connect()
        log.info("slack: socket mode connected")
        stop_listening: Callable[[], None] = handler.close
    else:
        server = serve_http_in_thread(adapter, host, port)
        log.info("slack: listening on http://%s:%d/slack/events", host, server.port)
        stop_listening = server.stop

    def close() -> None:
        stop_listening()
        adapter.close()

    start_dispatcher(Dispatcher(bot.store, SlackPoster(adapter), rate=rate), stop,
                     settings.dispatch_poll_seconds)
    return close


def _run_discord(bot: ShipBot, settings: Settings, rate: float, stop: threading.Event,
                 closers: list[Callable[[], None]]) -> None:
    """Run the Discord client on this thread's event loop until a signal arrives."""
    from adapters.discord.client import ShipbotDiscord
    from adapters.discord.poster import DiscordPoster

    client = ShipbotDiscord(bot, settings)
    token = settings.discord_token.get_secret_value()  # type: ignore[union-attr]

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(client.close()))
        start_dispatcher(Dispatcher(bot.store, DiscordPoster(client), rate=rate), stop,
                         settings.dispatch_poll_seconds)
        async with client:
            await client.start(token)

    try:
        asyncio.run(main())
    finally:
        stop.set()


def _wait_for_signal(stop: threading.Event) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    while not stop.wait(1.0):
        pass
