"""Configuration: one pydantic-settings class, read from the environment once at start-up by
shipbot/ and passed down. It lives with the adapters because most of it is theirs (tokens,
API URLs, shards); the core takes plain arguments (a store, a stale age) and never reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.digest import DigestTime, parse_digest_at


def default_db_path() -> Path:
    """Where the database lives when neither --db nor SHIPBOT_DB says: ~/.local/share/shipbot."""
    return Path.home() / ".local" / "share" / "shipbot" / "shipbot.db"


MAX_SHARDS = 10_000  # Discord's largest bots run thousands of shards; nobody runs more


class Settings(BaseSettings):
    """Every setting shipbot reads; secrets are SecretStr so they never print."""

    # An empty variable (SHIPBOT_DB=, DISCORD_APPLICATION_ID=) means unset: the default.
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True,
                                      env_ignore_empty=True)

    # A SQLite file path, or a postgresql:// URL shared by replicas; empty means the default.
    shipbot_db: str = Field(default_factory=lambda: str(default_db_path()))
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    discord_token: SecretStr | None = None
    discord_api_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str | None = None
    discord_guild_id: int | None = None
    discord_application_id: int | None = None
    # Which gateway shards this replica holds (`0-3`, `0,2`) out of how many in all; unset:
    # every shard, in one process.
    discord_shard_ids: str | None = None
    discord_shard_count: int | None = Field(default=None, ge=1, le=MAX_SHARDS)
    # Who may subscribe and unsubscribe a Slack channel: anyone in it, or only workspace admins
    # and owners (checked with users.info); anyone may remove a subscription they made.
    slack_managers: Literal["anyone", "admins"] = Field(default="anyone",
                                                        alias="SHIPBOT_SLACK_MANAGERS")
    # Learned aliases: this many people in one workspace pick the same did-you-mean choice after
    # typing the same words; learned everywhere once that happened in this many workspaces.
    learn_users: int = Field(default=3, ge=1, le=1000, alias="SHIPBOT_LEARN_USERS")
    learn_workspaces: int = Field(default=3, ge=1, le=1000, alias="SHIPBOT_LEARN_WORKSPACES")
    learn_people: int = Field(default=10, ge=1, le=100000, alias="SHIPBOT_LEARN_PEOPLE")
    # Seconds the dispatcher waits when nothing is due: finite and bounded (inf stopped it for
    # good while /healthz said all was well; 0, negatives and nan spun a core).
    dispatch_poll_seconds: float = Field(default=2.0, ge=0.05, le=3600, allow_inf_nan=False,
                                         alias="SHIPBOT_DISPATCH_POLL")
    # On start (and, on Discord, after a gateway session that could not be resumed) a replica
    # re-reads the reactions on cards this recent and corrects the store; at most this many
    # platform reads a second.
    heal_days: float = Field(default=7.0, ge=0, le=365, allow_inf_nan=False,
                             alias="SHIPBOT_HEAL_DAYS")
    heal_rate: float = Field(default=1.0, gt=0, le=1000, allow_inf_nan=False,
                             alias="SHIPBOT_HEAL_RATE")
    # Threads that run blocking core and store work for the event loop (per replica).
    store_threads: int = Field(default=8, ge=1, le=64, alias="SHIPBOT_STORE_THREADS")
    # When weekly digests go out: a weekday and a time, UTC unless a zone follows.
    digest_at: str = Field(default="mon 09:00", alias="SHIPBOT_DIGEST_AT")
    # A verdict older than this many days (from the later of published and reviewed) is stale.
    stale_days: int = Field(default=180, ge=1, le=100000, alias="SHIPBOT_STALE_DAYS")

    # Following the verdict site: the largest response read, and failures in a row before a
    # source is paused (`shipbot sources resume ID` starts it again).
    sync_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=1024 ** 3,
                                alias="SHIPBOT_SYNC_MAX_BYTES")
    sync_failures: int = Field(default=10, ge=1, le=1000, alias="SHIPBOT_SYNC_FAILURES")
    # How often a replica looks for due sources (each source has its own --every).
    sync_poll_seconds: float = Field(default=30.0, ge=0.1, le=3600, allow_inf_nan=False,
                                     alias="SHIPBOT_SYNC_POLL")

    @field_validator("digest_at")
    @classmethod
    def _valid_digest_at(cls, value: str) -> str:
        parse_digest_at(value)
        return value

    def digest_time(self) -> DigestTime:
        """SHIPBOT_DIGEST_AT, parsed."""
        return parse_digest_at(self.digest_at)

    @field_validator("shipbot_db", mode="before")
    @classmethod
    def _default_when_empty(cls, value: object) -> str:
        return str(value) if value not in (None, "") else str(default_db_path())

    @field_validator("discord_shard_ids")
    @classmethod
    def _valid_shard_ids(cls, value: str | None) -> str | None:
        if value:
            parse_shard_ids(value)
        return value or None

    @model_validator(mode="after")
    def _oauth_needs_both(self) -> Settings:
        if bool(self.slack_client_id) != bool(self.slack_client_secret):
            missing = "SLACK_CLIENT_SECRET" if self.slack_client_id else "SLACK_CLIENT_ID"
            raise ValueError(f"Slack OAuth needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
                             f"together; {missing} is not set")
        return self

    @model_validator(mode="after")
    def _shards_need_a_count(self) -> Settings:
        ids = self.shard_ids()
        if ids is not None and self.discord_shard_count is None:
            raise ValueError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the total number of "
                             "shards across every replica)")
        if ids is not None and max(ids) >= (self.discord_shard_count or 0):
            raise ValueError(f"DISCORD_SHARD_IDS names shard {max(ids)}, but "
                             f"DISCORD_SHARD_COUNT is {self.discord_shard_count} (shards are "
                             "numbered from 0)")
        return self

    def shard_ids(self) -> list[int] | None:
        """The shards this replica holds, or None for all of them."""
        return parse_shard_ids(self.discord_shard_ids) if self.discord_shard_ids else None


def parse_shard_ids(text: str) -> list[int]:
    """`0-3` -> [0, 1, 2, 3]; `0,2` -> [0, 2]; `0-1,4` -> [0, 1, 4]. Bounded before anything
    is built (`0-100000000` once took 9 GB before failing)."""
    ids: set[int] = set()
    for part in text.replace(" ", "").split(",")[:MAX_SHARDS]:
        first, _, last = part.partition("-")
        if not (first.isascii() and first.isdigit()) or (
                last and not (last.isascii() and last.isdigit())):
            raise ValueError(f"DISCORD_SHARD_IDS must look like 0-3 or 0,2, not {text[:40]!r}")
        if len(first) > 6 or len(last) > 6:
            raise ValueError(f"DISCORD_SHARD_IDS names a shard over {MAX_SHARDS - 1}")
        start, end = int(first), int(last or first)
        if end < start:
            raise ValueError(f"DISCORD_SHARD_IDS range {part} runs backwards")
        if end >= MAX_SHARDS:
            raise ValueError(f"DISCORD_SHARD_IDS names shard {end}; shards run from 0 to "
                             f"{MAX_SHARDS - 1} at most")
        ids.update(range(start, end + 1))
    return sorted(ids)
