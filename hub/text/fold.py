"""Text normalization shared by name lookup, caches and the LLM candidate finder.

Names are compared case- and accent-insensitively, with apostrophes dropped and other
punctuation treated as space: "Trader Joe's", "trader joes" and "TRADER JOE’S" are one name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_APOSTROPHES = re.compile(r"['’`´]")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_name(text: str) -> str:
    """The key under which a name or alias is looked up."""
    text = strip_accents(text).casefold()
    text = _APOSTROPHES.sub("", text)
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    return " ".join(text.split())


def slugify(text: str) -> str:
    """An id-like form of a name: "First Floor" -> "first_floor"."""
    return normalize_name(text).replace(" ", "_")


def names_any(text: str, names: Iterable[str]) -> bool:
    """Whether ``text`` contains one of ``names`` as whole words (after normalize_name)."""
    words = f" {normalize_name(text)} "
    return any(f" {key} " in words for key in map(normalize_name, names) if key)
