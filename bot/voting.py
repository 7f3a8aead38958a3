"""What a vote on a card means for each tool on it: the one rule every surface shares."""

from __future__ import annotations

from bot.storage.cards import CardRef

NO_VOTE = ""


def card_option(ref: CardRef, position: int, choice: str) -> str | None:
    """The option a reaction or button stands for: a column on a compare card (a pick), ship or
    skip on a verdict card; None when it means nothing on this kind of card."""
    if not 0 <= position < len(ref.tool_ids):
        return None
    if ref.kind == "compare":
        return str(position)
    return choice if ref.kind == "verdict" and choice in ("ship", "skip") else None


def tool_votes(ref: CardRef, option: str | None) -> dict[str, str]:
    """Each tool's vote when a person's vote on the card is `option` (None: no vote): a pick
    on a compare card ships that tool and no other; a verdict card votes on its one tool."""
    if ref.kind == "compare":
        picked = int(option) if option is not None and option.isdigit() else -1
        return {tool: "ship" if n == picked else NO_VOTE for n, tool in enumerate(ref.tool_ids)}
    return {ref.tool_ids[0]: option or NO_VOTE}


def source_of(ref: CardRef) -> str:
    """How votes cast through a card are marked, so the card only withdraws its own."""
    return f"card:{ref.platform}:{ref.channel}:{ref.message_id}"
