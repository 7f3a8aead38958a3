"""The console chat: a terminal conversation with the core, no tokens needed."""

from __future__ import annotations

import atexit
import contextlib
import getpass
import shutil
import sys
from pathlib import Path
from typing import TextIO

from bot.cards import Card, Choice
from bot.commands import ShipBot
from bot.models import Context
from bot.render_text import WIDTH, render_text

PROMPT = "shipbot> "
_QUIT = {"quit", "exit", "/quit", "/exit", ":q"}


def console_context() -> Context:
    """The local user, voting as themselves on the console platform."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "local-user"
    return Context(platform="console", workspace="local", channel="console", user=user,
                   can_manage=True,  # the person at the terminal owns it
                   can_receive=False)  # but nothing can post new verdicts into a terminal


def text_width(stream: TextIO) -> int:
    """The terminal's width when `stream` is one; a fixed 80 when piped, so scripts and logs
    see the same layout every time."""
    if stream.isatty():
        return shutil.get_terminal_size((WIDTH, 24)).columns
    return WIDTH


def _enable_history() -> None:
    """Line editing and history across runs, when a real terminal is attached."""
    try:
        import readline
    except ImportError:  # Windows without pyreadline: still usable, just no history
        return
    history = Path.home() / ".shipbot_history"
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    readline.set_history_length(1000)
    atexit.register(lambda: _save_history(readline, history))


def _save_history(readline: object, history: Path) -> None:
    with contextlib.suppress(OSError):
        readline.write_history_file(history)  # type: ignore[attr-defined]


def run_console(bot: ShipBot, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Read commands until EOF or `quit`; interactive on a terminal, scriptable when piped."""
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    interactive = stdin.isatty()
    ctx = console_context()
    last: Card | None = None
    if interactive:
        _enable_history()
        stdout.write("shipbot console — type `help`, e.g. `/compare claude azure`; `quit` ends.\n")
    while True:
        try:
            line = input(PROMPT) if interactive else stdin.readline()
        except (EOFError, KeyboardInterrupt):
            if interactive:  # Ctrl-D or Ctrl-C: the shell's prompt starts on a fresh line
                stdout.write("\n")
            break
        if not interactive and line == "":
            break
        line = line.strip()
        if not line:
            continue
        if line.lower() in _QUIT:
            break
        picked = _picked(last, line)
        card = bot.choose(picked, ctx) if picked else bot.handle(line, ctx)
        text = render_text(card, text_width(stdout))
        if card.kind in ("did_you_mean", "need") and card.choices:
            text += f"\n(or type its number, 1-{len(card.choices)})"
        stdout.write(text + "\n\n")
        stdout.flush()
        last = card
    return 0


def _picked(last: Card | None, line: str) -> Choice | None:
    """The did-you-mean choice a bare number names, right after that card."""
    if last is None or last.kind not in ("did_you_mean", "need") or \
            not (line.isascii() and line.isdigit()):
        return None
    number = int(line)
    return last.choices[number - 1] if 1 <= number <= len(last.choices) else None
