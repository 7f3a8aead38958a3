"""A database password never appears in output or logs, whatever shape the URL has (#16)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.storage.engine import display_url, scrub
from shipbot.cli import cli

SECRET = "Hunter2Secret"
URLS = [
    f"postgresql://bob:{SECRET}@127.0.0.1:1/nodb",               # the plain shape
    f"postgresql://127.0.0.1:1/nodb?password={SECRET}",           # in the query
    f"postgresql://:{SECRET}@127.0.0.1:1/nodb",                   # an empty user
    f"postgresql://bob:{SECRET}@x@127.0.0.1:1/nodb",              # an @ in the password
    f"postgresql://bob:{SECRET} two@127.0.0.1:1/nodb",            # a space in it
    f"postgresql://bob:{SECRET}@[::1:1/nodb",                     # a malformed host
    f"POSTGRESQL://bob:{SECRET}@127.0.0.1:1/nodb",                # an upper-case scheme
]


@pytest.mark.parametrize("url", URLS)
def test_no_password_in_what_shipbot_says_or_logs(url: str, tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--db", url, "stats"])
    made = list(tmp_path.iterdir())
    assert 0 != result.exit_code
    assert SECRET not in result.output
    assert SECRET not in caplog.text
    assert "Traceback" not in result.output
    assert "cannot connect to postgresql://" in result.output  # one sentence, the cause
    assert [] == made  # an upper-case scheme is not a SQLite file name


@pytest.mark.parametrize("url", URLS)
def test_the_shown_url_keeps_user_and_host_only(url: str) -> None:
    shown = display_url(url)
    assert SECRET not in shown and "password" not in shown
    assert shown.startswith("postgresql://")
    assert SECRET not in scrub(f"psycopg said: {url} failed", url)


def test_a_wrong_database_fails_at_once_with_the_servers_reason() -> None:
    import time

    from tests.conftest import POSTGRES_URL

    try:
        import psycopg

        psycopg.connect(POSTGRES_URL, connect_timeout=5).close()
    except Exception as exc:  # no server here: CI has one (conftest's rule)
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL}: {exc}")
    wrong = POSTGRES_URL.rsplit("/", 1)[0] + "/no_such_database_here"
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["--db", wrong, "stats"])
    assert time.monotonic() - started < 10  # not the pool's 30 s of retries
    assert 0 != result.exit_code
    assert "no_such_database_here" in result.output and "does not exist" in result.output
