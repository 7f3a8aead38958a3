"""Every bolt listener: slash commands and did-you-mean buttons (ack, then answer lazily);
reactions and vote buttons (store the vote, then ack)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import render
from adapters.slack.context import APOLOGY, command_context
from bot.cards import Choice
from bot.textcommands import reads_only

if TYPE_CHECKING:
    from adapters.slack.app import SlackAdapter

log = logging.getLogger(__name__)
Respond = Callable[..., Awaitable[Any]]


async def _ack(ack: Callable[..., Awaitable[None]]) -> None:
    """Acknowledge at once, well inside Slack's 3 seconds; the answer follows lazily."""
    await ack()


def register(app: AsyncApp, adapter: SlackAdapter) -> None:
    """Attach every listener to the app."""
    bot = adapter.bot

    def slash(prefix: str) -> Callable[..., Awaitable[None]]:
        async def answer(body: dict[str, Any], respond: Respond, client: AsyncWebClient) -> None:
            try:
                ctx = await adapter.who_manages(command_context(body), client)
                text = f"{prefix} {body.get('text', '')}".strip()
                answer_with = adapter.read if reads_only(text) else adapter.run
                card = await answer_with(bot.handle, text, ctx)
                await adapter.answer(card, ctx, respond, client)
            except Exception:
                log.exception("slash command failed")
                await respond(text=APOLOGY, response_type="ephemeral")
        answer.__name__ = f"answer_{prefix or 'shipbot'}"
        return adapter.track(answer)

    app.command("/compare")(ack=_ack, lazy=[slash("compare")])
    app.command("/verdict")(ack=_ack, lazy=[slash("verdict")])
    app.command("/shipbot")(ack=_ack, lazy=[slash("")])

    async def choose(body: dict[str, Any], respond: Respond, client: AsyncWebClient) -> None:
        try:
            ctx = command_context(body)
            value = json.loads(body["actions"][0]["value"])
            choice = Choice(label="", command=str(value["command"]),
                            tool_id=str(value.get("tool_id", "")),
                            typed=str(value.get("typed", "")))
            card = await adapter.run(bot.choose, choice, ctx)
            await respond(delete_original=True)
            await adapter.answer(card, ctx, respond, client)
        except Exception:
            log.exception("did-you-mean button failed")
            await respond(text=APOLOGY, response_type="ephemeral", replace_original=False)

    app.action(re.compile(r"^shipbot_choose_"))(ack=_ack, lazy=[adapter.track(choose)])

    async def reviews(body: dict[str, Any], respond: Respond) -> None:
        """A card's Reviews button: the reviewers' remarks, to the presser alone."""
        try:
            value = json.loads(body["actions"][0]["value"])
            ids = [str(i) for i in value["tool_ids"]][:4]
        except (KeyError, IndexError, TypeError, ValueError):
            log.warning("reviews button with a malformed value: skipped")
            await respond(text=APOLOGY, response_type="ephemeral", replace_original=False)
            return
        try:
            blocks, text = render(await adapter.read(bot.cards.reviews, ids))
            await respond(blocks=blocks, text=text, response_type="ephemeral",
                          replace_original=False)
        except Exception:
            log.exception("reviews button failed")
            await respond(text=APOLOGY, response_type="ephemeral", replace_original=False)

    app.action("shipbot_reviews")(ack=_ack, lazy=[adapter.track(reviews)])
    # A link button opens the page in the browser; Slack still tells the app, which only acks.
    app.action("shipbot_link")(_ack)

    async def vote_button(ack: Callable[..., Awaitable[None]], body: dict[str, Any],
                          respond: Respond) -> None:
        try:
            value = json.loads(body["actions"][0]["value"])
            int(value["pos"]), str(value["choice"])
        except (KeyError, IndexError, TypeError, ValueError, OverflowError):
            log.warning("vote button with a malformed value: skipped")
            await ack()
            await respond(text=APOLOGY, response_type="ephemeral", replace_original=False)
            return
        outcome = await adapter.on_vote_button(body, value)  # raises: no ack, Slack shows an error
        await ack()
        if outcome == "unknown":
            await respond(text="I no longer know this card; run the command again to vote.",
                          response_type="ephemeral", replace_original=False)

    app.action(re.compile(r"^shipbot_vote_"))(vote_button)

    def reaction(added: bool) -> Callable[..., Awaitable[None]]:
        async def vote_by_reaction(ack: Callable[..., Awaitable[None]], body: dict[str, Any],
                                   context: dict[str, Any], client: AsyncWebClient) -> None:
            # Stored first: if the store fails this raises, bolt answers 500, Slack retries.
            await adapter.on_reaction(body, context.get("bot_user_id"), client, added)
            await ack()
        return vote_by_reaction

    async def uninstalled(ack: Callable[..., Awaitable[None]], body: dict[str, Any]) -> None:
        """The app was uninstalled, or its tokens revoked: forget the workspace's tokens and
        stop everything queued to it (stored first, then acked: Slack retries a failure)."""
        team = str(body.get("team_id") or "")
        if team:
            gone = await adapter.run(bot.store.forget_workspace, "slack", team,
                                     "the app was removed from this workspace")
            log.info("slack: workspace %s removed the app: %s", team, gone)
        await ack()

    app.event("app_uninstalled")(uninstalled)
    app.event("tokens_revoked")(uninstalled)
    app.event("reaction_added")(reaction(True))
    app.event("reaction_removed")(reaction(False))

