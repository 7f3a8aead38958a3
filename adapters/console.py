"""The console chat: a terminal conversation with the core, no tokens needed."""

from __future__ import annotations

import atexit
import contextlib
import getpass
import sys
from pathlib import Path
from typing import TextIO

from bot.commands import ShipBot
from bot.models import Context
from bot.render_text import render_text

PROMPT = "shipbot> "
_QUIT = {"quit", "exit", "/quit", "/exit", ":q"}


def console_context() -> Context:
    """The local user, voting as themselves on the console platform."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "local-user"
    return Context(platform="console", workspace="local", channel="console", user=user)


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
    if interactive:
        _enable_history()
        stdout.write("shipbot console — type `help`, e.g. `/compare claude azure`; `quit` ends.\n")
    while True:
        try:
            line = input(PROMPT) if interactive else stdin.readline()
        except (EOFError, KeyboardInterrupt):
            break
        if not interactive and line == "":
            break
        line = line.strip()
        if not line:
            continue
        if line.lower() in _QUIT:
            break
        stdout.write(render_text(bot.handle(line, ctx)) + "\n\n")
        stdout.flush()
    return 0
