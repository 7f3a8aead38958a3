"""Issue #17's card classes: dates and numbers that mean what they say, wording that matches
the panel, and a console card that fits its terminal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from bot.commands import ShipBot
from bot.decision import decide, panel_verdict
from bot.render_text import render_text
from shipbot.cli import cli
from tests.conftest import add_tools, make_tool
from tests.test_features import comparison_file, slack

TODAY = datetime.now(UTC).date()


def _days_ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def test_a_date_from_the_data_is_published_else_added(bot: ShipBot, tmp_path: Path) -> None:
    from bot.publishing import publish_files

    publish_files(bot.cards, [comparison_file(tmp_path, "a", {"old-one": 80, "old-two": 70},
                                        published="2025-01-10")])
    assert bot.handle("compare old one vs old two", slack()).footer.startswith(
        "Stale · Published 2025-01-10")
    # the bundled comparison's data has no date: when shipbot added it, never "Published"
    bundled = bot.handle("compare claude azure", slack())
    assert bundled.footer.startswith(f"Added {TODAY}") and "Published" not in bundled.footer
    assert bot.handle("verdict claude", slack()).footer.startswith(f"Added {TODAY}")


def test_tools_never_compared_together_say_so(bot: ShipBot, tmp_path: Path) -> None:
    from bot.publishing import publish_files

    publish_files(bot.cards, [comparison_file(tmp_path, "a", {"tool-one": 80, "tool-two": 70},
                                        published=_days_ago(3))])
    card = bot.handle("compare claude vs tool one", slack())
    assert "compare" == card.kind
    assert card.footer.startswith("Never compared together")
    assert "Published" not in card.footer and "Added" not in card.footer


def test_age_comes_from_the_newest_verdict_and_dates_are_recomputed(
        bot: ShipBot, tmp_path: Path) -> None:
    from bot.publishing import publish_files

    publish_files(bot.cards, [comparison_file(tmp_path, "old", {"tool-one": 80, "tool-two": 70},
                                        published="2024-01-10")])
    assert any("Tool One" in x and "stale" in x for x in bot.handle("top", slack()).lines)
    # republished yesterday in a new comparison: a day old, not "686 days old · stale"
    publish_files(bot.cards, [comparison_file(tmp_path, "new", {"tool-one": 80, "tool-three": 60},
                                        published=_days_ago(1))])
    line = next(x for x in bot.handle("top", slack()).lines if "Tool One" in x)
    assert line.endswith("· 1 day old"), line
    assert "1 day old" in bot.handle("search tool one", slack()).lines[0]
    assert f"Published {_days_ago(1)}" in bot.handle("verdict tool one", slack()).footer
    # a corrected date moves the tool's date either way
    publish_files(bot.cards, [comparison_file(tmp_path, "fix", {"tool-one": 80, "tool-three": 60},
                                        published=_days_ago(10))])
    assert f"Published {_days_ago(10)}" in bot.handle("verdict tool one", slack()).footer


def test_one_number_format_everywhere(bot: ShipBot) -> None:
    add_tools(bot.store, make_tool("Even One", (80, 80, 80, 80)),
              make_tool("Even Two", (70, 70, 70, 70)))
    card = bot.handle("compare even one vs even two", slack())
    # every surface: the console, Slack's blocks and Discord's embed
    import json

    from adapters.discord.embeds import render_embed
    from adapters.slack.blocks import render

    for shown in (json.dumps(render(card)[0], ensure_ascii=False),
                  json.dumps(render_embed(card).to_dict(), ensure_ascii=False)):
        assert "(mean 80.0)" in shown and "(mean 70.0)" in shown
        assert "margin 8.0 points" in shown and "panel mean 80.0 vs 70.0" in shown
    text = render_text(card)
    assert "panel mean 80.0 vs 70.0" in " ".join(text.split())
    assert "(margin 8.0 points)" in text
    assert "Mean      ████████░░ 80.0" in text


def test_a_split_panel_is_split_and_never_ship() -> None:
    split = make_tool("Halves", (80, 80, 60, 60), verdicts="sskk")
    assert "split" == panel_verdict(split.reviews)
    other = make_tool("Skipper", (50, 50, 50, 50), verdicts="kkkk")
    decision = decide([split, other], {})
    assert "halves" == decision.pick
    assert "Halves leads, but its panel is split" == decision.headline
    from bot.cards import column_for

    assert "Split · 2 ship / 2 skip" == column_for(split, "A", (0, 0)).panel_line


def test_the_recommendation_says_ship_only_where_the_panel_ships() -> None:
    shipper = make_tool("Shipper", (90, 90, 90, 90))
    assert "Ship Shipper" == decide([shipper, make_tool("Low", (40, 40, 40, 40))], {}).headline
    low = make_tool("Skip Low", (40, 40, 40, 40), verdicts="kkkk")
    high = make_tool("Skip High", (70, 70, 70, 70), verdicts="kkkk")
    assert "Neither ships; Skip High scores higher" == decide([low, high], {}).headline
    third = make_tool("Skip Mid", (55, 55, 55, 55), verdicts="kkkk")
    assert "None of them ships; Skip High scores highest" == decide([low, high, third],
                                                                    {}).headline


def test_the_scorecard_names_its_columns_and_pricing_shows_once(bot: ShipBot) -> None:
    text = render_text(bot.handle("compare claude azure", slack()))
    lines = text.splitlines()
    head = lines[lines.index("Reviewer scorecard") + 1]
    assert "[A] Claude 4 API" in head and "[B] Azure AI Found" in head
    assert 1 == sum(line.startswith("Pricing A:") for line in lines)
    assert not any(line.startswith("Pricing ") and "|" in line for line in lines)


def _four(bot: ShipBot) -> ShipBot:
    add_tools(bot.store, *(make_tool(n, (s, s, s, s)) for n, s in
                           (("Alpha Tool", 70), ("Beta Tool", 65))))
    return bot


def test_a_wide_card_stacks_at_80_columns_and_spreads_on_a_wide_terminal(bot: ShipBot) -> None:
    card = _four(bot).handle("compare claude vs azure vs alpha tool vs beta tool", slack())
    narrow = render_text(card, 80)
    assert all(len(line) <= 80 and line == line.rstrip() for line in narrow.splitlines())
    assert "[C] Alpha Tool" in narrow.splitlines()  # a block per tool, its head alone
    wide = render_text(card, 200)
    assert any("[A] Claude 4 API" in line and "[D] Beta Tool" in line
               for line in wide.splitlines())
    assert all(len(line) <= 200 for line in wide.splitlines())


def test_piped_output_is_a_fixed_80_columns(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["--db", str(tmp_path / "a.db"), "compare", "claude",
                                   "azure"]).output
    assert max(len(line) for line in out.splitlines()) <= 80
    assert all(line == line.rstrip() for line in out.splitlines())


def test_console_subscriptions_does_not_invite_a_refused_subscribe(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["--db", str(tmp_path / "a.db"), "console"],
                             input="subscriptions\n").output
    flat = " ".join(out.split())
    assert "Type `subscribe` to get new verdicts here" not in flat
    assert "this console cannot receive them" in flat


def test_publish_says_one_sentence_per_comparison(tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    page = comparison_file(tmp_path, "p", {"tool-one": 80, "tool-two": 70})
    dry = CliRunner().invoke(cli, ["--db", db, "publish", "--dry-run", str(page)]).output
    assert ["Tool One vs Tool Two: new verdict; it would go to 0 subscribed channels and 0 "
            "watchers.", "Would queue 0 deliveries."] == dry.splitlines()
    done = CliRunner().invoke(cli, ["--db", db, "publish", str(page)]).output
    assert done.splitlines()[-1] == "Queued 0 deliveries."
    again = CliRunner().invoke(cli, ["--db", db, "publish", str(page)]).output
    assert ["Nothing new or changed: no deliveries queued."] == again.splitlines()


def test_ctrl_d_ends_the_console_on_a_fresh_line(tmp_path: Path) -> None:
    """At a real terminal (a pseudo-terminal here), Ctrl-D leaves the shell's prompt on a line
    of its own."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    primary, secondary = pty.openpty()
    env = {**os.environ, "HOME": str(tmp_path), "TERM": "dumb"}
    proc = subprocess.Popen([sys.executable, "-m", "shipbot", "--db", str(tmp_path / "a.db"),
                             "console"], stdin=secondary, stdout=secondary, stderr=secondary,
                            env=env, close_fds=True)
    os.close(secondary)
    seen = b""
    deadline = time.monotonic() + 30

    def read_until(marker: bytes) -> None:
        nonlocal seen
        while marker not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(primary, 4096)
                except OSError:
                    return
    try:
        read_until(b"shipbot> ")
        os.write(primary, b"\x04")  # Ctrl-D
        assert 0 == proc.wait(timeout=30)
        read_until(b"\n" * 99)  # whatever is left, to the deadline or the end
    finally:
        proc.kill()
        os.close(primary)
    assert seen.rstrip(b" ").endswith(b"shipbot> \r\n") or seen.endswith(b"\n"), seen[-40:]
    assert not seen.endswith(b"shipbot> ")
