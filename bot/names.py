"""How product names are written, as plain functions: normal form, joined form, versions, vendors.

Developers write one name many ways (`gpt4`, `GPT-4`, `gpt 4`; `mid journey`, `Midjourney`;
`runwayml.com`; `ms copilot studio`). Every form here is computed the same way for the catalog's
names and for what people type, so the forms meet wherever the spellings do.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
import unicodedata
from collections.abc import Iterable

# Words that only dress a product name (`Vertex AI`, `Sonar API`): the name still stands without.
# So do words for the kind of product typed after a name that lacks them (`chroma db`, `cursor ide`).
FILLER = frozenset("a an the and or of for with to in on by ai api apis app apps sdk "
                   "db database ide editor ml cli hq inc online".split())
# The filler words that say what kind of product it is: a name without one (`Gemini CLI` ->
# `gemini`) is a derived form that may be a whole family's word; without the others (`Vertex AI`
# -> `vertex`) it is still the tool's own name.
PRODUCT_KINDS = frozenset("api apis app apps sdk db database ide editor cli".split())
# Words too generic to stand for a tool on their own, and that add nothing when typed after one.
GENERIC = frozenset(
    "a an the and or of for with to in on by new api apis ai app apps tool tools sdk model models "
    "real time voice code cloud platform studio pro plus lite use streaming assistant agent "
    "agents service services open data labs router".split()
) | FILLER
# Abbreviations developers use for vendors, mapped to the first word of the vendor's name.
VENDOR_ABBREVIATIONS = {
    "ms": "microsoft", "msft": "microsoft", "aws": "amazon", "amzn": "amazon", "gcp": "google",
    "goog": "google", "hf": "hugging", "gh": "github", "oai": "openai", "fb": "meta",
}
# Top-level domains: `runwayml.com` and `character.ai` name products by their site.
_DOMAIN = re.compile(r"^([\w-]+)\.(com|ai|io|dev|app|co|org|net|so|sh|gg|xyz|new|tech|chat)$")
_NON_WORD = re.compile(r"[\W_]+")
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
# A version as written: 4, 4.1, 3.5, 4o, 405b, 8x (of 8x7b). Trailing ".0" is dropped (2.0 = 2).
_VERSION = re.compile(r"\d+(?:\.\d+)*(?:[a-z](?![a-z]))?")
MAX_NAME_CHARS = 200  # nothing longer is a product name; longer input is cut before any work


def clean(text: str) -> str:
    """NFKC, invisible and control characters removed, lower case, cut to MAX_NAME_CHARS."""
    text = text[: MAX_NAME_CHARS * 2]
    if not (text.isascii() and text.isprintable()):  # printable ASCII is already clean
        text = "".join(c if unicodedata.category(c)[0] != "C" else (" " if c in "\t\n\r" else "")
                       for c in unicodedata.normalize("NFKC", text))
    return text.lower()[:MAX_NAME_CHARS]


def printable(text: str) -> str:
    """Typed text as kept or parsed: control and invisible characters gone (a NUL cannot reach
    the store: PostgreSQL refuses it), line breaks and tabs read as spaces; case and width
    untouched."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(" " if c in "\t\n\r" else c for c in text
                   if c in "\t\n\r" or unicodedata.category(c) not in ("Cc", "Cf"))


def normalize(text: str) -> str:
    """Words only: `GPT-4o mini` -> `gpt 4 o mini`, `Weights & Biases` -> `weights and biases`."""
    text = clean(text).replace("&", " and ").replace("+", " plus ")
    text = _LETTER_DIGIT.sub(" ", text)
    return " ".join(_NON_WORD.split(text)).strip()


def id_token(tool_id: str) -> str:
    """A short stand-in for a tool id too long for a platform's choice value (Discord: 100)."""
    return "id:" + hashlib.sha1(tool_id.encode()).hexdigest()[:16]


def compact(normal: str) -> str:
    """A normalized name with its spaces removed: `mid journey` and `midjourney` meet here."""
    return normal.replace(" ", "")


def content(normal: str) -> str:
    """A normalized name without its filler words: `vertex ai` -> `vertex`."""
    return " ".join(w for w in normal.split() if w not in FILLER)


