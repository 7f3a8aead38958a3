"""Weekly digests: when they go out (SHIPBOT_DIGEST_AT) and what each one says (bot.schedule
queues them)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.cards import Card
from bot.filters import SubscriptionFilter
from bot.models import Tool

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_ITEMS = 25  # a digest is a summary; more than this is cut with a count


@dataclass(frozen=True)
class DigestTime:
    """A weekly moment: weekday (0 = Monday), hour, minute, in a time zone."""

    weekday: int
    hour: int
    minute: int
    zone: str = "UTC"

    def __str__(self) -> str:
        return f"{DAYS[self.weekday].capitalize()} {self.hour:02d}:{self.minute:02d} {self.zone}"

    def last(self, now: datetime) -> datetime:
        """The latest such moment at or before `now` (an aware datetime), in UTC. Compared in
        UTC: a time in a skipped hour (spring forward) lies ahead of a wall clock that has
        already passed it, and was once taken for this week's moment twice."""
        zone = ZoneInfo(self.zone)
        at = now.astimezone(UTC)
        local = at.astimezone(zone)
        day = local.date() - timedelta(days=(local.weekday() - self.weekday) % 7)
        for weeks_back in range(3):
            wall = datetime.combine(day - timedelta(weeks=weeks_back),
                                    dt_time(self.hour, self.minute), tzinfo=zone)
            moment = wall.astimezone(UTC)
            if moment <= at:
                return moment
        raise AssertionError("a weekly moment lies within three weeks")


_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _is_day_name(word: str) -> bool:
    """`mon`, `monday` (or any start of it of three letters or more)."""
    return len(word) >= 3 and any(name.startswith(word) for name in _DAY_NAMES)


def parse_digest_at(text: str) -> DigestTime:
    """`mon 09:00` or `fri 16:30 Europe/Berlin` (UTC unless a zone is given)."""
    parts = text.split()
    usage = f"SHIPBOT_DIGEST_AT={text!r}: give a weekday and a time, e.g. `mon 09:00`"
    # A weekday is its name or its first three letters (`mongoose` is not Monday), a time is
    # HH:MM in digits (`+9:+5` is not 09:05).
    day = parts[0].lower() if parts else ""
    if len(parts) not in (2, 3) or day[:3] not in DAYS or not _is_day_name(day):
        raise ValueError(usage)
    try:
        if not re.fullmatch(r"\d{1,2}:\d{2}", parts[1]):
            raise ValueError
        hour, minute = (int(x) for x in parts[1].split(":"))
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError
    except ValueError:
        raise ValueError(usage) from None
    zone = parts[2] if len(parts) == 3 else "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"SHIPBOT_DIGEST_AT: unknown time zone {zone!r}") from None
    return DigestTime(DAYS.index(parts[0][:3].lower()), hour, minute, zone)


def digest_card(lines: list[str], total: int, since: str) -> Card:
    """The digest message: one line per comparison published or changed since `since`."""
    shown = lines[:MAX_ITEMS]
    if total > len(shown):
        shown.append(f"… and {total - len(shown)} more: type `top` or `compare` to see them.")
    plural = "s" if total != 1 else ""
    return Card(kind="info", title=f"Weekly verdicts: {total} comparison{plural} since "
                                   f"{since[:10]}", lines=shown, ephemeral=False)


def matches(raw_filter: str, tools: list[Tool]) -> bool:
    """Whether a subscription's filter takes a comparison of these tools."""
    wanted = SubscriptionFilter.model_validate_json(raw_filter)
    return any(wanted.matches(t) for t in tools)
