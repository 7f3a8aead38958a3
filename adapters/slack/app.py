"""The Slack app: slash commands, vote buttons and reactions, translated into core calls."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from adapters.slack.blocks import REACTION_MEANINGS, render
from adapters.slack.installations import StoreInstallationStore, StoreOAuthStateStore
from adapters.slack.lanes import InlineLanes, ThreadLanes, WorkerLanes, in_order
from adapters.slack.sender import SlackSender
from bot.cards import Card, Choice
from bot.coalesce import Coalescer
from bot.commands import ShipBot
from bot.config import Settings
from bot.models import Context
from bot.store import CardRef

log = logging.getLogger(__name__)
PLATFORM = "slack"
SCOPES = ["commands", "chat:write", "chat:write.public", "reactions:read", "users:read"]
APOLOGY = "Sorry, something went wrong on my side; it has been logged. Please try again."
# What a Slack API error means for the person who asked, and what to do about it.
API_ERRORS = {
    "not_in_channel": "I'm not in this channel: invite me with `/invite @shipbot`, then try again.",
    "channel_not_found": "I can't see this channel: invite me with `/invite @shipbot`, "
                         "or use me in a public channel.",
    "is_archived": "This channel is archived, so I can't post in it.",
    "ratelimited": "Slack is rate-limiting me right now; please try again in a minute.",
    "msg_too_long": "That answer was too long for Slack.",
}


class _NoTokenAndClientWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our configured client wins; it should."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("As you gave `client` as well")


logging.getLogger("slack_bolt.App").addFilter(_NoTokenAndClientWarning())


def slack_client(settings: Settings, token: str | None) -> WebClient:
    """A WebClient on SLACK_API_URL that retries rate limits (Retry-After) and dropped links."""
    return WebClient(token=token, base_url=settings.slack_api_url, retry_handlers=[
        RateLimitErrorRetryHandler(max_retry_count=3), ConnectionErrorRetryHandler()])


def explain(error: SlackApiError) -> str:
    """A user-facing sentence for a Slack API error."""
    code = str(error.response.get("error", "")) if error.response is not None else ""
    return API_ERRORS.get(code, f"Slack refused that ({code or 'unknown error'}).")


Mode = Literal["inline", "threads", "process"]


class Reply:
    """bolt's respond(), without blocking: the POST to response_url goes out on the sender's
    event loop, where answers run."""

    def __init__(self, sender: SlackSender, response_url: str | None) -> None:
        self.sender, self.response_url = sender, response_url

    def __call__(self, text: str = "", blocks: list[dict[str, Any]] | None = None,
                 response_type: str | None = None, replace_original: bool | None = None,
                 delete_original: bool | None = None) -> None:
        if not self.response_url:
            raise ValueError("this request has no response_url to reply to")
        payload: dict[str, Any] = {"text": text}
        for key, value in (("blocks", blocks), ("response_type", response_type),
                           ("replace_original", replace_original),
                           ("delete_original", delete_original)):
            if value is not None:
                payload[key] = value
        self.sender.reply(self.response_url, payload)


# Every lazy function takes these four, so a worker process can call one by name with
# arguments it rebuilds itself (lanes.py): the payload, response_url replies, the workspace's
# Web API client, and bolt's context (for bot_user_id).
Work = Callable[[dict[str, Any], Callable[..., Any], WebClient, dict[str, Any]], None]


class SlackAdapter:
    """One bolt App wired to the core; runs over HTTP or Socket Mode."""

    def __init__(self, bot: ShipBot, settings: Settings, *, work: Mode = "threads",
                 workers: int = 1, refresh_delay: float = 1.0) -> None:
        self.bot = bot
        # the database is the bot's (`--db` may differ from SHIPBOT_DB): installations and the
        # worker processes must use the same file
        self.settings = settings.model_copy(update={"shipbot_db": bot.store.location})
        self.refresher = Coalescer(refresh_delay, self._refresh)
        # "inline" (tests) finishes the work before the request returns; otherwise an answer is
        # posted from the sender's loop and remembered when Slack returns its ts.
        self._inline = work == "inline"
        self.sender = SlackSender(self.settings.slack_api_url)
        self._side = ThreadPoolExecutor(max_workers=2, thread_name_prefix="slack-side")
        # bolt acks in the request thread (process_before_response), as every listener's ack
        # function only calls ack(); the work goes to the lazy runner (lanes.py).
        self.app = self._build_app()
        self.work: dict[str, Work] = {}  # the lazy functions by name (filled by register)
        self._clients: dict[str, WebClient] = {}  # per bot token, for run_job
        self.lanes = self._lanes(work, workers)
        self.app.listener_runner.lazy_listener_runner = self.lanes
        register(self.app, self)

    def _lanes(self, work: Mode, workers: int) -> InlineLanes | ThreadLanes | WorkerLanes:
        logger = logging.getLogger("slack_bolt.App")
        if work == "inline":
            return InlineLanes(logger)
        local = ThreadLanes(logger, self.run_job, self.sender.loop, self.sender.in_flight)
        if work == "threads":
            return local
        from adapters.slack.worker import work_forever

        return WorkerLanes(logger, workers, local, work_forever,
                           (self.settings, logging.getLogger().getEffectiveLevel()))

    # ---- construction --------------------------------------------------------------------

    def _build_app(self) -> App:
        s = self.settings
        secret = s.slack_signing_secret.get_secret_value() if s.slack_signing_secret else None
        if s.slack_client_id and s.slack_client_secret:
            self.installations: StoreInstallationStore | None = StoreInstallationStore(
                self.bot.store.installations, client_id=s.slack_client_id)
            oauth = OAuthSettings(
                client_id=s.slack_client_id,
                client_secret=s.slack_client_secret.get_secret_value(), scopes=SCOPES,
                installation_store=self.installations,
                state_store=StoreOAuthStateStore(self.bot.store.installations,
                                                 expiration_seconds=600),
            )
            return App(signing_secret=secret, client=slack_client(s, None), oauth_settings=oauth,
                       process_before_response=True)
        self.installations = None
        token = s.slack_bot_token.get_secret_value() if s.slack_bot_token else None
        return App(signing_secret=secret, client=slack_client(s, token),
                   process_before_response=True)

    def client_for(self, team_id: str) -> WebClient:
        """The client holding the bot token of one workspace."""
        if self.installations is None:
            return self.app.client
        found = self.installations.find_installation(enterprise_id=None, team_id=team_id)
        if found is None or not found.bot_token:
            raise LookupError(f"no installation for workspace {team_id}")
        return slack_client(self.settings, found.bot_token)

    def run_job(self, name: str, body: dict[str, Any], token: str | None,
                bot_user_id: str | None) -> None:
        """Run one lazy function handed over by the serving process (in a worker process)."""
        client = self._clients.get(token or "")
        if client is None:
            client = self._clients[token or ""] = slack_client(self.settings, token)
        self.work[name](body, Reply(self.sender, body.get("response_url")), client,
                        {"bot_user_id": bot_user_id})

    def close(self) -> None:
        """Finish queued work, stop card refreshes and close Web API connections."""
        self.lanes.close()
        self.refresher.cancel_all()
        self.sender.close()  # waits for posts in flight, whose errors may still need _side
        self._side.shutdown(wait=True)

    # ---- answers -------------------------------------------------------------------------

    def answer(self, card: Card, ctx: Context, respond: Callable[..., Any],
               client: WebClient) -> None:
        """Post a public card in the channel (and remember it), or reply privately."""
        blocks, text = render(card)
        if card.ephemeral:
            respond(blocks=blocks, text=text, response_type="ephemeral")
            return
        if self._inline:  # tests: finish before the HTTP response
            try:
                self._post(client, card, ctx.workspace, ctx.channel, (blocks, text))
            except SlackApiError as exc:
                self._explain(exc, respond)
            return
        posting = self.sender.call(str(client.token), "chat_postMessage", channel=ctx.channel,
                                   blocks=blocks, text=text, unfurl_links=False,
                                   unfurl_media=False)

        def posted(future: Future[dict[str, Any]]) -> None:
            try:
                self._remember(card, ctx.workspace, ctx.channel, str(future.result()["ts"]))
            except SlackApiError as exc:
                self._side.submit(self._explain, exc, respond)
            except Exception:
                log.exception("posting a card failed")
        posting.add_done_callback(posted)

    def _explain(self, exc: SlackApiError, respond: Callable[..., Any]) -> None:
        log.warning("chat.postMessage failed: %s", exc.response.get("error"))
        respond(text=explain(exc), response_type="ephemeral")

    def post_card(self, card: Card, workspace: str, channel: str) -> str:
        """Post a card for the delivery dispatcher; returns the message ts (raises SlackApiError)."""
        return self._post(self.client_for(workspace), card, workspace, channel)

    def _post(self, client: WebClient, card: Card, workspace: str, channel: str,
              rendered: tuple[list[dict[str, Any]], str] | None = None) -> str:
        """Post a public card and remember what it shows, so votes on it count."""
        blocks, text = rendered or render(card)
        posted = self.sender.call(str(client.token), "chat_postMessage", channel=channel,
                                  blocks=blocks, text=text, unfurl_links=False,
                                  unfurl_media=False).result(timeout=120)
        ts = str(posted["ts"])
        self._remember(card, workspace, channel, ts)
        return ts

    def _remember(self, card: Card, workspace: str, channel: str, ts: str) -> None:
        if card.votable:
            self.bot.store.cards.remember_card(CardRef(PLATFORM, workspace, channel, ts, card.kind,
                                                 tuple(card.tool_ids)))

    def _refresh(self, key: Hashable) -> None:
        """Coalesced: re-render a card from the store and chat.update it once."""
        assert isinstance(key, tuple)
        workspace, channel, ts = (str(k) for k in key)
        ref = self.bot.store.cards.card_at(PLATFORM, channel, ts)
        if ref is None:
            return
        blocks, text = render(self.bot.card_for(ref))
        token = str(self.client_for(workspace).token)
        self.sender.call(token, "chat_update", channel=channel, ts=ts, blocks=blocks,
                         text=text).result(timeout=120)

    # ---- votes ---------------------------------------------------------------------------

    def on_reaction(self, body: dict[str, Any], event: dict[str, Any], bot_user_id: str | None,
                    client: WebClient, added: bool) -> None:
        """A reaction on one of our cards is a vote; anything else is ignored."""
        item = event.get("item") or {}
        user = event.get("user", "")
        if item.get("type") != "message" or not user or user == bot_user_id:
            return
        ref = self.bot.store.cards.card_at(PLATFORM, item.get("channel", ""), item.get("ts", ""))
        if ref is None:
            return
        meaning = REACTION_MEANINGS.get(str(event.get("reaction", "")).split("::", 1)[0])
        if meaning is None or self._is_bot(client, user):  # "::" starts a skin-tone suffix
            return
        event_id = body.get("event_id")
        if event_id and not self.bot.store.votes.first_sighting(PLATFORM, str(event_id)):
            return  # Slack retried a delivery we already counted
        ctx = Context(platform=PLATFORM, workspace=ref.workspace, channel=ref.channel, user=user)
        if self.bot.card_reaction(ctx, ref, meaning, added, _slack_time(event.get("event_ts"))):
            self.refresher.touch((ref.workspace, ref.channel, ref.message_id))

    def on_vote_button(self, body: dict[str, Any], respond: Callable[..., Any]) -> None:
        """A Ship/Skip button: record (or withdraw) the vote and refresh the card."""
        channel = body.get("channel", {}).get("id", "")
        ts = body.get("message", {}).get("ts", "")
        ref = self.bot.store.cards.card_at(PLATFORM, channel, ts)
        if ref is None:
            respond(text="I no longer know this card; run the command again to vote.",
                    response_type="ephemeral", replace_original=False)
            return
        value = json.loads(body["actions"][0]["value"])
        ctx = Context(platform=PLATFORM, workspace=ref.workspace, channel=channel,
                      user=body["user"]["id"])
        at = _slack_time(body["actions"][0].get("action_ts"))
        if self.bot.card_button(ctx, ref, int(value["pos"]), value["choice"], at):
            self.refresher.touch((ref.workspace, ref.channel, ref.message_id))

    @lru_cache(maxsize=4096)  # noqa: B019 - one adapter per process; users rarely change kind
    def _is_bot(self, client: WebClient, user: str) -> bool:
        try:
            info = client.users_info(user=user)
        except SlackApiError:
            return False
        profile = info.get("user") or {}
        return bool(profile.get("is_bot") or profile.get("id") == "USLACKBOT")


def _slack_time(value: object) -> float | None:
    """Slack's own time of an event or action ("1700000000.000100"); None if absent."""
    try:
        return float(str(value)) if value else None
    except ValueError:
        return None


