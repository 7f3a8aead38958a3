"""The Slack adapter: bolt's AsyncApp wired to the core, on the process's one event loop.
Over ~300 lines until the card pipeline shared with Discord (issue #19) takes votes,
refreshes and healing out of both adapters.

Slash commands and did-you-mean buttons are acknowledged at once and answered by bolt's lazy
listeners (tasks on the loop). Votes (reactions and vote buttons) are written to the store
before the acknowledgement, so a vote Slack saw acknowledged is stored, and one that was not is
sent again by Slack. Store work runs on a bounded thread pool, never on the loop.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
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

from adapters.healing import heal_cards, recent_since
from adapters.settings import Settings
from adapters.slack.blocks import REACTION_MEANINGS, render
from adapters.slack.context import PLATFORM, explain, slack_time
from adapters.slack.installations import (
    AsyncStoreInstallationStore,
    AsyncStoreOAuthStateStore,
    StoreInstallationStore,
)
from adapters.slack.listeners import register
from bot.cards import Card
from bot.coalesce import Coalescer
from bot.commands import ShipBot
from bot.models import Context
from bot.store import CardRef

log = logging.getLogger(__name__)
SCOPES = ["commands", "chat:write", "chat:write.public", "reactions:read", "users:read"]
T = TypeVar("T")


class _NoTokenAndClientWarning(logging.Filter):
    """bolt reads SLACK_BOT_TOKEN itself and warns that our configured client wins; it should."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("As you gave `client` as well")


logging.getLogger("slack_bolt.AsyncApp").addFilter(_NoTokenAndClientWarning())


