"""Small frictions a new user met: each answered with what is wrong and what to do."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from shipbot.cli import cli


def _cli(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env=env)


def test_manifest_needs_a_real_https_address() -> None:
    for bad in ("bot.example.com", "", "http://bot.example.com", "https://", "https://x/?a=1"):
        result = _cli("slack", "manifest", "--http", bad)
        assert 2 == result.exit_code, bad
        assert "public HTTPS address" in result.output
    good = _cli("slack", "manifest", "--http", "https://bot.example.com/")
    assert 0 == good.exit_code
    manifest = json.loads(good.output)
    assert "https://bot.example.com/slack/events" == manifest["settings"]["interactivity"][
        "request_url"]


def test_invite_url_says_when_the_token_is_not_a_bot_token() -> None:
    result = _cli("discord", "invite-url", env={"DISCORD_TOKEN": "not-a-token",
                                                "DISCORD_APPLICATION_ID": ""})
    assert 2 == result.exit_code
    assert "does not look like a bot token" in result.output


def test_a_db_in_a_missing_folder_is_refused_not_created(tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "x.db"
    result = _cli("--db", str(target), "stats")
    assert 1 == result.exit_code
    assert "does not exist" in result.output
    assert not target.parent.exists()


def test_empty_shipbot_db_means_the_default(tmp_path: Path) -> None:
    result = _cli("stats", env={"SHIPBOT_DB": "", "HOME": str(tmp_path)})
    assert 0 == result.exit_code, result.output
    assert (tmp_path / ".local" / "share" / "shipbot" / "shipbot.db").exists()


def test_a_huge_number_is_refused_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    path.write_text('{"tools": [{"id": "x", "name": "X", "short_name": "X", "reviews": '
                    '[{"persona": "A", "score": ' + "9" * 5000 + ', "verdict": "ship"}]}]}')
    result = _cli("--db", str(tmp_path / "a.db"), "import", str(path))
    assert 1 == result.exit_code
    assert f"{path}: invalid JSON" in result.output and "Traceback" not in result.output


def test_importing_several_files_into_a_pipe_prints_no_progress(tmp_path: Path) -> None:
    files = []
    for n in range(2):
        path = tmp_path / f"t{n}.json"
        path.write_text(json.dumps({"tools": [{"id": f"t{n}", "name": f"T{n}",
                                               "short_name": f"T{n}"}]}))
        files.append(str(path))
    result = _cli("--db", str(tmp_path / "a.db"), "import", *files)
    assert 0 == result.exit_code
    assert "Reading" not in result.output
    assert "Imported 2 file(s): 2 new tool(s)" in result.output


def test_the_console_cannot_subscribe(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "console"], input="subscribe\n")
    assert "posted to a Slack or Discord channel" in result.output
    assert "No subscriptions." in _cli("--db", str(db), "subscriptions").output
