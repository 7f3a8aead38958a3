"""The Discord bot: app commands with autocomplete, embed cards, reaction votes with live counts.
Votes, refreshes and healing are the card pipeline's (bot.pipeline), shared with Slack; this
module turns gateway events and interactions into its calls."""

from __future__ import annotations

import asyncio
import functools
import logging
import time

import discord
import yarl
from discord import app_commands

from adapters.discord.answering import Job
from adapters.discord.commands import register
from adapters.discord.embeds import (
    PICK_EMOJI,
    SHIP_EMOJI,
    SKIP_EMOJI,
    emoji_meaning,
    render_embed,
)
from adapters.discord.poster import NO_PINGS, DiscordPoster
from adapters.discord.views import ChoiceView, ReviewsButton, VoteButton, vote_view
from adapters.settings import Settings
from bot.cards import Card, Choice
from bot.commands import ShipBot
from bot.models import Context
from bot.pipeline import CardPipeline, VoteEvent
from bot.store import CardRef
from bot.textcommands import READ_ONLY

log = logging.getLogger(__name__)
PLATFORM = "discord"
DEFER_AFTER = 2.0  # seconds of core work before the interaction is deferred (Discord allows 3)
PERMISSION_NAMES = {50001: "View Channel", 50013: "Send Messages, Embed Links and Add Reactions"}


def configure_endpoints(settings: Settings) -> None:
    """Point discord.py's REST and gateway at DISCORD_API_URL / DISCORD_GATEWAY_URL."""
    discord.http.Route.BASE = settings.discord_api_url.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


# shipbot never joins voice: don't warn about the voice libraries it does not install.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