def command_context(payload: dict[str, Any]) -> Context:
    """The core Context for a slash command or an interaction payload."""
    channel = payload.get("channel_id") or payload.get("channel", {}).get("id", "")
    team = payload.get("team_id") or (payload.get("team") or {}).get("id", "")
    user = payload.get("user_id") or (payload.get("user") or {}).get("id", "")
    is_dm = channel.startswith("D") or payload.get("channel_name") == "directmessage"
    return Context(platform=PLATFORM, workspace=team, channel=channel, user=user, is_dm=is_dm)


def _ack(ack: Callable[..., None]) -> None:
    """Every listener's ack function: acknowledge at once, well inside Slack's 3 seconds."""
    ack()


def register(app: App, adapter: SlackAdapter) -> None:
    """Attach every listener: slash commands, buttons, reactions (ack now, work lazily)."""
    bot = adapter.bot

    def named(name: str, work: Work, ordered: bool = False) -> Work:
        work.__name__ = name  # bolt finds a lazy function by name; so does a worker
        adapter.work[name] = in_order(work) if ordered else work
        return work

    def slash(prefix: str) -> Work:
        def answer(body: dict[str, Any], respond: Callable[..., Any], client: WebClient,
                   context: dict[str, Any]) -> None:
            try:
                ctx = command_context(body)
                card = bot.handle(f"{prefix} {body.get('text', '')}".strip(), ctx)
                adapter.answer(card, ctx, respond, client)
            except Exception:
                log.exception("slash command failed")
                respond(text=APOLOGY, response_type="ephemeral")
        return named(f"answer_{prefix or 'shipbot'}", answer)

    app.command("/compare")(ack=_ack, lazy=[slash("compare")])
    app.command("/verdict")(ack=_ack, lazy=[slash("verdict")])
    app.command("/shipbot")(ack=_ack, lazy=[slash("")])

    def vote_button(body: dict[str, Any], respond: Callable[..., Any], client: WebClient,
                    context: dict[str, Any]) -> None:
        try:
            adapter.on_vote_button(body, respond)
        except Exception:
            log.exception("vote button failed")
            respond(text=APOLOGY, response_type="ephemeral", replace_original=False)

    def choose_button(body: dict[str, Any], respond: Callable[..., Any], client: WebClient,
                      context: dict[str, Any]) -> None:
        try:
            ctx = command_context(body)
            value = json.loads(body["actions"][0]["value"])
            choice = Choice(label="", command=str(value["command"]),
                            tool_id=str(value.get("tool_id", "")), typed=str(value.get("typed", "")))
            card = bot.choose(choice, ctx)
            respond(delete_original=True)
            adapter.answer(card, ctx, respond, client)
        except Exception:
            log.exception("did-you-mean button failed")
            respond(text=APOLOGY, response_type="ephemeral", replace_original=False)

    app.action(re.compile(r"^shipbot_vote_"))(
        ack=_ack, lazy=[named("vote_button", vote_button, ordered=True)])
    app.action(re.compile(r"^shipbot_choose_"))(
        ack=_ack, lazy=[named("choose_button", choose_button)])

    def reaction(added: bool) -> Work:
        def vote_by_reaction(body: dict[str, Any], respond: Callable[..., Any],
                             client: WebClient, context: dict[str, Any]) -> None:
            try:
                adapter.on_reaction(body, body.get("event") or {}, context.get("bot_user_id"),
                                    client, added)
            except Exception:  # one bad event is logged and skipped
                log.exception("reaction event failed")
        return named(f"reaction_{'added' if added else 'removed'}", vote_by_reaction,
                     ordered=True)

    app.event("reaction_added")(ack=_ack, lazy=[reaction(True)])
    app.event("reaction_removed")(ack=_ack, lazy=[reaction(False)])
