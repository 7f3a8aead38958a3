"""The store's clock: one timestamp format for every row shipbot writes."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> str:
    """Current UTC time as ISO text, the one timestamp format in the store. Microseconds: a
    weekly digest's mark and a comparison published in the same second must still order."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
