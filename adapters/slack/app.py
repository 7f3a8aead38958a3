"""The Slack adapter: bolt's AsyncApp wired to the core, on the replica's one event loop.

Slash commands and did-you-mean buttons are acknowledged at once and answered by bolt's lazy
listeners (tasks on the loop). Votes (reactions and vote buttons) become the card pipeline's
VoteEvents (bot.pipeline), written to the store before the acknowledgement, so a vote Slack saw
acknowledged is stored, and one that was not is sent again by Slack. Store work that can wait
runs on the loop's default executor (the replica's bounded store pool), never on the loop;
commands that only read run on the loop where reads never wait (SQLite in WAL mode).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.settings import Settings
from adapters.slack.blocks import REACTION_MEANINGS, render
from adapters.slack.context import PLATFORM, explain, slack_time
from adapters.slack.installations import (
    AsyncStoreInstallationStore,
    AsyncStoreOAuthStateStore,
    StoreInstallationStore,
)
from adapters.slack.listeners import register
from adapters.slack.poster import SlackPoster
from bot.cards import Card
from bot.commands import ShipBot
from bot.models import Context
from bot.pipeline import CardPipeline, Outcome, VoteEvent
from bot.store import CardRef

log = logging.getLogger(__name__)
SCOPES = ["commands", "chat:write", "chat:write.public", "reactions:read", "users:read"]
T = TypeVar("T")
# Answers acknowledged but not yet sent, at most: a backlog past it is answered "busy".
MAX_IN_FLIGHT = 1000
BUSY = "I'm answering a lot of requests right now: please ask again in a minute."


class _NoTokenAndClientWarning(logging.Filter):
    """bolt reads SLACK_BOT_TOKEN itself and warns that our configured client wins; it should."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("As you gave `client` as well")


logging.getLogger("slack_bolt.AsyncApp").addFilter(_NoTokenAndClientWarning())


