"""#16, a first deploy: every `shipbot …` command the README names runs as printed, with its
placeholders (FILE, A, ID, …) filled in, against a fresh store: no traceback, and the exit
code the README promises. The commands that start servers or reach the network are run by the
tests named beside them instead, never here (no test reaches the internet)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run elsewhere, with fakes on 127.0.0.1: what they would reach here is a server or the web.
ELSEWHERE = {
    "run": "tests/test_runner.py, test_delivery.py and test_replicas.py start it against fakes",
    "console": "tests/test_cli.py drives it, tests/test_card_truth.py on a pty",
    "sync": "tests/test_sources.py runs a pass against the fake site",
    "--db": "tests/test_copy.py copies into a new SQLite file and a PostgreSQL schema",
}


def readme_commands() -> list[str]:
    """Every distinct `shipbot …` the README shows, optional parts dropped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for raw in re.findall(r"`shipbot ([^`]+)`", text):
        command = re.sub(r"\s*\[[^\]]*\]", "", raw).replace("…", "").strip()
        if command not in found:
            found.append(command)
    # A bare name in the prose (`shipbot import` warns …) stands for its fuller form.
    return [c for c in found if not any(o != c and o.startswith(c + " ") for o in found)]


def _filled(command: str, tool_file: Path) -> list[str]:
    """A command's placeholders made real."""
    values = {"FILE...": str(tool_file), "FILE": str(tool_file), "A": "claude", "B": "azure",
              "Q": "voice", "ID": "1", "WORDS": "some words", "URL": "https://site.example/x"}
    words: list[str] = []
    for word in command.split():
        words += values.get(word, word).split() if word == "WORDS" else [values.get(word, word)]
    return words


def test_every_readme_command_runs_as_printed(tmp_path: Path) -> None:
    from tests.rigs import new_tool_file

    tool_file = new_tool_file(tmp_path)
    commands = readme_commands()
    assert len(commands) >= 20  # the scan sees the README
    env = {**os.environ, "SHIPBOT_DB": str(tmp_path / "readme.db"),
           "DISCORD_APPLICATION_ID": "123456789012345678"}
    for key in ("SLACK_BOT_TOKEN", "DISCORD_TOKEN", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID"):
        env.pop(key, None)
    ran = []
    # Order as a new user would: the store fills on first use; sources added before removed.
    for command in sorted(commands, key=lambda c: (2 if "remove" in c else "resume" in c, c)):
        first = command.split()[0]
        if first in ELSEWHERE:
            continue
        done = subprocess.run([sys.executable, "-m", "shipbot", *_filled(command, tool_file)],
                              env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert "Traceback" not in done.stderr, (command, done.stderr)
        # `aliases remove` of words nobody taught, and compare-style lookups that ask, say
        # so with exit 1, as the README's table promises; everything else succeeds.
        allowed = (0, 1) if first == "aliases" else (0,)
        assert done.returncode in allowed, (command, done.returncode, done.stdout, done.stderr)
        assert (done.stdout + done.stderr).strip(), command
        ran.append(command)
    assert {"compare A B", "import FILE...", "publish FILE...", "digest --now", "schema",
            "slack manifest --http https://bot.example.com",
            "sources add https://site.example/feed.xml --every 1h", "sources remove ID",
            "discord invite-url"} <= set(ran)
