"""Numbered schema migrations, applied in order when the store opens (version in PRAGMA user_version)."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[Migration] = []
migration = MIGRATIONS.append


@migration
def m001_initial(db: sqlite_utils.Database) -> None:
    """Tools, aliases, reviews, comparisons, votes, card messages, subscriptions, deliveries."""
    db.table("tools").create(
        {
            "id": str, "name": str, "short_name": str, "vendor": str, "vendor_initial": str,
            "category": str, "tagline": str, "best_for": str, "pricing_model": str,
            "pricing_text": str, "summary": str, "reviewed": str, "updated_at": str,
        },
        pk="id",
    )
    db.table("aliases").create({"alias": str, "tool_id": str}, pk=("alias", "tool_id"))
    db.table("aliases").create_index(["tool_id"])
    db.table("reviews").create(
        {"tool_id": str, "persona": str, "score": int, "verdict": str, "text": str},
        pk=("tool_id", "persona"),
    )
    db.table("comparisons").create(
        {"id": str, "tool_ids": str, "published": str, "source": str}, pk="id"
    )
    db.table("votes").create(
        {"platform": str, "workspace": str, "user": str, "tool_id": str, "choice": str,
         "updated_at": str},
        pk=("platform", "workspace", "user", "tool_id"),
    )
    db.table("votes").create_index(["tool_id", "choice"])
    db.table("card_messages").create(
        {"platform": str, "channel": str, "message_id": str, "workspace": str, "kind": str,
         "tool_ids": str, "created_at": str},
        pk=("platform", "channel", "message_id"),
    )
    db.table("subscriptions").create(
        {"id": int, "platform": str, "workspace": str, "channel": str, "filter_json": str,
         "filter_text": str, "created_by": str, "created_at": str, "active": int,
         "disabled_reason": str, "failures": int},
        pk="id",
    )
    db.table("subscriptions").create_index(
        ["platform", "workspace", "channel", "filter_text"], unique=True
    )
    db.table("publications").create(
        {"id": int, "subject": str, "tool_ids": str, "card_json": str, "created_at": str},
        pk="id",
    )
    db.table("deliveries").create(
        {"id": int, "publication_id": int, "subscription_id": int, "platform": str,
         "workspace": str, "channel": str, "status": str, "attempts": int,
         "next_attempt_at": float, "claimed_until": float, "last_error": str,
         "message_id": str, "created_at": str, "sent_at": str},
        pk="id", foreign_keys=[("publication_id", "publications", "id")],
    )
    db.table("deliveries").create_index(["status", "platform", "next_attempt_at"])
    db.table("deliveries").create_index(["subscription_id", "publication_id"], unique=True)
    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.table("meta").insert({"key": "catalog_version", "value": "0"})


@migration
def m002_seen_events(db: sqlite_utils.Database) -> None:
    """Platform event ids already handled, so a retried delivery is not counted twice."""
    db.table("seen_events").create({"platform": str, "event_id": str, "seen_at": str},
                             pk=("platform", "event_id"))


@migration
def m003_alias_picks(db: sqlite_utils.Database) -> None:
    """Did-you-mean picks (one per person and typed words) from which aliases are learned, and
    the learned aliases an operator removed, which are never learned again."""
    db.table("alias_picks").create(
        {"platform": str, "workspace": str, "user": str, "words": str, "typed": str,
         "tool_id": str, "picked_at": str},
        pk=("platform", "workspace", "user", "words"),
    )
    db.table("alias_picks").create_index(["words", "tool_id"])
    db.table("alias_blocks").create(
        {"words": str, "tool_id": str, "removed_by": str, "removed_at": str},
        pk=("words", "tool_id"),
    )
    db.table("meta").insert({"key": "aliases_version", "value": "0"})
