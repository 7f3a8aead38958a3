"""The layering, checked by import-linter (contracts in pyproject.toml): shipbot/ on top, the
adapters below it, the core below them, the store at the bottom, no adapter importing
another, no cycles. A change that breaks a contract fails here."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import bot

ROOT = Path(__file__).resolve().parents[1]


def _lint(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_every_contract_is_kept() -> None:
    done = _lint()
    assert 0 == done.returncode, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_broken_contract_fails(tmp_path: Path) -> None:
    """The same contracts over a copy of the code in which storage imports the command layer."""
    import shutil

    for package in ("bot", "adapters", "shipbot"):
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    votes = tmp_path / "bot" / "storage" / "votes.py"
    votes.write_text(votes.read_text(encoding="utf-8") + "\nimport bot.commands  # noqa\n",
                     encoding="utf-8")
    code = ("import sys; sys.path.insert(0, '.'); "
            "from importlinter.cli import lint_imports_command; lint_imports_command()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert 0 != done.returncode
    assert "Storage keeps and fetches" in done.stdout and "BROKEN" in done.stdout


def test_the_storage_contract_names_every_core_module() -> None:
    """A new core module must be placed: storage may not import it unless it is a model."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    storage = next(c for c in contracts if c.get("source_modules") == ["bot.storage"])
    modules = {f"bot.{m.name}" for m in pkgutil.iter_modules(bot.__path__)}
    assert modules - {"bot.models", "bot.storage"} == set(storage["forbidden_modules"])