def intents() -> discord.Intents:
    """Only what the bot uses: guilds, and reactions in guilds and DMs. Nothing privileged."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_reactions = True
    wanted.dm_reactions = True
    return wanted


def context_of(interaction: discord.Interaction) -> Context:
    """The core Context of an interaction: where, who, and whether they manage the channel."""
    return Context(
        platform=PLATFORM, workspace=str(interaction.guild_id or "dm"),
        channel=str(interaction.channel_id), user=str(interaction.user.id),
        is_dm=interaction.guild_id is None,
        can_manage=bool(interaction.permissions.manage_channels), users_global=True,
    )


def forbidden_text(error: discord.HTTPException) -> str:
    """What permission a 403 from Discord means the bot is missing."""
    missing = PERMISSION_NAMES.get(error.code, "Send Messages, Embed Links and Add Reactions")
    return f"I don't have permission here: please give me {missing} in this channel."


class ShipbotDiscord(discord.AutoShardedClient):
    """An auto-sharded client wired to the core."""

    def __init__(self, core: ShipBot, settings: Settings, refresh_delay: float = 1.0,
                 guild_ready_timeout: float = 2.0) -> None:
        configure_endpoints(settings)
        # A slice of the shards (DISCORD_SHARD_IDS of DISCORD_SHARD_COUNT) when replicas share
        # the bot; all of them, as Discord recommends, when one process runs it.
        count = settings.discord_shard_count or (1 if settings.discord_gateway_url else None)
        super().__init__(intents=intents(), allowed_mentions=NO_PINGS, shard_count=count,
                         shard_ids=settings.shard_ids(), guild_ready_timeout=guild_ready_timeout)
        self.core = core
        self.settings = settings
        self.tree = app_commands.CommandTree(self)
        self.cards = DiscordPoster(self)
        self.pipeline = CardPipeline(core, self.cards, refresh_delay)
        self._healing: set[asyncio.Task[int]] = set()
        register(self.tree, self)

    async def setup_hook(self) -> None:
        """Answer vote buttons on any card; sync commands: to DISCORD_GUILD_ID instantly while
        developing, else globally."""
        self.add_dynamic_items(VoteButton, ReviewsButton)
        guild = discord.Object(id=self.settings.discord_guild_id) \
            if self.settings.discord_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        log.info("synced %d commands %s", len(synced), f"to guild {guild.id}" if guild else "globally")

    async def close(self) -> None:
        """Stop card refreshes and healing, then disconnect."""
        await self.pipeline.close()
        for task in list(self._healing):
            task.cancel()
        await super().close()

    # ---- answering -----------------------------------------------------------------------

    async def answer(self, interaction: discord.Interaction, job: Job) -> None:
        """Run core work for this interaction's person and place, and send the card: on the
        loop when its command only reads (the text commands' list) and reads never wait
        (SQLite in WAL mode), else off the loop, deferring the interaction if it is slow."""
        ctx = context_of(interaction)
        command = interaction.command.name if interaction.command is not None else ""
        if command in READ_ONLY and not self.core.store.db.reads_wait:
            card = job(ctx)
        else:
            work = asyncio.ensure_future(asyncio.to_thread(job, ctx))
            done, _ = await asyncio.wait({work}, timeout=DEFER_AFTER)
            if not done:
                await interaction.response.defer(thinking=True)
            card = await work
        try:
            await self.send_card(interaction, card, ctx)
        except discord.Forbidden as exc:
            log.warning("forbidden answering in %s: %s", interaction.channel_id, exc.text)
            await self.tell(interaction, forbidden_text(exc))

    async def run_choice(self, interaction: discord.Interaction, choice: Choice) -> None:
        """A did-you-mean button was pressed: run its choice."""
        await self.answer(interaction, functools.partial(self.core.choose, choice))

    async def tell(self, interaction: discord.Interaction, text: str) -> None:
        """A private line to the person who asked, however far the interaction got."""
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
            else:
                await interaction.response.send_message(text, ephemeral=True,
                                                        allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.warning("could not tell the user: %s", text)

    async def send_card(self, interaction: discord.Interaction, card: Card, ctx: Context) -> None:
        """Reply with the card; public cards are remembered and get their voting reactions."""
        embed = render_embed(card)
        view: discord.ui.View = discord.utils.MISSING
        if card.choices and card.kind in ("did_you_mean", "need"):
            view = ChoiceView(card, self.run_choice)
        elif card.votable and not card.ephemeral:
            view = vote_view(card)
        message: discord.Message
        if interaction.response.is_done():
            message = await interaction.followup.send(
                embed=embed, view=view, ephemeral=card.ephemeral, allowed_mentions=NO_PINGS,
                wait=True)
        else:
            await interaction.response.send_message(
                embed=embed, view=view, ephemeral=card.ephemeral, allowed_mentions=NO_PINGS)
            if card.ephemeral or not card.votable:
                return
            message = await interaction.original_response()
        if card.votable and not card.ephemeral:
            await self.track_card(message, card, ctx, interaction)

    async def track_card(self, message: discord.Message, card: Card, ctx: Context,
                         interaction: discord.Interaction | None) -> None:
        """Remember what a posted card shows and add the reactions people vote with."""
        await self.pipeline.remember(CardRef(
            PLATFORM, ctx.workspace, str(message.channel.id), str(message.id), card.kind,
            tuple(card.tool_ids)))
        emoji = PICK_EMOJI[: len(card.columns)] if card.kind == "compare" \
            else (SHIP_EMOJI, SKIP_EMOJI)
        try:
            for each in emoji:
                await message.add_reaction(each)
        except discord.Forbidden as exc:
            log.warning("cannot add reactions in %s: %s", message.channel.id, exc.text)
            if interaction is not None:
                await interaction.followup.send(
                    "I couldn't add the voting reactions: please give me Add Reactions and "
                    "Read Message History in this channel. You can still vote by adding "
                    "them yourself.", ephemeral=True, allowed_mentions=NO_PINGS)

    # ---- votes ---------------------------------------------------------------------------

    async def _card_pressed(self, interaction: discord.Interaction, then: str) -> CardRef | None:
        """The stored card a pressed button sits on; None (the person told why) if unknown."""
        message = interaction.message
        if message is None:
            return None
        ref = await asyncio.to_thread(self.core.store.cards.card_at, PLATFORM,
                                      str(message.channel.id), str(message.id))
        if ref is None:
            await self.tell(interaction,
                            f"I no longer know this card; run the command again {then}.")
        return ref

    async def vote_button(self, interaction: discord.Interaction, position: int,
                          choice: str) -> None:
        """A vote button on one of our cards: stored first, then acknowledged (if the store
        fails, Discord tells the person the interaction failed, and they press again)."""
        ref = await self._card_pressed(interaction, "to vote")
        if ref is None:
            return
        # Arrival time, as for reactions: both come through this guild's shard, on the one
        # replica holding it, so one clock orders a person's buttons and reactions.
        await self.pipeline.vote(VoteEvent.button(
            ref.workspace, ref.channel, ref.message_id, str(interaction.user.id), position,
            choice, time.time()))
        await interaction.response.defer()  # the card's counts change when it is refreshed

    async def reviews_button(self, interaction: discord.Interaction) -> None:
        """A card's Reviews button: the remarks on its tools, to the presser alone."""
        ref = await self._card_pressed(interaction, "or type `/reviews`")
        if ref is None:
            return
        card = await asyncio.to_thread(self.core.cards.reviews, list(ref.tool_ids))
        await interaction.response.send_message(embed=render_embed(card), ephemeral=True,
                                                allowed_mentions=NO_PINGS)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """A server removed the bot (or was deleted): forget it as a Slack uninstall does."""
        try:
            gone = await asyncio.to_thread(self.core.store.forget_workspace, PLATFORM,
                                           str(guild.id), "the bot was removed from this server")
            log.info("discord: server %s removed the bot: %s", guild.id, gone)
        except Exception:  # logged; the next pass of the dispatcher fails its posts anyway
            log.exception("forgetting server %s failed", guild.id)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """A reaction added to one of our cards is a vote."""
        await self._reaction(payload, added=True)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        """A reaction removed from one of our cards withdraws that vote."""
        await self._reaction(payload, added=False)

    async def _reaction(self, payload: discord.RawReactionActionEvent, added: bool) -> None:
        try:
            if self.user is not None and payload.user_id == self.user.id:
                return
            if payload.member is not None and payload.member.bot:
                return
            cached = self.get_user(payload.user_id)
            if cached is not None and cached.bot:
                return
            meaning = emoji_meaning(str(payload.emoji))
            if meaning is None:
                return
            # The arrival time on the one replica holding this shard is the gateway's order.
            await self.pipeline.vote(VoteEvent(
                workspace=str(payload.guild_id or "dm"), channel=str(payload.channel_id),
                message_id=str(payload.message_id), user=str(payload.user_id),
                meaning=meaning, added=added, at=time.time()))
        except Exception:  # one bad event is logged and skipped
            log.exception("reaction vote failed")

    # ---- healing: reactions missed while no replica held the shard -----------------------

    async def on_shard_ready(self, shard_id: int) -> None:
        """A shard started a new gateway session (at start, or when one could not be
        resumed): events of the gap are lost for good, so re-read its recent cards."""
        task = asyncio.create_task(self.heal_recent(shard_id), name=f"discord-heal-{shard_id}")
        self._healing.add(task)
        task.add_done_callback(self._healing.discard)

    async def heal_recent(self, shard_id: int | None = None) -> int:
        """Re-read the reactions on recent cards in one shard's guilds (all, if None), paced
        by SHIPBOT_HEAL_RATE; bring the store's reaction votes in line. Returns cards changed."""
        return await self.pipeline.heal_recent(
            self.settings.heal_days, self.settings.heal_rate, (discord.HTTPException, OSError),
            keep=lambda ref: shard_id is None or self._shard_of(ref.workspace) == shard_id)

    def _shard_of(self, workspace: str) -> int:
        """The shard a guild's events come through (direct messages: shard 0)."""
        if not workspace.isdigit():
            return 0
        return (int(workspace) >> 22) % (self.shard_count or 1)

    # ---- deliveries ----------------------------------------------------------------------

    async def post_card(self, card: Card, workspace: str, channel_id: str) -> str:
        """Post a card to a channel (for the delivery dispatcher); returns the message id."""
        channel = self.get_partial_messageable(int(channel_id))
        return await self._deliver(channel, card, workspace)

    async def post_dm(self, card: Card, user_id: str) -> str:
        """Send a card as a direct message (a watcher's alert); returns the message id.
        discord.Forbidden (code 50007) means the person does not take DMs from the bot."""
        channel = await self.create_dm(discord.Object(id=int(user_id)))
        return await self._deliver(channel, card, "dm")

    async def _deliver(self, channel: discord.abc.Messageable, card: Card,
                       workspace: str) -> str:
        view = vote_view(card) if card.votable else discord.utils.MISSING
        message = await channel.send(embed=render_embed(card), view=view,
                                     allowed_mentions=NO_PINGS)
        ctx = Context(platform=PLATFORM, workspace=workspace, channel=str(message.channel.id))
        if card.votable:
            await self.track_card(message, card, ctx, None)
        return str(message.id)
