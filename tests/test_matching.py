"""Splitting free text into tool names and resolving them, with the values spelled out."""

from __future__ import annotations

import pytest

from bot.matching import NameIndex
from bot.names import derive_keys, derive_words, forms, normalize, vendor_keys
from bot.splitting import resolve_tools, split_explicit
from tests.conftest import AZURE, CLAUDE


def _index() -> NameIndex:
    rows = [
        (CLAUDE, "Claude 4 API: Tool Use Streaming & Prompt Caching", "Claude 4 API", "Anthropic",
         "claude|prompt caching"),
        (AZURE, "Azure AI Foundry Real-Time Voice API & Model Router", "Azure AI Foundry",
         "Microsoft", "azure|foundry"),
        ("claude-code", "Claude Code", "Claude Code", "Anthropic", ""),
        ("cursor", "Cursor", "Cursor", "Anysphere", ""),
        ("openai-realtime", "OpenAI Realtime API", "OpenAI Realtime API", "OpenAI", ""),
    ]
    return NameIndex.build(rows)


@pytest.mark.parametrize(("text", "parts"), [
    ("claude vs azure", ["claude", "azure"]),
    ("Claude VERSUS Azure", ["Claude", "Azure"]),
    ("claude 4 api, azure ai foundry", ["claude 4 api", "azure ai foundry"]),
    ("a / b | c", ["a", "b", "c"]),
    ("claude or azure and cursor", ["claude", "azure", "cursor"]),
    ("claude azure", ["claude azure"]),
])
def test_split_explicit(text: str, parts: list[str]) -> None:
    assert parts == split_explicit(text)


@pytest.mark.parametrize("text", [
    "claude 4 api azure", "Claude 4 API vs Azure", "claude 4 api, azure ai foundry",
    "claude 4 api azure ai foundry", "CLAUDE 4 API!!! / Azure AI Foundry???",
    "claude 4 api vs microsoft", "claude 4 api azrue",
])
def test_resolves_claude_and_azure(text: str) -> None:
    found = resolve_tools(_index(), text)
    assert found.ok
    assert [CLAUDE, AZURE] == found.tool_ids


def test_three_tools_by_spaces() -> None:
    found = resolve_tools(_index(), "cursor azure openai realtime")
    assert ["cursor", AZURE, "openai-realtime"] == found.tool_ids


def test_vendor_with_two_tools_is_ambiguous() -> None:
    resolution = _index().resolve("anthropic")
    assert "ambiguous" == resolution.status
    assert {CLAUDE, "claude-code"} == {m.tool_id for m in resolution.candidates}


def test_typo_resolves_with_its_score() -> None:
    resolution = _index().resolve("cursr")
    assert "ok" == resolution.status
    assert resolution.best is not None
    assert ("cursor", 90.9) == (resolution.best.tool_id, resolution.best.score)


def test_nonsense_is_missing_not_a_wrong_tool() -> None:
    resolution = _index().resolve("zebra kumquat")
    assert "missing" == resolution.status
    assert () == resolution.candidates


def test_weak_match_is_missing_with_suggestions() -> None:
    resolution = _index().resolve("openrouter")
    assert resolution.status in ("missing", "ambiguous")
    assert not resolution.ok


def test_suggest_uses_prefix() -> None:
    names = [m.name for m in _index().suggest("cla")]
    assert {"Claude 4 API", "Claude Code"} == set(names[:2])


def test_derive_keys_and_normalize() -> None:
    assert "claude 4 api tool use" == normalize("Claude-4 API: Tool   Use!")
    keys = derive_keys("Azure AI Foundry Real-Time Voice API", "Azure AI Foundry", [])
    assert ["azure ai foundry real time voice api", "azure ai foundry"] == keys
    assert {"azurefoundry", "azureaifoundry"} == forms("azure ai foundry")
    assert ["azure", "foundry"] == derive_words("Azure AI Foundry", "Microsoft")
    assert ["sagemaker", "amazon"] == derive_words("Amazon SageMaker", "Amazon Web Services")
    assert ["mistral ai", "mistral"] == vendor_keys("Mistral AI")


def test_extra_words_are_not_a_confident_match() -> None:
    index = NameIndex.build([(CLAUDE, "Claude 4 API: Tool Use Streaming & Prompt Caching",
                              "Claude 4 API", "Anthropic", "claude")])
    resolution = index.resolve("claude desktop app")
    assert not resolution.ok
    assert [CLAUDE] == [m.tool_id for m in resolution.candidates]
    assert index.resolve("claude 4").ok  # a word of the name itself still counts
