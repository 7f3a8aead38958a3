"""Discord message components: the did-you-mean buttons under an answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.cards import Card, Choice

OnChoice = Callable[[discord.Interaction, Choice], Awaitable[None]]


class ChoiceView(discord.ui.View):
    """Did-you-mean buttons: pressing one hands its choice to `on_choice` (which runs it)."""

    def __init__(self, card: Card, on_choice: OnChoice) -> None:
        super().__init__(timeout=600)
        for number, choice in enumerate(card.choices[:5]):
            button: discord.ui.Button[ChoiceView] = discord.ui.Button(
                label=choice.label[:80], style=discord.ButtonStyle.primary,
                custom_id=f"shipbot:choose:{number}")
            button.callback = self._runner(on_choice, choice)  # type: ignore[method-assign]
            self.add_item(button)

    @staticmethod
    def _runner(on_choice: OnChoice, choice: Choice) -> Callable[[discord.Interaction],
                                                                 Awaitable[None]]:
        async def run(interaction: discord.Interaction) -> None:
            await on_choice(interaction, choice)
        return run
