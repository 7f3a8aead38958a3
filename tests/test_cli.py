"""The CLI through CliRunner, and once through the installed `shipbot` as a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bot.store import SCHEMA_VERSION, Store
from shipbot.cli import cli


def _run(db: Path, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--db", str(db), *args], input=stdin)


def test_compare_prints_card_and_exits_0(tmp_path: Path) -> None:
    result = _run(tmp_path / "a.db", "compare", "claude", "azure")
    assert 0 == result.exit_code, result.output
    assert result.output.startswith("== Claude 4 API vs Azure AI Foundry ==")
    assert ">> Ship Claude 4 API (margin 5.6 points)" in result.output


def test_not_found_exits_1_and_usage_exits_2(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    missing = _run(db, "verdict", "qqqzzz")
    assert 1 == missing.exit_code
    assert "I couldn't find a tool called “qqqzzz”" in missing.output
    assert 2 == _run(db, "compare", "claude").exit_code
    assert 2 == _run(db, "compare").exit_code  # click: missing argument


def test_stats_and_import(tmp_path: Path, seed_path: Path) -> None:
    db = tmp_path / "a.db"
    imported = _run(db, "import", str(seed_path))
    assert 0 == imported.exit_code, imported.output
    assert "0 new tool(s)" in imported.output  # the bundled data already holds both
    assert ["tools         2", "reviews       8", "comparisons   1", "votes         0",
            "subscriptions 0", "watches       0", "decisions     0"] == _run(
                db, "stats").output.splitlines()


def test_import_failure_is_reported_and_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    bad = tmp_path / "bad.json"
    bad.write_text('{"tools": [{"id": "x"}]}')
    result = _run(db, "import", str(bad))
    assert 1 == result.exit_code
    assert "bad.json: line 1: tools.0.name: Field required" in result.output
    assert "Nothing was imported." in result.output
    assert "tools         2" == _run(db, "stats").output.splitlines()[0]


def test_newer_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    Store.open(db).db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    result = _run(db, "stats")
    assert 1 == result.exit_code
    assert "written by a newer shipbot" in result.output


def test_console_reads_piped_input_and_votes_locally(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    script = "/compare claude azure\nvote azure ship\ncompare claude azure\nquit\nhelp\n"
    result = _run(db, "console", stdin=script)
    assert 0 == result.exit_code
    cards = result.output.split("\n\n== ")
    assert "No community votes yet" in cards[0]
    assert "Community now: 1 ship / 0 skip." in result.output
    assert "1 ship / 0 skip" in cards[-1]
    assert "compare <tool> <tool>" not in result.output  # nothing after quit runs
    assert "votes         1" in _run(db, "stats").output


def test_installed_console_script(tmp_path: Path) -> None:
    exe = shutil.which("shipbot", path=os.path.dirname(sys.executable)) or shutil.which("shipbot")
    assert exe, "the shipbot console script is not installed"
    env = {**os.environ, "SHIPBOT_DB": str(tmp_path / "sub.db")}
    done = subprocess.run([exe, "compare", "claude", "vs", "azure"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert 0 == done.returncode, done.stderr
    assert "Ship Claude 4 API" in done.stdout
    assert (tmp_path / "sub.db").exists()
    module = subprocess.run([sys.executable, "-m", "shipbot", "verdict", "nothing-like-this"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert 1 == module.returncode


def test_run_without_credentials_says_what_to_set(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "DISCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    result = _run(tmp_path / "a.db", "run")
    assert 2 == result.exit_code
    assert "No platform credentials are set" in result.output
    assert "shipbot console" in result.output


def test_secrets_never_print(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from adapters.settings import Settings

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("DISCORD_TOKEN", "discord-very-secret")
    settings = Settings()
    assert "xoxb-very-secret" == settings.slack_bot_token.get_secret_value()  # type: ignore[union-attr]
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert "very-secret" not in shown


def test_slack_http_mode_refuses_to_run_unverified(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name in ("SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "DISCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    result = _run(tmp_path / "a.db", "run")
    assert 2 == result.exit_code
    assert "needs SLACK_SIGNING_SECRET" in result.output
    assert "xoxb-test" not in result.output


def test_a_default_location_that_cannot_be_made_is_a_sentence(tmp_path: Path) -> None:
    """#16: a home directory where the default folder cannot be created gave a traceback."""
    blocker = tmp_path / "home"
    blocker.write_text("a file where a folder should be")
    result = CliRunner(env={"HOME": str(blocker), "SHIPBOT_DB": ""}).invoke(cli, ["stats"])
    assert 1 == result.exit_code
    assert "cannot create the database folder" in result.output
    assert "set SHIPBOT_DB or pass --db" in result.output
    assert "Traceback" not in result.output


def test_the_readme_json_example_imports_as_written(tmp_path: Path) -> None:
    """#16: the README's JSON example failed as printed (its comparison named a tool it did
    not give)."""
    import re

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```json\n(.*?)```", readme, re.S)
    path = tmp_path / "example.json"
    path.write_text(example, encoding="utf-8")
    result = _run(tmp_path / "a.db", "import", str(path))
    assert 0 == result.exit_code, result.output
    assert "2 new tool(s)" in result.output and "1 comparison(s)" in result.output
    card = _run(tmp_path / "a.db", "compare", "my tool", "other tool")
    assert 0 == card.exit_code and "Published 2026-11-30" in card.output
