"""The core never imports a chat platform."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import bot


def test_core_modules_import_no_platform() -> None:
    names = [f"bot.{m.name}" for m in pkgutil.iter_modules(bot.__path__) if m.name != "__main__"]
    assert "bot.commands" in names
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in ('discord', 'slack_bolt', 'slack_sdk') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert 0 == done.returncode, done.stderr
    assert "[]" == done.stdout.strip()
