"""#16, a first deploy: the image's start command and health check, run as the Dockerfile writes
them but outside Docker (no Docker engine on these machines): a Discord-only replica is healthy
(it serves /healthz without Slack), a Slack one too, and one with no credentials exits at once
with a sentence. What was not tried: building the image and running it under Docker."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def _cmd() -> list[str]:
    """The image's CMD (exec form), listening on a free port instead of 3000."""
    found = re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.MULTILINE)
    assert found, "the Dockerfile has no exec-form CMD"
    command = json.loads(found.group(1))
    assert command[:2] == ["shipbot", "run"]
    return [sys.executable, "-m", "shipbot", *command[1:-1], "0"]  # --port 3000 -> 0


def _healthcheck(port: int) -> subprocess.CompletedProcess[str]:
    """The image's HEALTHCHECK command, on the port the replica took."""
    found = re.search(r"^HEALTHCHECK CMD (.*)$", DOCKERFILE, re.MULTILINE)
    assert found, "the Dockerfile has no HEALTHCHECK"
    command = found.group(1).replace("127.0.0.1:3000", f"127.0.0.1:{port}")
    assert command.startswith("python -c ")
    code = json.loads(command.removeprefix("python -c "))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30)


def _start(env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(_cmd(), env=env, stderr=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, text=True)
    for line in iter(process.stderr.readline, ""):  # type: ignore[union-attr]
        if found := re.search(r"listening on http://0\.0\.0\.0:(\d+)/", line):
            return process, int(found.group(1))
    process.wait(10)
    raise AssertionError(f"the replica did not start (exit {process.returncode})")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "SHIPBOT_DB": str(tmp_path / "image.db"), **extra}
    for key in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "DISCORD_TOKEN"):
        if key not in extra:
            env.pop(key, None)
    return env


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)


def test_a_discord_only_replica_is_healthy(tmp_path: Path, fake_discord: FakeDiscord) -> None:
    process, port = _start(_env(tmp_path, DISCORD_TOKEN="image-token",
                                DISCORD_API_URL=fake_discord.api_url))
    try:
        assert fake_discord.identified.wait(30)
        checked = _healthcheck(port)
        assert 0 == checked.returncode, checked.stderr
    finally:
        _stop(process)


def test_a_slack_replica_is_healthy(tmp_path: Path, fake: FakeSlack) -> None:
    process, port = _start(_env(tmp_path, SLACK_BOT_TOKEN="xoxb-image",
                                SLACK_SIGNING_SECRET="s", SLACK_API_URL=f"{fake.url}/api/"))
    try:
        checked = _healthcheck(port)
        assert 0 == checked.returncode, checked.stderr
    finally:
        _stop(process)


def test_no_credentials_exits_at_once_with_a_sentence(tmp_path: Path) -> None:
    done = subprocess.run(_cmd(), env=_env(tmp_path), capture_output=True, text=True,
                          timeout=60)
    assert 2 == done.returncode
    assert "No platform credentials are set" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_image_installs_pinned_dependencies() -> None:
    """Every runtime dependency the image installs has a pinned version in constraints.txt."""
    assert "-c constraints.txt" in DOCKERFILE
    pins = dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    for needed in ("discord.py", "slack_bolt", "slack_sdk", "psycopg", "pydantic", "aiohttp",
                   "sqlite-utils", "RapidFuzz", "click", "feedparser", "defusedxml"):
        assert needed in pins, needed
