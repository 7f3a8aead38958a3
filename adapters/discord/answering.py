"""What the slash commands and buttons need from the client (the client implements it), so
they depend on this small protocol instead of importing the client back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import discord

from bot.cards import Card, Choice
from bot.commands import ShipBot
from bot.models import Context

Job = Callable[[Context], Card]  # a core call for the person and place of an interaction


class Answerer(Protocol):
    """Runs core work for an interaction and sends its card."""

    core: ShipBot

    async def answer(self, interaction: discord.Interaction, job: Job) -> None:
        """Run `job` (on the loop if its command only reads and reads never wait, else off
        it, deferring if it is slow) and send its card."""

    async def run_choice(self, interaction: discord.Interaction, choice: Choice) -> None:
        """A did-you-mean button was pressed: run its choice."""

    async def vote_button(self, interaction: discord.Interaction, position: int,
                          choice: str) -> None:
        """A vote button on one of our cards."""

    async def reviews_button(self, interaction: discord.Interaction) -> None:
        """A card's Reviews button."""

    async def tell(self, interaction: discord.Interaction, text: str) -> None:
        """A private line to the person who asked."""
