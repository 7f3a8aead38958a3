"""Imports that would lose data or accept nonsense are refused, with the file, line and reason,
and change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.models import MAX_ALIASES, MAX_REVIEWERS
from bot.store import Store
from shipbot.bootstrap import open_store
from shipbot.cli import cli
from tests.conftest import CLAUDE, dump


def _import(db: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--db", str(db), "import", *args])


# Where a download can stop: inside the scorecard, mid-paragraph, and right before the trailer.
@pytest.mark.parametrize("cut_before", ["Skeptic\n", "is a bet that", "Founder\n", "81/100",
                                        "Weekly AI Tool Verdicts"])
def test_a_page_cut_off_is_refused_and_changes_nothing(tmp_path: Path, seed_path: Path,
                                                        cut_before: str) -> None:
    db = tmp_path / "a.db"
    store = open_store(db)
    before = dump(store)
    page = tmp_path / "cut.txt"
    text = seed_path.read_text(encoding="utf-8")
    page.write_text(text[:text.index(cut_before)], encoding="utf-8")
    result = _import(db, str(page))
    assert 1 == result.exit_code, result.output
    assert f"{page}: line " in result.output and "Nothing was imported" in result.output
    assert before == dump(store)
    assert 4 == len(store.catalog.tool(CLAUDE, cached=False).reviews)  # type: ignore[union-attr]


def _tool_file(tmp_path: Path, filename: str, **changes: object) -> Path:
    tool = {"id": CLAUDE, "name": "Claude 4 API: Tool Use Streaming & Prompt Caching",
            "short_name": "Claude 4 API",
            "reviews": [{"persona": p, "score": 80, "verdict": "ship"}
                        for p in ("Builder", "Skeptic", "Futurist", "Founder")]}
    tool.update(changes)
    path = tmp_path / filename
    path.write_text(json.dumps({"tools": [tool]}, indent=1))
    return path


def test_removing_stored_reviews_needs_to_be_asked_for(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    store = open_store(db)
    before = dump(store)
    two = _tool_file(tmp_path, "two.json", reviews=[
        {"persona": "Builder", "score": 90, "verdict": "ship"},
        {"persona": "Founder", "score": 70, "verdict": "skip"}])
    refused = _import(db, str(two))
    assert 1 == refused.exit_code
    assert "would remove stored reviews: Claude 4 API: Skeptic, Futurist (4 stored, 2 in the " \
           "import)" in refused.output
    assert "--allow-removals" in refused.output
    assert before == dump(store)
    allowed = _import(db, "--allow-removals", str(two))
    assert 0 == allowed.exit_code, allowed.output
    assert ["Builder", "Founder"] == [r.persona for r in
                                      Store.open(db).catalog.tool(CLAUDE).reviews]  # type: ignore[union-attr]


@pytest.mark.parametrize(("changes", "reason"), [
    ({"reviews": [{"persona": "Builder", "score": True, "verdict": "ship"}]}, "integer"),
    ({"name": "   "}, "only spaces"),
    ({"short_name": "Claude\u0000API"}, "control or invisible character"),
    ({"vendor": "Anthro\u200bpic"}, "control or invisible character"),
    ({"reviews": [{"persona": "Builder", "score": 80, "verdict": "ship"},
                  {"persona": "builder", "score": 70, "verdict": "ship"}]}, "differing only in case"),
    ({"reviews": [{"persona": f"P{n}", "score": 80, "verdict": "ship"}
                  for n in range(MAX_REVIEWERS + 1)]}, f"at most {MAX_REVIEWERS}"),
    ({"aliases": [f"a{n}" for n in range(MAX_ALIASES + 1)]}, f"at most {MAX_ALIASES}"),
    # free text too: PostgreSQL cannot store a NUL at all; escapes and bells are not prose
    ({"tagline": "fast\u0000cheap"}, "control character U+0000"),
    ({"summary": "colours \u001b[31mred"}, "control character U+001B"),
    ({"reviews": [{"persona": "Builder", "score": 80, "verdict": "ship", "text": "a\u0007b"}]},
     "control character U+0007"),
    ({"reviewed": "2099-01-01"}, "2099-01-01 is in the future"),
])
def test_loose_values_are_refused_with_file_and_line(tmp_path: Path, changes: dict[str, object],
                                                     reason: str) -> None:
    db = tmp_path / "a.db"
    before = dump(open_store(db))
    path = _tool_file(tmp_path, "bad.json", **changes)
    result = _import(db, "--allow-removals", str(path))
    assert 1 == result.exit_code, result.output
    assert f"{path}: line " in result.output and reason in result.output
    assert before == dump(Store.open(db))


def test_the_same_tool_twice_in_one_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.json"
    tool = {"id": "dup", "name": "Dup", "short_name": "Dup"}
    path.write_text(json.dumps({"tools": [tool, {**tool, "name": "Dup Two"}]}))
    result = _import(tmp_path / "a.db", str(path))
    assert 1 == result.exit_code
    assert "tool id dup appears more than once" in result.output


def test_a_page_import_keeps_a_readable_source(tmp_path: Path, seed_path: Path) -> None:
    db = tmp_path / "a.db"
    assert 0 == _import(db, str(seed_path)).exit_code
    card = " ".join(CliRunner().invoke(cli, ["--db", str(db), "compare", "claude", "azure"]
                                       ).output.split())
    assert seed_path.name not in card
    assert "Source: Claude 4 API vs Azure AI Foundry" in card


def test_a_page_over_the_bundled_data_keeps_its_wording(tmp_path: Path, seed_path: Path) -> None:
    db = tmp_path / "a.db"
    store = open_store(db)
    bundled = store.catalog.tool(CLAUDE, cached=False)
    assert 0 == _import(db, str(seed_path)).exit_code
    after = Store.open(db).catalog.tool(CLAUDE, cached=False)
    assert bundled is not None and after is not None
    for field in ("tagline", "best_for", "pricing_text", "summary"):
        assert getattr(bundled, field) == getattr(after, field), field
    assert [r.score for r in bundled.reviews] == [r.score for r in after.reviews]


def test_nul_and_future_dates_are_refused_on_postgresql_too(db_target: str,
                                                          tmp_path: Path) -> None:
    """The class on the engine where it crashed: a NUL in any text field, a comparison's
    source, or a published date ahead of today is refused, and the store is unchanged."""
    store = open_store(db_target)
    before = dump(store)
    for bad in ({"tools": [{"id": "x", "name": "X", "short_name": "X", "best_for": "a\u0000"}]},
                {"tools": [{"id": "x", "name": "X", "short_name": "X"},
                           {"id": "y", "name": "Y", "short_name": "Y"}],
                 "comparisons": [{"tools": ["x", "y"], "source": "s\u0000"}]},
                {"tools": [{"id": "x", "name": "X", "short_name": "X"},
                           {"id": "y", "name": "Y", "short_name": "Y"}],
                 "comparisons": [{"tools": ["x", "y"], "published": "2999-01-01"}]}):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(bad))
        result = _import(db_target, str(path))
        assert 1 == result.exit_code and "Nothing was imported" in result.output, result.output
    assert before == dump(store)
    store.close()


def test_one_tool_given_differently_by_two_json_files_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    before = dump(open_store(db))
    first = _tool_file(tmp_path, "first.json", tagline="Fast")
    second = _tool_file(tmp_path, "second.json", tagline="Cheap")
    result = _import(db, str(first), str(second))
    assert 1 == result.exit_code
    assert (f"{second}: line 4: tool {CLAUDE} is also in {first} (line 4) with different facts"
            in result.output), result.output
    assert before == dump(Store.open(db))
    same = _import(db, str(first), str(_tool_file(tmp_path, "again.json", tagline="Fast")))
    assert 0 == same.exit_code, same.output  # the same record twice is one


@pytest.mark.parametrize("field", ["published", "reviewed"])
def test_a_date_given_as_a_number_is_refused(tmp_path: Path, field: str) -> None:
    """`"published": 0` was read as Unix time, 1970-01-01 (#16)."""
    db = tmp_path / "a.db"
    store = open_store(db)
    before = dump(store)
    tool = {"id": "dated", "name": "Dated", "short_name": "Dated",
            **({"reviewed": 0} if field == "reviewed" else {})}
    bundle = {"tools": [tool, {**tool, "id": "other", "name": "Other", "short_name": "Other"}],
              "comparisons": [{"tools": ["dated", "other"], "published": 0}]
              if field == "published" else []}
    path = tmp_path / "numbers.json"
    path.write_text(json.dumps(bundle))
    result = _import(db, str(path))
    assert 1 == result.exit_code
    assert "a date must be written as YYYY-MM-DD, not a number" in result.output
    assert before == dump(store)
