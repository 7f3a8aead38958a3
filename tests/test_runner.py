"""`shipbot run` as a real process: Slack and Discord together, deliveries, clean shutdown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.bootstrap import open_bot
from bot.dispatch import delivery_rows
from bot.models import Context
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.rigs import new_tool_file, run_cli


def test_run_starts_both_platforms_delivers_and_stops_on_sigterm(
        tmp_path: Path, fake: FakeSlack, fake_discord: FakeDiscord) -> None:
    db = tmp_path / "run.db"
    bot = open_bot(db)
    bot.handle("subscribe", Context(platform="slack", workspace="T1", channel="C-RUN", user="U"))
    bot.handle("subscribe", Context(platform="discord", workspace="1", channel="300000000000000999",
                                    user="42"))
    env = {**os.environ, "SHIPBOT_DB": str(db), "SLACK_BOT_TOKEN": "xoxb-run",
           "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": f"{fake.url}/api/",
           "DISCORD_TOKEN": "discord-run", "DISCORD_API_URL": fake_discord.api_url,
           "SHIPBOT_DISPATCH_POLL": "0.2"}
    env.pop("SLACK_APP_TOKEN", None)
    process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", "0"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert fake_discord.wait_for(lambda: bool(fake_discord.of("PUT", r"/commands$")), 30)
        assert fake_discord.identified.wait(30)
        assert 0 == run_cli(db, "publish", str(new_tool_file(tmp_path))).returncode
        assert fake.wait_for(lambda: all(r["status"] == "sent" for r in delivery_rows(bot.store))
                             and len(delivery_rows(bot.store)) == 2, 30)
        assert ["C-RUN"] == [p["channel"] for p in fake.of("chat.postMessage")]
        assert 1 == len(fake_discord.of("POST", r"^/channels/300000000000000999/messages$"))
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert 0 == process.returncode, stderr
    assert "xoxb-run" not in stderr and "discord-run" not in stderr