class SlackAdapter:
    """One AsyncApp wired to the core; served over HTTP (aiohttp) or Socket Mode."""

    def __init__(self, bot: ShipBot, settings: Settings, *, pool: ThreadPoolExecutor | None = None,
                 refresh_delay: float = 1.0) -> None:
        self.bot = bot
        self.settings = settings
        self.pool = pool or ThreadPoolExecutor(max_workers=settings.store_threads,
                                               thread_name_prefix="slack-store")
        self._own_pool = pool is None
        self.refresher = Coalescer(refresh_delay, self._refresh_from_timer)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self.installations: StoreInstallationStore | None = None
        self._clients: dict[str, AsyncWebClient] = {}
        self._bots: dict[str, bool] = {}
        self._bot_users: dict[str, str] = {}
        self.in_flight: set[asyncio.Task[Any]] = set()
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
        """Bind to the running loop (timer threads and dispatchers post onto it) and open the
        keep-alive session our clients share."""
        self.loop = asyncio.get_running_loop()
        self.session = aiohttp.ClientSession()
        self._clients.clear()

    async def close(self, grace: float = 5.0) -> None:
        """Finish answers in flight (giving up after `grace` seconds), stop refreshes, close."""
        self.refresher.cancel_all()
        if self.in_flight:
            done, pending = await asyncio.wait(set(self.in_flight), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("slack: gave up %d answer(s) still running at shutdown", len(pending))
        if self.session is not None:
            await self.session.close()
        if self._own_pool:
            self.pool.shutdown(wait=False, cancel_futures=True)

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """Blocking core or store work, on the bounded pool (never on the event loop)."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, lambda: work(*args))

    def track(self, work: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        """A lazy listener whose task shutdown waits for (a little). bolt passes the arguments
        the wrapped function names (it reads them through functools.wraps)."""
        @functools.wraps(work)
        async def tracked(**kwargs: Any) -> None:
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
            ref = CardRef(PLATFORM, workspace, channel, ts, card.kind, tuple(card.tool_ids))
            await self.run(self.bot.store.cards.remember_card, ref)
        return ts

    def post_card(self, card: Card, workspace: str, channel: str) -> str:
        """For the delivery dispatcher's thread: post a card on the loop; returns its ts
        (raises SlackApiError, LookupError or OSError). A user id as `channel` sends the card
        as a direct message from the bot (chat.postMessage opens the app's DM)."""
        async def post() -> str:
            return await self._post(await self.client_for(workspace), card, workspace, channel)

        assert self.loop is not None, "the Slack adapter has not started"
        return asyncio.run_coroutine_threadsafe(post(), self.loop).result(timeout=120)

    def _refresh_from_timer(self, key: Hashable) -> None:
        """Coalescer callback (a timer thread): edit the card on the loop."""
        if self.loop is None or self.loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(self._refresh(key), self.loop).result(timeout=120)

    async def _refresh(self, key: Hashable) -> None:
        """Re-render a card from the store and chat.update it once."""
        assert isinstance(key, tuple)
        workspace, channel, ts = (str(k) for k in key)
        ref = await self.run(self.bot.store.cards.card_at, PLATFORM, channel, ts)
        if ref is None:
            return
        blocks, text = render(await self.run(self.bot.card_for, ref))
        client = await self.client_for(workspace)
        await client.chat_update(channel=channel, ts=ts, blocks=blocks, text=text)

    # ---- healing: reactions missed while no replica was listening -------------------------

    async def heal_recent(self) -> int:
        """Re-read the reactions on recent cards (reactions.get, paced by SHIPBOT_HEAL_RATE)
        and bring the store's reaction votes in line; returns how many cards changed."""
        refs = await self.run(self.bot.store.cards.recent, PLATFORM,
                              recent_since(self.settings.heal_days))
        return await heal_cards(PLATFORM, refs, self.heal_card, self.settings.heal_rate,
                                (SlackApiError, LookupError, OSError))

    async def heal_card(self, ref: CardRef) -> bool:
        """One card: what Slack shows now, made the store's reaction votes."""
        client = await self.client_for(ref.workspace)
        read_at = time.time()
        answer = await client.reactions_get(channel=ref.channel, timestamp=ref.message_id,
                                            full=True)
        shown: dict[str, set[int | str]] = {}
        for reaction in (answer.get("message") or {}).get("reactions") or []:
            meaning = REACTION_MEANINGS.get(str(reaction.get("name", "")).split("::", 1)[0])
            if meaning is None:
                continue
            for user in reaction.get("users") or []:
                shown.setdefault(str(user), set()).add(meaning)
        bot_user = await self._bot_user_id(client)
        for user in list(shown):
            if user == bot_user or await self._is_bot(client, user):
                del shown[user]
        if await self.run(self.bot.voting.heal_card, ref, shown, read_at):
            self.refresher.touch((ref.workspace, ref.channel, ref.message_id))
            return True
        return False

    async def _bot_user_id(self, client: AsyncWebClient) -> str:
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
        ref = await self.run(self.bot.store.cards.card_at, PLATFORM, str(item.get("channel", "")),
                             str(item.get("ts", "")))
        if ref is None or await self._is_bot(self.client(client.token), user):
            return
        ctx = Context(platform=PLATFORM, workspace=ref.workspace, channel=ref.channel, user=user)
        event_id = str(body.get("event_id") or "")
        at = slack_time(event.get("event_ts"))

        def record() -> bool:
            with self.bot.store.transaction():  # the retry check and the vote, or neither
                if event_id and not self.bot.store.votes.first_sighting(PLATFORM, event_id):
                    return False  # Slack retried a delivery this or another replica counted
                return self.bot.voting.card_reaction(ctx, ref, meaning, added, at)

        if await self.run(record):
            self.refresher.touch((ref.workspace, ref.channel, ref.message_id))

    async def on_vote_button(self, body: dict[str, Any], value: dict[str, Any]) -> bool:
        """A Ship/Skip button: record (or withdraw) the vote; False if the card is unknown."""
        channel = str(body.get("channel", {}).get("id", ""))
        ts = str(body.get("message", {}).get("ts", ""))
        ref = await self.run(self.bot.store.cards.card_at, PLATFORM, channel, ts)
        if ref is None:
            return False
        ctx = Context(platform=PLATFORM, workspace=ref.workspace, channel=channel,
                      user=str(body["user"]["id"]))
        at = slack_time(body["actions"][0].get("action_ts"))
        if await self.run(self.bot.voting.card_button, ctx, ref, int(value["pos"]),
                          value["choice"], at):
            self.refresher.touch((ref.workspace, ref.channel, ref.message_id))
        return True

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

    async def _is_bot(self, client: AsyncWebClient, user: str) -> bool:
        """Bots' reactions (ours and others') are not votes; remembered per user."""
        if user not in self._bots:
            try:
                info = await client.users_info(user=user)
                profile = info.get("user") or {}
                self._bots[user] = bool(profile.get("is_bot") or profile.get("id") == "USLACKBOT")
            except SlackApiError:
                return False
        return self._bots[user]
