"""The seed comparison page imports to exactly the facts it states."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.importer import ImportFileError, import_files, read_bundle
from bot.models import Tool
from bot.pagetext import PageFormatError, parse_page, short_name_of, vendor_from_summary
from bot.store import Store
from tests.conftest import AZURE, CLAUDE, dump


def _assert_seed_facts(store: Store) -> tuple[Tool, Tool]:
    """The facts both pages give (names, vendors, category, pricing model, every score)."""
    assert {"tools": 2, "reviews": 8, "comparisons": 1, "votes": 0,
            "subscriptions": 0, "watches": 0, "decisions": 0} == store.stats()
    claude, azure = store.catalog.tool(CLAUDE), store.catalog.tool(AZURE)
    assert claude is not None and azure is not None
    assert "Claude 4 API: Tool Use Streaming & Prompt Caching" == claude.name
    assert "Claude 4 API" == claude.short_name
    assert "Azure AI Foundry" == azure.short_name
    assert ("C", "A") == (claude.vendor_initial, azure.vendor_initial)
    assert ("Anthropic", "Microsoft") == (claude.vendor, azure.vendor)
    assert "Developer Tools" == claude.category == azure.category
    assert ("Paid", "Paid") == (claude.pricing_model, azure.pricing_model)
    scores = {t.short_name: [(r.persona, r.score, r.verdict) for r in t.reviews]
              for t in (claude, azure)}
    assert {
        "Claude 4 API": [("Builder", 88, "ship"), ("Skeptic", 82, "ship"),
                         ("Futurist", 85, "ship"), ("Founder", 79, "ship")],
        "Azure AI Foundry": [("Builder", 78, "ship"), ("Skeptic", 72, "ship"),
                             ("Futurist", 75, "ship"), ("Founder", 81, "ship")],
    } == scores
    assert {CLAUDE: (0, 0), AZURE: (0, 0)} == store.votes.community([CLAUDE, AZURE])
    assert all(r.text for t in (claude, azure) for r in t.reviews)
    return claude, azure


def test_seed_page_imports_exact_facts(empty_store: Store, seed_path: Path) -> None:
    result = import_files(empty_store, [seed_path])
    assert (CLAUDE, AZURE) == result.added
    claude, azure = _assert_seed_facts(empty_store)
    assert "Streamed tool calls and a 2M-token prompt cache for agent loops" == claude.tagline
    assert azure.best_for.startswith("Voice apps that need low latency")
    assert claude.pricing_text.startswith("Pay per API token")
    assert azure.pricing_text.startswith("Pay per use through an Azure subscription")
    assert claude.summary.startswith("Anthropic added two things to the Claude 4 API")
    assert claude.reviews[0].text.startswith("Nothing new to learn")


def test_the_real_page_imports_the_same_facts(empty_store: Store, real_seed_path: Path) -> None:
    """Extra, where ../shared/seeds/ exists: the real page gives the facts the suite's page does."""
    assert (CLAUDE, AZURE) == import_files(empty_store, [real_seed_path]).added
    _assert_seed_facts(empty_store)


def test_reimport_changes_no_counts(empty_store: Store, seed_path: Path) -> None:
    import_files(empty_store, [seed_path])
    before = empty_store.stats()
    again = import_files(empty_store, [seed_path])
    assert () == again.added
    assert () == again.changed
    assert before == empty_store.stats()


def test_seed_page_over_bundled_data_updates_in_place(store: Store, seed_path: Path) -> None:
    before = store.stats()
    import_files(store, [seed_path])
    assert before == store.stats()
    claude = store.catalog.tool(CLAUDE)
    assert claude is not None
    assert "claude" in claude.aliases  # curated aliases survive a page import


def _broken(seed_path: Path, tmp_path: Path, old: str, new: str) -> Path:
    text = seed_path.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.txt"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_malformed_page_names_file_line_and_expectation(seed_path: Path, tmp_path: Path) -> None:
    path = _broken(seed_path, tmp_path, "82/100 · ship", "eighty-two · ship")
    with pytest.raises(ImportFileError) as err:
        read_bundle(path)
    line = next(n for n, ln in enumerate(path.read_text().splitlines(), 1)
                if ln.startswith("eighty-two"))
    assert f"broken.txt: line {line}: expected a score like '88/100 · ship'" in str(err.value)


def test_malformed_file_leaves_store_exactly_as_it_was(store: Store, seed_path: Path,
                                                       tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text('{"tools": [{"id": "new-tool", "name": "New Tool", "short_name": "New"}]}')
    bad = _broken(seed_path, tmp_path, "Reviewer scorecard", "Reviewer scores")
    dump_before = dump(store)
    with pytest.raises(ImportFileError, match="expected 'Reviewer scorecard'"):
        import_files(store, [good, bad])
    assert dump_before == dump(store)
    assert store.catalog.tool("new-tool") is None


def test_score_over_100_is_rejected(seed_path: Path) -> None:
    text = seed_path.read_text(encoding="utf-8").replace("88/100", "188/100", 1)
    with pytest.raises(PageFormatError, match="expected a score"):
        parse_page(text)


def test_truncated_page_says_end_of_file(seed_path: Path) -> None:
    text = seed_path.read_text(encoding="utf-8")
    with pytest.raises(PageFormatError, match="found 'end of file'"):
        parse_page(text[: text.index("Decision")])


def test_short_name_and_vendor_rules() -> None:
    assert "Claude 4 API" == short_name_of("Claude 4 API: Tool Use Streaming")
    assert "Azure AI Foundry" == short_name_of("Azure AI Foundry Real-Time Voice API")
    assert "Cursor" == short_name_of("Cursor")
    assert "Microsoft" == vendor_from_summary("Microsoft Azure AI Foundry has added", "Azure AI")
    assert "" == vendor_from_summary("Claude now streams", "Claude 4 API")


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damaged_page_is_rejected_cleanly_or_parsed(seed_path: Path, tmp_path: Path,
                                                        data: st.DataObject) -> None:
    lines = seed_path.read_text(encoding="utf-8").splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    damage = data.draw(st.sampled_from(["drop", "garble", "duplicate", "lengthen"]))
    if damage == "drop":
        del lines[index]
    elif damage == "lengthen":
        lines[index] += "x" * 5000
    elif damage == "garble":
        lines[index] = data.draw(st.text(max_size=30))
    else:
        lines.insert(index, lines[index])
    path = tmp_path / "damaged.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    try:
        bundle = read_bundle(path)
    except ImportFileError as exc:
        assert str(exc).startswith(f"{path}: line ")
    else:
        assert 2 == len(bundle.tools)
