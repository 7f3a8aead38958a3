"""Domain models shared by the store, the importer, the core commands and every adapter."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

Verdict = Literal["ship", "skip"]
_SLUG_STRIP = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Turn a display name into a stable lowercase id (`Claude 4 API` -> `claude-4-api`)."""
    return _SLUG_STRIP.sub("-", text.lower()).strip("-")


MAX_REVIEWERS = 20  # a panel, not a crowd
MAX_ALIASES = 50


def _clean_name(value: str) -> str:
    """A name as stored: no control or invisible characters (refused), no surrounding spaces,
    not empty."""
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in value):
        raise ValueError("contains a control or invisible character")
    value = " ".join(value.split())
    if not value:
        raise ValueError("is empty or only spaces")
    return value


def _clean_text(value: str) -> str:
    """Free text as stored: line breaks and tabs are text, other control characters (NUL,
    which PostgreSQL cannot store, escapes, bells) are refused."""
    bad = next((c for c in value if unicodedata.category(c) == "Cc" and c not in "\n\t\r"),
               None)
    if bad is not None:
        raise ValueError(f"contains the control character U+{ord(bad):04X}")
    return value


def _text_date(value: object) -> object:
    """A date must be written as a date: a number would be read as Unix time (`0` is
    1970-01-01), which no page means."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("a date must be written as YYYY-MM-DD, not a number")
    return value


def _not_future(value: date | None) -> date | None:
    """A published or review date cannot lie ahead (a day's grace for time zones)."""
    if value is not None and value > date.today() + timedelta(days=1):
        raise ValueError(f"{value.isoformat()} is in the future")
    return value


class Review(BaseModel):
    """One panel persona's score and ship/skip verdict for one tool."""

    model_config = ConfigDict(extra="forbid")

    persona: str = Field(min_length=1, max_length=40)
    score: int = Field(ge=0, le=100, strict=True)  # strict: `true` is not a score
    verdict: Verdict
    text: str = Field(default="", max_length=4000)

    @field_validator("persona")
    @classmethod
    def _clean_persona(cls, value: str) -> str:
        return _clean_name(value)

    @field_validator("text")
    @classmethod
    def _clean_review_text(cls, value: str) -> str:
        return _clean_text(value)


class Tool(BaseModel):
    """A reviewed AI developer tool."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=120, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1, max_length=200)
    short_name: str = Field(min_length=1, max_length=80)
    vendor: str = Field(default="", max_length=80)
    vendor_initial: str = Field(default="", max_length=2)
    category: str = Field(default="", max_length=80)
    tagline: str = Field(default="", max_length=300)
    best_for: str = Field(default="", max_length=300)
    pricing_model: str = Field(default="", max_length=40)
    pricing_text: str = Field(default="", max_length=600)
    summary: str = Field(default="", max_length=2000)
    aliases: list[str] = Field(default_factory=list, max_length=MAX_ALIASES)
    reviewed: date | None = None
    reviews: list[Review] = Field(default_factory=list, max_length=MAX_REVIEWERS)

    @field_validator("name", "short_name", "vendor")
    @classmethod
    def _clean_names(cls, value: str, info: ValidationInfo) -> str:
        if info.field_name == "vendor" and not value.strip():
            return ""
        return _clean_name(value)

    @field_validator("category", "tagline", "best_for", "pricing_model", "pricing_text",
                     "summary", "vendor_initial")
    @classmethod
    def _clean_texts(cls, value: str) -> str:
        return _clean_text(value)

    @field_validator("reviewed", mode="before")
    @classmethod
    def _reviewed_as_text(cls, value: object) -> object:
        return _text_date(value)

    @field_validator("reviewed")
    @classmethod
    def _reviewed_not_future(cls, value: date | None) -> date | None:
        return _not_future(value)

    @field_validator("aliases")
    @classmethod
    def _clean_aliases(cls, value: list[str]) -> list[str]:
        return [_clean_name(a) for a in value if a.strip()]

    @field_validator("reviews")
    @classmethod
    def _one_review_per_persona(cls, value: list[Review]) -> list[Review]:
        personas = [r.persona.casefold() for r in value]
        repeated = sorted({r.persona for r in value if personas.count(r.persona.casefold()) > 1})
        if repeated:
            raise ValueError(f"more than one review by {', '.join(repeated)} "
                             "(names differing only in case are one reviewer)")
        return value


class Comparison(BaseModel):
    """A published side-by-side of two or more tools."""

    model_config = ConfigDict(extra="forbid")

    tools: list[str] = Field(min_length=2, max_length=4, description="tool ids")
    published: date | None = None
    source: str = Field(default="", max_length=300)
    url: str = Field(default="", max_length=2000, pattern=r"^(https?://\S+)?$",
                     description="the comparison's page on the verdict site (its canonical URL)")

    @field_validator("source")
    @classmethod
    def _clean_source(cls, value: str) -> str:
        return _clean_text(value)

    @field_validator("published", mode="before")
    @classmethod
    def _published_as_text(cls, value: object) -> object:
        return _text_date(value)

    @field_validator("published")
    @classmethod
    def _published_not_future(cls, value: date | None) -> date | None:
        return _not_future(value)

    @field_validator("tools")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) < len(value):
            raise ValueError("a comparison needs different tools")
        return value


class Bundle(BaseModel):
    """The JSON import format: tools (with their reviews) and comparisons between them."""

    model_config = ConfigDict(extra="forbid")

    tools: list[Tool] = Field(default_factory=list)
    comparisons: list[Comparison] = Field(default_factory=list)

    @field_validator("tools")
    @classmethod
    def _each_tool_once(cls, value: list[Tool]) -> list[Tool]:
        ids = [t.id for t in value]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"tool id {', '.join(repeated)} appears more than once; "
                             "give each tool once")
        return value


class Vote(BaseModel):
    """One community member's ship/skip vote on one tool."""

    platform: str
    workspace: str
    user: str
    tool_id: str
    choice: Verdict


class Subscription(BaseModel):
    """A channel's standing request to be told about new verdicts."""

    id: int
    platform: str
    workspace: str
    channel: str
    filter_text: str
    filter_json: str = "{}"
    created_by: str
    created_at: str
    active: bool = True
    disabled_reason: str = ""
    cadence: Literal["instant", "weekly"] = "instant"
    digest_at: str = ""  # weekly: the end of what its last digest covered


class Context(BaseModel):
    """Who is asking and where: every adapter builds one per incoming command."""

    platform: str = "console"
    workspace: str = "local"
    channel: str = "console"
    user: str = "local-user"
    is_dm: bool = False
    can_manage: bool = False  # an adapter must say who may manage a channel's subscriptions
    can_receive: bool = True  # whether this channel can be sent deliveries (not the console)
    # Discord user ids are the same in every server; a Slack user id belongs to its workspace.
    users_global: bool = False

    @property
    def person(self) -> tuple[str, str, str]:
        """(platform, workspace, user) naming this person wherever they type: what a watch is
        kept under, so that `watching` shows the same tools in every channel."""
        return (self.platform, "" if self.users_global else self.workspace, self.user)
