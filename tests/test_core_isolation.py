"""The core never imports a chat platform."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import bot


def test_core_modules_import_no_platform() -> None:
    names = [f"bot.{m.name}" for m in pkgutil.iter_modules(bot.__path__)]
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


def test_core_source_imports_no_adapter_and_no_wiring() -> None:
    """Read every core file: the adapters and the CLI/start-up wiring sit above the core."""
    root = Path(bot.__path__[0])
    offending = [f"{path.relative_to(root.parent)}:{n}: {line.strip()}"
                 for path in sorted(root.rglob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.match(r"\s*(from|import)\s+(adapters|shipbot|discord|slack_bolt|slack_sdk)"
                             r"\b", line)]
    assert [] == offending