class SlackAdapter:
    """One AsyncApp wired to the core; served over HTTP (aiohttp) or Socket Mode."""

    def __init__(self, bot: ShipBot, settings: Settings, *, refresh_delay: float = 1.0) -> None:
        self.bot = bot
        self.settings = settings
        self.cards = SlackPoster(self)
        self.pipeline = CardPipeline(bot, self.cards, refresh_delay)
        self.session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self.installations: StoreInstallationStore | None = None
        self._clients: dict[str, AsyncWebClient] = {}
        self._bot_users: dict[str, str] = {}
        self.in_flight: set[asyncio.Task[Any]] = set()
        self._shedding = False
        self.background: list[asyncio.Task[Any]] = []  # the replica's tasks /healthz watches
        self.app = self._build_app()
        register(self.app, self)

    # ---- construction and lifetime -------------------------------------------------------

    def _build_app(self) -> AsyncApp:
        s = self.settings
        secret = s.slack_signing_secret.get_secret_value() if s.slack_signing_secret else None
        if s.slack_client_id and s.slack_client_secret:
            self.installations = StoreInstallationStore(self.bot.store.installations,
                                                        client_id=s.slack_client_id)
            oauth = AsyncOAuthSettings(
                client_id=s.slack_client_id,
                client_secret=s.slack_client_secret.get_secret_value(), scopes=SCOPES,
                installation_store=AsyncStoreInstallationStore(self.installations, self.run),
                state_store=AsyncStoreOAuthStateStore(self.bot.store.installations, self.run),
            )
            return AsyncApp(signing_secret=secret, client=self._bolt_client(None),
                            oauth_settings=oauth, process_before_response=True)
        self._token = s.slack_bot_token.get_secret_value() if s.slack_bot_token else None
        return AsyncApp(signing_secret=secret, client=self._bolt_client(self._token),
                        process_before_response=True)

    def client(self, token: str | None) -> AsyncWebClient:
        """Our own Web API client for a token, on SLACK_API_URL, on the adapter's keep-alive
        session (no new connection per call), retrying rate limits (Retry-After) and dropped
        connections. bolt's own client (in every listener's context) has no session: bolt
        copies the context for lazy listeners, and a live session cannot be copied."""
        found = self._clients.get(token or "")
        if found is None:
            found = self._clients[token or ""] = AsyncWebClient(
                token=token, base_url=self.settings.slack_api_url, session=self.session,
                retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3),
                                AsyncConnectionErrorRetryHandler()])
        return found

    def _bolt_client(self, token: str | None) -> AsyncWebClient:
        return AsyncWebClient(token=token, base_url=self.settings.slack_api_url,
                              retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3),
                                              AsyncConnectionErrorRetryHandler()])

    async def start(self) -> None:
        """Open the keep-alive session our clients share (on the running loop)."""
        self.session = aiohttp.ClientSession()
        self._clients.clear()

    async def close(self, grace: float = 5.0) -> None:
        """Finish answers in flight (giving up after `grace` seconds), stop refreshes, close."""
        await self.pipeline.close()
        if self.in_flight:
            done, pending = await asyncio.wait(set(self.in_flight), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("slack: gave up %d answer(s) still running at shutdown", len(pending))
        if self.session is not None:
            await self.session.close()

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """Blocking core or store work, on the loop's default executor (the replica's bounded
        store pool), never on the event loop."""
        return await asyncio.to_thread(work, *args)

    async def read(self, work: Callable[..., T], *args: Any) -> T:
        """Core work that only reads the store: on the loop itself where reads never wait
        (SQLite in WAL mode; a hop to the pool and back cost more CPU than the read, measured:
        benchmarks/bench_slack.py), else on the store pool like any other."""
        if self.bot.store.db.reads_wait:
            return await asyncio.to_thread(work, *args)
        return work(*args)

    def track(self, work: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        """A lazy listener whose task shutdown waits for (a little), at most MAX_IN_FLIGHT at
        once. bolt passes the arguments the wrapped function names (it reads them through
        functools.wraps); every tracked listener takes `respond`."""
        @functools.wraps(work)
        async def tracked(**kwargs: Any) -> None:
            if len(self.in_flight) >= MAX_IN_FLIGHT:
                # Past the bound an answer is a short apology, not a queued task: memory
                # stays bounded under any backlog, and the person knows to ask again.
                if not self._shedding:
                    log.warning("slack: %d answers in flight; new ones are told to retry",
                                MAX_IN_FLIGHT)
                self._shedding = True
                await kwargs["respond"](text=BUSY, response_type="ephemeral")
                return
            self._shedding = False
            task = asyncio.current_task()
            if task is not None:
                self.in_flight.add(task)
            try:
                await work(**kwargs)
            finally:
                if task is not None:
                    self.in_flight.discard(task)
        return tracked

    async def client_for(self, team_id: str) -> AsyncWebClient:
        """The client holding the bot token of one workspace."""
        if self.installations is None:
            return self.client(self._token)
        found = await self.run(lambda: self.installations.find_installation(  # type: ignore[union-attr]
            enterprise_id=None, team_id=team_id))
        if found is None or not found.bot_token:
            raise LookupError(f"no installation for workspace {team_id}")
        return self.client(found.bot_token)

    # ---- answers -------------------------------------------------------------------------

    async def answer(self, card: Card, ctx: Context, respond: Callable[..., Awaitable[Any]],
                     client: AsyncWebClient) -> None:
        """Post a public card in the channel (and remember it), or reply privately."""
        blocks, text = render(card)
        if card.ephemeral:
            await respond(blocks=blocks, text=text, response_type="ephemeral")
            return
        try:
            await self._post(self.client(client.token), card, ctx.workspace, ctx.channel,
                             (blocks, text))
        except SlackApiError as exc:
            log.warning("chat.postMessage failed: %s", exc.response.get("error"))
            # The answer itself still reaches the person, privately: a decision or a
            # subscription it confirms was recorded even though the channel cannot show it.
            notice = {"type": "context", "elements": [{"type": "mrkdwn", "text": explain(exc)}]}
            await respond(blocks=[notice, *blocks][:50], text=explain(exc),
                          response_type="ephemeral")

    async def _post(self, client: AsyncWebClient, card: Card, workspace: str, channel: str,
                    rendered: tuple[list[dict[str, Any]], str] | None = None) -> str:
        """Post a public card and remember what it shows, so votes on it count."""
        blocks, text = rendered or render(card)
        posted = await client.chat_postMessage(channel=channel, blocks=blocks, text=text,
                                               unfurl_links=False, unfurl_media=False)
        ts = str(posted["ts"])
        channel = str(posted.get("channel") or channel)  # a user id posts to their DM channel
        if card.votable:
            await self.pipeline.remember(CardRef(PLATFORM, workspace, channel, ts, card.kind,
                                                 tuple(card.tool_ids)))
        return ts

    async def post_card(self, card: Card, workspace: str, channel: str) -> str:
        """A delivery: post a card with the workspace's token; returns its ts (raises
        SlackApiError, LookupError or OSError). A user id as `channel` sends the card as a
        direct message from the bot (chat.postMessage opens the app's DM)."""
        return await self._post(await self.client_for(workspace), card, workspace, channel)

    async def heal_recent(self) -> int:
        """Re-read the reactions on recent cards (reactions.get, paced by SHIPBOT_HEAL_RATE)
        and bring the store's reaction votes in line; returns how many cards changed."""
        return await self.pipeline.heal_recent(self.settings.heal_days, self.settings.heal_rate,
                                               (SlackApiError, LookupError, OSError))

    async def bot_user_id(self, client: AsyncWebClient) -> str:
        """Our own user id in a workspace (auth.test, remembered per token)."""
        token = str(client.token)
        if token not in self._bot_users:
            self._bot_users[token] = str((await client.auth_test()).get("user_id", ""))
        return self._bot_users[token]

    # ---- votes: stored before the acknowledgement ----------------------------------------

    async def on_reaction(self, body: dict[str, Any], bot_user_id: str | None,
                          client: AsyncWebClient, added: bool) -> None:
        """A reaction on one of our cards is a vote; anything else is ignored. Raises if the
        store cannot take it, so Slack is not told 200 and sends it again."""
        event = body.get("event") or {}
        item = event.get("item") if isinstance(event.get("item"), dict) else {}
        user = str(event.get("user", ""))
        meaning = REACTION_MEANINGS.get(str(event.get("reaction", "")).split("::", 1)[0])
        if item.get("type") != "message" or not user or user == bot_user_id or meaning is None:
            return  # "::" starts a skin-tone suffix
        await self.pipeline.vote(VoteEvent(
            workspace=str(body.get("team_id") or ""), channel=str(item.get("channel", "")),
            message_id=str(item.get("ts", "")), user=user, meaning=meaning, added=added,
            at=slack_time(event.get("event_ts")), event_id=str(body.get("event_id") or "")),
            ask=functools.partial(self.cards.is_bot, self.client(client.token)))

    async def on_vote_button(self, body: dict[str, Any], value: dict[str, Any]) -> Outcome:
        """A Ship/Skip button: record (or withdraw) the vote ("unknown": not a card of ours)."""
        return await self.pipeline.vote(VoteEvent.button(
            str(body.get("team", {}).get("id", "")), str(body.get("channel", {}).get("id", "")),
            str(body.get("message", {}).get("ts", "")), str(body["user"]["id"]),
            int(value["pos"]), str(value["choice"]),
            slack_time(body["actions"][0].get("action_ts"))))

    async def who_manages(self, ctx: Context, client: AsyncWebClient) -> Context:
        """Under SHIPBOT_SLACK_MANAGERS=admins, only workspace admins and owners may manage a
        channel's subscriptions (users.info says who; anyone else may still remove their own)."""
        if self.settings.slack_managers == "anyone":
            return ctx
        try:
            info = await self.client(client.token).users_info(user=ctx.user)
            profile = info.get("user") or {}
            admin = any(profile.get(k) for k in ("is_admin", "is_owner", "is_primary_owner"))
        except SlackApiError as exc:
            log.warning("slack: users.info failed (%s); treating the user as not an admin",
                        exc.response.get("error") if exc.response is not None else "?")
            admin = False
        return ctx.model_copy(update={"can_manage": admin})
