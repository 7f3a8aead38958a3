"""Every setting is bounded (#16): a value that would stop, spin or exhaust a replica is
refused at start with a sentence naming the variable, and nothing runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from shipbot.cli import cli


@pytest.mark.parametrize(("name", "value"), [
    ("SHIPBOT_DISPATCH_POLL", "inf"), ("SHIPBOT_DISPATCH_POLL", "nan"),
    ("SHIPBOT_DISPATCH_POLL", "0"), ("SHIPBOT_DISPATCH_POLL", "-5"),
    ("SHIPBOT_HEAL_DAYS", "inf"), ("SHIPBOT_HEAL_RATE", "nan"),
    ("SHIPBOT_DIGEST_AT", "mongoose 09:00"), ("SHIPBOT_DIGEST_AT", "fri +9:+5"),
])
def test_a_setting_out_of_bounds_is_refused(tmp_path: Path, name: str, value: str) -> None:
    result = CliRunner(env={name: value}).invoke(cli, ["--db", str(tmp_path / "a.db"), "stats"])
    assert 2 == result.exit_code, result.output
    assert name in result.output and "bad setting" in result.output
    assert not (tmp_path / "a.db").exists()  # nothing ran


def test_a_huge_shard_range_is_refused_at_once(tmp_path: Path) -> None:
    env = {"DISCORD_SHARD_IDS": "0-100000000", "DISCORD_SHARD_COUNT": "100000001"}
    result = CliRunner(env=env).invoke(cli, ["--db", str(tmp_path / "a.db"), "stats"])
    assert 2 == result.exit_code
    assert "DISCORD_SHARD" in result.output


def test_a_whole_weekday_name_is_a_weekday() -> None:
    from bot.digest import parse_digest_at

    monday, tuesday = parse_digest_at("Monday 9:30"), parse_digest_at("tues 10:00")
    assert (0, 9, 30) == (monday.weekday, monday.hour, monday.minute)
    assert (1, 10, 0) == (tuesday.weekday, tuesday.hour, tuesday.minute)


def test_slack_oauth_needs_its_id_and_secret_together(tmp_path: Path) -> None:
    result = CliRunner(env={"SLACK_CLIENT_ID": "123.456"}).invoke(
        cli, ["--db", str(tmp_path / "a.db"), "stats"])
    assert 2 == result.exit_code and "SLACK_CLIENT_SECRET is not set" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("url", ["https://bot.example.com", "https://bot.example.com/",
                                 "https://bot.example.com/slack/events"])
def test_the_manifest_takes_the_base_or_the_request_url(url: str) -> None:
    import json

    out = CliRunner().invoke(cli, ["slack", "manifest", "--http", url])
    assert 0 == out.exit_code, out.output
    settings = json.loads(out.output)["settings"]
    assert "https://bot.example.com/slack/events" == settings["event_subscriptions"][
        "request_url"]


@pytest.mark.parametrize("url", ["https://bot example.com", "http://bot.example.com",
                                 "https://bot.example.com/slack/install",
                                 "https://bot.example.com/?a=1"])
def test_the_manifest_refuses_other_urls(url: str) -> None:
    out = CliRunner().invoke(cli, ["slack", "manifest", "--http", url])
    assert 2 == out.exit_code and "--http needs the public HTTPS address" in out.output


def test_install_states_are_bounded(empty_store: object) -> None:
    from bot.storage.installations import MAX_STATES

    rows = empty_store.installations  # type: ignore[attr-defined]
    for _ in range(MAX_STATES + 50):
        rows.issue_state(600)
    count = empty_store.db.execute("SELECT COUNT(*) FROM oauth_states").rows[0][0]  # type: ignore[attr-defined]
    assert MAX_STATES == count


def test_a_digest_in_a_skipped_hour_falls_due_once_a_week() -> None:
    """#16: `sun 02:30 Europe/Berlin` on the night clocks spring forward (02:00 -> 03:00 on
    2027-03-28) came due twice: the moment computed lay after the wall clock."""
    from datetime import UTC, datetime, timedelta

    from bot.digest import parse_digest_at

    when = parse_digest_at("sun 02:30 Europe/Berlin")
    start = datetime(2027, 3, 27, 22, 0, tzinfo=UTC)
    moments = []
    for minute in range(0, 6 * 60, 5):  # through the night, every five minutes
        now = start + timedelta(minutes=minute)
        moment = when.last(now)
        assert moment <= now
        moments.append(moment)
    assert moments == sorted(moments)
    assert 2 == len(set(moments))  # last week's, then this week's once
