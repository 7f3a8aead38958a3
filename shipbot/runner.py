"""`shipbot run`: one replica. Every adapter whose credentials are set, on one event loop, plus
the delivery dispatchers.

A replica is an ordinary process with one asyncio loop: Slack over aiohttp (or Socket Mode),
the Discord gateway, each platform's delivery dispatcher, card refreshes, healing and the
verdict-site follower are all tasks on it. The one thing kept off the loop is store work
that can wait (every write; every read on PostgreSQL), because the store's engines are
synchronous: it runs on one bounded thread pool (the loop's default executor,
SHIPBOT_STORE_THREADS threads), named "store". More throughput comes from more replicas behind
a load balancer, all on one PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from adapters.settings import Settings
from bot.commands import ShipBot
from bot.dispatch import Dispatcher, start_dispatcher
from bot.schedule import queue_due

log = logging.getLogger(__name__)
SHUTDOWN_GRACE = 5.0  # seconds for answers in flight when a replica is told to stop


class NothingToRun(Exception):
    """No platform has credentials."""


class CannotStart(Exception):
    """A platform could not be started (port taken, token refused); the message says which."""


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
    asyncio.run(_serve(bot, settings, host, port, rate, slack_on, discord_on))


async def _serve(bot: ShipBot, settings: Settings, host: str, port: int, rate: float,
                 slack_on: bool, discord_on: bool) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    pool = ThreadPoolExecutor(max_workers=settings.store_threads, thread_name_prefix="store")
    loop.set_default_executor(pool)  # every asyncio.to_thread of the replica: one bound
    background: list[asyncio.Task[object]] = []  # tasks /healthz watches: none may end early
    closers: list[Callable[[], Awaitable[object]]] = []
    failure: list[str] = []
    try:
        if slack_on:
            closers += await _start_slack(bot, settings, host, port, rate, stopping, background)
        if discord_on:
            closers += _start_discord(bot, settings, rate, stopping, failure, background)
        closers.append(_start_following(bot, settings, stopping, background))
        if not slack_on or settings.slack_app_token:  # no Slack endpoint: /healthz alone
            closers.append(await _start_health(background, host, port))
        await stopping.wait()
    finally:
        stopping.set()
        for close in reversed(closers):
            try:
                await asyncio.wait_for(close(), timeout=SHUTDOWN_GRACE + 5)
            except Exception:
                log.exception("error while shutting down")
        pool.shutdown(wait=False, cancel_futures=True)
    if failure:
        raise CannotStart(failure[0])


async def _start_slack(bot: ShipBot, settings: Settings, host: str, port: int, rate: float,
                       stopping: asyncio.Event, background: list[asyncio.Task[object]]
                       ) -> list[Callable[[], Awaitable[object]]]:
    from adapters.slack.app import SlackAdapter
    from adapters.slack.server import serve_http, serve_socket_mode

    adapter = SlackAdapter(bot, settings)
    adapter.background = background
    closers: list[Callable[[], Awaitable[object]]] = [lambda: adapter.close(SHUTDOWN_GRACE)]
    if settings.slack_app_token:
        try:
            handler = await serve_socket_mode(adapter,
                                              settings.slack_app_token.get_secret_value())
        except Exception as exc:  # refused token, or Slack unreachable: say so, not a traceback
            await adapter.close(0)
            raise CannotStart(f"cannot open a Socket Mode connection to Slack at "
                              f"{settings.slack_api_url}: {_reason(exc)}") from None
        log.info("slack: socket mode connected")
        closers.append(handler.close_async)
    else:
        try:
            runner, bound = await serve_http(adapter, host, port)
        except OSError as exc:
            await adapter.close(0)
            raise CannotStart(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        log.info("slack: listening on http://%s:%d/slack/events", host, bound)
        closers.append(runner.cleanup)
    background.append(start_dispatcher(Dispatcher(bot.store, adapter.cards, rate=rate,
                                                  due=_due(bot, "slack", settings)), stopping,
                                       settings.dispatch_poll_seconds))
    # Reactions added or removed while no replica was listening (Slack does not send again an
    # event that was acknowledged, nor one that never reached a live replica in time).
    healing = asyncio.create_task(adapter.heal_recent(), name="slack-heal")

    async def stop_healing() -> None:
        healing.cancel()

    closers.append(stop_healing)
    return closers


def _due(bot: ShipBot, platform: str, settings: Settings) -> Callable[[], int]:
    """What each dispatcher pass queues first: the platform's due digests and reminders."""
    return functools.partial(queue_due, bot.cards, platform, settings.digest_time())


def _start_discord(bot: ShipBot, settings: Settings, rate: float, stopping: asyncio.Event,
                   failure: list[str], background: list[asyncio.Task[object]]
                   ) -> list[Callable[[], Awaitable[object]]]:
    import discord

    from adapters.discord.client import ShipbotDiscord

    client = ShipbotDiscord(bot, settings)
    token = settings.discord_token.get_secret_value()  # type: ignore[union-attr]

    async def connect() -> None:
        try:
            await client.start(token)
        except discord.LoginFailure:
            failure.append("Discord refused DISCORD_TOKEN (Developer Portal -> Bot -> Reset "
                           "Token, then set DISCORD_TOKEN)")
        except (OSError, discord.HTTPException, discord.GatewayNotFound) as exc:
            failure.append(f"cannot reach Discord at {settings.discord_api_url}: "
                           f"{exc.__class__.__name__}")
        finally:
            stopping.set()  # the gateway is gone for good: stop this replica (the platform
            # or the orchestrator restarts it)

    task = asyncio.create_task(connect(), name="discord")
    background.append(start_dispatcher(Dispatcher(bot.store, client.cards, rate=rate,
                                                  due=_due(bot, "discord", settings)), stopping,
                                       settings.dispatch_poll_seconds))

    async def close() -> None:
        await client.close()
        await asyncio.wait({task}, timeout=5)

    return [close]


def _start_following(bot: ShipBot, settings: Settings, stopping: asyncio.Event,
                     background: list[asyncio.Task[object]]) -> Callable[[], Awaitable[object]]:
    """The verdict-site follower, a task on this replica's loop (adapters.web)."""
    import os
    import socket

    from adapters.web import follow_sources

    owner = f"run:{socket.gethostname()}:{os.getpid()}"
    task = asyncio.create_task(follow_sources(
        bot.cards, stopping, owner, max_bytes=settings.sync_max_bytes,
        pause_after=settings.sync_failures, poll=settings.sync_poll_seconds), name="sources")
    background.append(task)

    async def stop_following() -> None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return stop_following


async def _start_health(background: list[asyncio.Task[object]], host: str,
                        port: int) -> Callable[[], Awaitable[object]]:
    """GET /healthz on --host/--port when no Slack HTTP endpoint serves it (a Discord-only or
    Socket Mode replica), so a container's health check fits every mode."""
    from adapters.health import serve_health

    try:
        runner, bound = await serve_health(background, host, port)
    except OSError as exc:
        raise CannotStart(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    log.info("health: listening on http://%s:%d/healthz", host, bound)
    return runner.cleanup


def _reason(exc: BaseException) -> str:
    """A short reason for a start-up failure, without the traceback (nor any token)."""
    from slack_sdk.errors import SlackApiError

    if isinstance(exc, SlackApiError) and exc.response is not None:
        return f"Slack answered {exc.response.get('error', 'an error')}"
    return exc.__class__.__name__
