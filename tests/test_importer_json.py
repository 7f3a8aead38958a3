"""JSON imports: schema validation with file, line and what was expected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.importer import ImportFileError, import_files, read_bundle
from bot.store import Store
from shipbot.cli import cli


def test_json_syntax_error_reports_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "tools": [\n    {"id": "x",,}\n  ]\n}')
    with pytest.raises(ImportFileError, match=r"bad.json: line 3: invalid JSON"):
        read_bundle(path)


def test_json_schema_error_reports_line_and_field(tmp_path: Path) -> None:
    bundle = {"tools": [
        {"id": "a", "name": "A", "short_name": "A",
         "reviews": [{"persona": "Builder", "score": 50, "verdict": "ship"}]},
        {"id": "b", "name": "B", "short_name": "B",
         "reviews": [{"persona": "Builder", "score": 150, "verdict": "ship"}]},
    ]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bundle, indent=2))
    line = next(n for n, ln in enumerate(path.read_text().splitlines(), 1) if "150" in ln)
    with pytest.raises(ImportFileError) as err:
        read_bundle(path)
    assert f"bad.json: line {line}: tools.1.reviews.0.score" in str(err.value)
    assert "less than or equal to 100" in str(err.value)


def test_unknown_format_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello world\n")
    with pytest.raises(ImportFileError, match="line 1: expected JSON or a page"):
        read_bundle(path)


def test_comparison_of_unknown_tool_rolls_back(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "cmp.json"
    path.write_text(json.dumps({
        "tools": [{"id": "fresh", "name": "Fresh", "short_name": "Fresh"}],
        "comparisons": [{"tools": ["fresh", "ghost"]}]}))
    before = store.stats()
    with pytest.raises(ImportFileError, match=r"cmp.json: line 1: the comparison names tool id\(s\) ghost"):
        import_files(store, [path])
    assert before == store.stats()
    assert store.catalog.tool("fresh") is None


def test_schema_command_prints_json_schema() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert 0 == result.exit_code
    schema = json.loads(result.output)
    assert {"tools", "comparisons"} == set(schema["properties"])


def test_duplicate_persona_is_rejected_not_crashed(store: Store, tmp_path: Path) -> None:
    review = {"persona": "Builder", "score": 50, "verdict": "ship"}
    path = tmp_path / "dup.json"
    path.write_text(json.dumps({"tools": [{"id": "d", "name": "D", "short_name": "D",
                                           "reviews": [review, review]}]}))
    before = store.stats()
    with pytest.raises(ImportFileError, match="more than one review by Builder"):
        import_files(store, [path])
    assert before == store.stats()
