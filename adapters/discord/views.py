"""Discord message components: did-you-mean buttons, and the vote buttons under a card."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, cast

import discord

from adapters.discord.answering import Answerer
from bot.cards import Card, Choice

OnChoice = Callable[[discord.Interaction, Choice], Awaitable[None]]


def label(text: str) -> str:
    """A button label from data: no @everyone, @here, user, role or channel mention can form
    (labels do not ping today; the text must not read as one either)."""
    text = discord.utils.escape_mentions(text)
    return text.replace("<#", "<\u200b#").replace("<@", "<\u200b@")[:80]


class ChoiceView(discord.ui.View):
    """Did-you-mean buttons: pressing one hands its choice to `on_choice` (which runs it)."""

    def __init__(self, card: Card, on_choice: OnChoice) -> None:
        super().__init__(timeout=600)
        for number, choice in enumerate(card.choices[:5]):
            button: discord.ui.Button[ChoiceView] = discord.ui.Button(
                label=label(choice.label), style=discord.ButtonStyle.primary,
                custom_id=f"shipbot:choose:{number}")
            button.callback = self._runner(on_choice, choice)  # type: ignore[method-assign]
            self.add_item(button)

    @staticmethod
    def _runner(on_choice: OnChoice, choice: Choice) -> Callable[[discord.Interaction],
                                                                 Awaitable[None]]:
        async def run(interaction: discord.Interaction) -> None:
            await on_choice(interaction, choice)
        return run


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                 template=r"shipbot:vote:(?P<pos>[0-3]):(?P<choice>ship|skip)"):
    """A vote button. Everything it needs is in its custom_id (column and choice; the card is
    the message it sits on), so any replica, before or after a restart, answers a press:
    the client registers the class once (add_dynamic_items) instead of a view per card."""

    def __init__(self, position: int, choice: str, text: str = "Vote") -> None:
        style = discord.ButtonStyle.danger if choice == "skip" else discord.ButtonStyle.success
        super().__init__(discord.ui.Button(label=label(text), style=style,
                                           custom_id=f"shipbot:vote:{position}:{choice}"))
        self.position = position
        self.choice = choice

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> VoteButton:
        """Rebuild the button from a press on any card."""
        return cls(int(match["pos"]), match["choice"], getattr(item, "label", None) or "Vote")

    async def callback(self, interaction: discord.Interaction) -> None:
        """Record (or withdraw) the vote, then acknowledge: the client does both."""
        await cast(Answerer, interaction.client).vote_button(interaction, self.position,
                                                             self.choice)


class ReviewsButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"shipbot:reviews"):
    """The Reviews button: the reviewers' remarks on the card's tools, privately. The card is
    the message it sits on (its tools are in the store), so any replica answers, after restarts."""

    def __init__(self) -> None:
        super().__init__(discord.ui.Button(label="Reviews", style=discord.ButtonStyle.secondary,
                                           custom_id="shipbot:reviews"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ReviewsButton:
        """Rebuild the button from a press on any card."""
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        """Answer with the reviews card, ephemeral."""
        await cast(Answerer, interaction.client).reviews_button(interaction)


def vote_view(card: Card) -> discord.ui.View:
    """The buttons under a public card: one per tool on a compare card, Ship and Skip on a
    verdict card. Made only of dynamic items, so discord.py keeps no view per message."""
    view = discord.ui.View(timeout=None)
    if card.kind == "compare":
        for position, column in enumerate(card.columns[:4]):
            view.add_item(VoteButton(position, "ship", f"Ship {column.short_name}"))
    elif card.kind == "verdict":
        view.add_item(VoteButton(0, "ship", "Ship"))
        view.add_item(VoteButton(0, "skip", "Skip"))
    if card.kind in ("compare", "verdict"):
        view.add_item(ReviewsButton())
    return view
