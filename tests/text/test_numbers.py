"""Number words both ways, from unicode-rbnf's spell-out rules, in the template languages."""

from __future__ import annotations

import re

import pytest

from hub.text.numbers import (
    number_language,
    number_words,
    parse_number,
    speaks,
    spellings,
    spoken_key,
    words_pattern,
)

TEMPLATE_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "zh", "ja", "ko")


@pytest.mark.parametrize("language", TEMPLATE_LANGUAGES)
def test_every_template_language_has_number_words(language: str) -> None:
    assert speaks(language)
    words = number_words(language, range(101))
    assert set(words.values()) == set(range(101))
    for number in (0, 7, 21, 55, 100):
        assert all(parse_number(text, language) == number for text in spellings(number, language))


@pytest.mark.parametrize(
    ("text", "language", "number"),
    [
        ("twenty-one", "en", 21),
        ("Twenty One", "en", 21),
        ("one hundred", "en", 100),
        ("einundzwanzig", "de", 21),
        ("Dreißig", "de", 30),
        ("funf", "de", 5),  # accents do not matter
        ("vingt et un", "fr", 21),
        ("vingt-et-un", "fr", 21),
        ("quatre-vingt-dix", "fr", 90),
        ("soixante-dix", "fr", 70),
        ("veintiuno", "es", 21),
        ("veintiún", "es", 21),
        ("dieciseis", "es", 16),
        ("ventitré", "it", 23),
        ("eenentwintig", "nl", 21),
        ("vinte e um", "pt", 21),
        ("二十一", "zh", 21),
        ("两", "zh", 2),
        ("一百", "zh", 100),
        ("二十一", "ja", 21),
        ("百", "ja", 100),
        ("이십일", "ko", 21),  # Sino-Korean
        ("스물하나", "ko", 21),  # native Korean
        ("오십", "ko", 50),
    ],
)
def test_parse_number(text: str, language: str, number: int) -> None:
    assert parse_number(text, language) == number


def test_words_that_are_not_numbers() -> None:
    assert parse_number("lamp", "en") is None
    assert parse_number("twice", "en") is None  # not a number in the rules: its reader's word
    assert parse_number("twenty", "xx") is None  # no rules for the language
    assert not speaks("xx")
    assert spellings(5, "xx") == ()
    assert number_words("xx") == {}


def test_spellings_give_every_form() -> None:
    assert spellings(21, "en") == ("twenty-one",)
    assert set(spellings(21, "es")) == {"veintiuno", "veintiún", "veintiuna"}
    assert {"이십일", "스물하나"} <= set(spellings(21, "ko"))


def test_number_words_write_hyphens_as_spaces() -> None:
    words = number_words("en", range(100))
    assert words["twenty one"] == 21
    assert words["zero"] == 0
    assert "twenty-one" not in words
    assert spoken_key(" Twenty-One ") == "twenty one"


def test_words_pattern_finds_whole_spellings_longest_first() -> None:
    pattern = re.compile(r"\b(" + words_pattern(number_words("en", range(100))) + r")\b", re.I)
    found = [m.group(1) for m in pattern.finditer("set twenty-one, then Twenty one and seventeen")]
    assert found == ["twenty-one", "Twenty one", "seventeen"]
    assert [m.group(1) for m in pattern.finditer("someone seventeenth")] == []


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("en", "en"),
        ("de-CH", "de_CH"),
        ("pt-BR", "pt"),
        ("zh-CN", "zh"),
        ("zh-TW", "zh_Hant"),
        ("ko", "ko"),
        ("xx", None),
    ],
)
def test_number_language_for_a_hub_or_intents_code(code: str, language: str | None) -> None:
    assert number_language(code) == language
