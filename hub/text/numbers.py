"""Number words, in every language the hub's templates speak, from CLDR's spell-out rules.

unicode-rbnf (which hassil uses for its range slots) spells a number out in each form a
language has: "twenty-one"; "einundzwanzig"; "vingt-et-un"; "veintiuno", "veintiún" and
"veintiuna"; "二十一"; "이십일" and "스물하나". Here they are read both ways:

- ``spellings(21, "de")``: the words for a number;
- ``number_words("fr", range(100))``: the words for some numbers, each mapped to its value;
- ``parse_number("Vingt et un", "fr")``: the number a text spells out;
- ``words_pattern(words)``: a regular expression that finds them in a text.

A language is named as unicode-rbnf names it ("de", "de_CH", "zh", "zh_Hant");
``number_language`` finds that name for a hub or intents language code ("zh-CN" -> "zh").
Words that are not numbers in the rules ("twice", "a quarter", "half") belong to the module
that reads them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from hub.text.fold import fold

if TYPE_CHECKING:
    from unicode_rbnf import RbnfEngine

# The numbers parse_number knows: what a person says to a home (percentages, degrees, minutes).
PARSED = range(0, 1001)
_SEPARATOR = re.compile(r"[\s-]+")


@functools.cache
def _engine(language: str) -> RbnfEngine | None:
    try:
        from unicode_rbnf import RbnfEngine

        return RbnfEngine.for_language(language)
    except Exception:  # no rules for the language (or no unicode-rbnf)
        return None


def speaks(language: str) -> bool:
    """Whether there are spell-out rules for ``language`` (as unicode-rbnf names it)."""
    return _engine(language) is not None


# Codes whose rules unicode-rbnf files under another name: Traditional Chinese.
_ALIASES = {"zh-tw": "zh_Hant", "zh-hk": "zh_Hant", "zh-hant": "zh_Hant"}


@functools.cache
def number_language(code: str) -> str | None:
    """The unicode-rbnf language for a language code: the code itself ("de"), its region
    written unicode-rbnf's way ("de-CH" -> "de_CH"), or its language ("zh-CN" -> "zh",
    "pt-BR" -> "pt"); None when none of them has rules."""
    base, _, region = code.partition("-")
    alias = _ALIASES.get(code.lower(), code)
    candidates = (alias, f"{base}_{region}" if region else base, base)
    return next((c for c in candidates if speaks(c)), None)


def spellings(number: int, language: str) -> tuple[str, ...]:
    """``number`` spelled out in ``language``, each form its rules have, as they write it
    ("twenty-one"); () when there are no rules for the language or the number."""
    engine = _engine(language)
    if engine is None:
        return ()
    try:
        result = engine.format_number(number)
    except Exception:
        return ()
    return tuple(dict.fromkeys(result.text_by_ruleset.values()))


def spoken_key(text: str) -> str:
    """How ``number_words`` writes a spelling: lower case, a hyphen as a space, one space
    between words ("Twenty-One" -> "twenty one")."""
    return " ".join(_SEPARATOR.split(text.lower())).strip()


@functools.cache
def number_words(language: str, numbers: range = PARSED) -> Mapping[str, int]:
    """Every spelling of ``numbers`` in ``language`` (``spoken_key`` of it) -> its value;
    empty when there are no rules for the language."""
    words: dict[str, int] = {}
    for number in numbers:
        for text in spellings(number, language):
            words.setdefault(spoken_key(text), number)
    return MappingProxyType(words)


@functools.cache
def _folded(language: str) -> Mapping[str, int]:
    words: dict[str, int] = {}
    for text, number in number_words(language).items():
        words.setdefault(spoken_key(fold(text)), number)
    return MappingProxyType(words)


def parse_number(text: str, language: str) -> int | None:
    """The number ``text`` spells out in ``language`` (0 to 1000), or None. Case, accents,
    width and hyphens do not matter: "Dieciseis", "dieciséis" and "DIECISÉIS" are 16."""
    return _folded(language).get(spoken_key(fold(text)))


def words_pattern(words: Iterable[str]) -> str:
    """A regular expression (without groups) for any of ``words``, longest first, where a
    space or hyphen inside a word matches either: "twenty one" finds "twenty-one". Put it
    between word boundaries (``\\b``) to find whole words."""
    parts = {tuple(_SEPARATOR.split(word.strip())) for word in words if word.strip()}
    ordered = sorted(parts, key=lambda p: (-len(" ".join(p)), p))
    return "|".join(r"[ -]".join(map(re.escape, p)) for p in ordered)