def versions(text: str) -> frozenset[str]:
    """The version marks in a raw name: `GPT-4.1` -> {4.1}, `Gemini 2.0 Flash` -> {2}."""
    found = _VERSION.findall(clean(text))
    return frozenset(re.sub(r"(\.0)+(?=[a-z]?$)", "", v) for v in found)


def domain_host(text: str) -> str | None:
    """`runwayml.com` -> `runwayml`; None when the text is not a bare domain."""
    match = _DOMAIN.match(clean(text).strip())
    return match.group(1) if match else None


def vendor_handles(vendor: str) -> frozenset[str]:
    """The compact words a vendor goes by: its whole name, its first word, the abbreviations."""
    words = normalize(vendor).split()
    if not words:
        return frozenset()
    handles = {compact(" ".join(words))}
    if len(words) > 1 and len(words[0]) >= 3 and words[0] not in GENERIC:
        handles.add(words[0])
    handles.update(a for a, first in VENDOR_ABBREVIATIONS.items() if first == words[0])
    return frozenset(handles)


def vendor_words(vendor: str) -> frozenset[str]:
    """Every word that may stand beside a tool's name to say who makes it."""
    return vendor_handles(vendor) | frozenset(normalize(vendor).split())


def core_name(name: str, vendor: str) -> str:
    """The name without its vendor in front: `Amazon SageMaker` -> `sagemaker`."""
    words = normalize(name).split()
    lead = normalize(vendor).split()
    for size in (len(lead), 1):
        if size and words[:size] == lead[:size] and len(words) > size:
            return " ".join(words[size:])
    return ""


def derive_keys(name: str, short_name: str, aliases: Iterable[str]) -> list[str]:
    """The names a tool is published under, normalized: name, short name, part before a colon,
    aliases (each also matches without its filler words, see `forms`)."""
    out: list[str] = []
    for key in (name, short_name, name.split(":", 1)[0], *aliases):
        norm = sys.intern(normalize(key))
        if norm and norm not in out:
            out.append(norm)
    return out


@functools.lru_cache(maxsize=1 << 16)
def own_forms(name: str) -> frozenset[str]:
    """The joined forms that are a tool's own name: as written, and without dressing words
    (`vertex ai` -> `vertex`) unless a product-kind word went with them. Cached: every query
    asks it of the same few names (a profile of answers under load put it near the top)."""
    normal = normalize(name)
    words = normal.split()
    if any(w in PRODUCT_KINDS for w in words):
        return frozenset({compact(normal)} - {""})
    return forms(normal)


@functools.lru_cache(maxsize=1 << 16)
def forms(key: str) -> frozenset[str]:
    """The joined forms a key matches exactly: as written, and without its filler words."""
    return frozenset({compact(key), compact(content(key))} - {""})


def model_part(name: str) -> str:
    """The model part of a name without its family word: `GPT-4o mini` -> `4 o mini`,
    `GPT-4.1` -> `4 1`, `DeepSeek-R1` -> `r 1`; '' when the rest is one bare number (`GPT-4`:
    `4` alone names many tools) or the family is a single letter (`o3`)."""
    words = normalize(name).split()
    if len(words) < 2 or len(words[0]) < 2 or not words[0].isalpha():
        return ""
    rest = words[1:]
    numbers = sum(w.isdigit() for w in rest)
    if not numbers or (numbers == 1 and len(rest) == 1):
        return ""
    return " ".join(rest)


def derive_words(short_name: str, vendor: str) -> list[str]:
    """Looser handles: the short name without its vendor, its model part, and its distinctive
    words."""
    out = [core_name(short_name, vendor), model_part(short_name)]
    out += [w for w in normalize(short_name).split()
            if len(w) >= 3 and w not in GENERIC and not w.isdigit()]
    return [sys.intern(w) for n, w in enumerate(out) if w and w not in out[:n]]


def vendor_keys(vendor: str) -> list[str]:
    """The vendor as a handle of each of its tools: its name, without filler, its first word."""
    vendor_norm = normalize(vendor)
    out = [vendor_norm, content(vendor_norm)]
    first = vendor_norm.split()[:1]
    if len(vendor_norm.split()) > 1 and first and len(first[0]) >= 3 and first[0] not in GENERIC:
        out.append(first[0])
    return [w for n, w in enumerate(out) if w and w not in out[:n]]


def clip(text: str, width: int = 60) -> str:
    """Typed text quoted back in an answer: spaces collapsed, cut to `width` with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
