"""The one language detector: script first (kana is Japanese, Hangul Korean, Han alone
Chinese), then common words."""

from __future__ import annotations

import pytest

from hub.text.detect import (
    character_languages,
    detect_language,
    is_cjk,
    is_unspaced,
    script_languages,
)

ALL = ("en", "de", "fr", "es", "it", "nl", "ja", "zh", "ko")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("電気をつけて", ("ja",)),  # opens with a kanji: still Japanese (kana in it)
        ("リビングの電気を消して", ("ja",)),
        ("はい", ("ja",)),
        ("打开客厅的灯", ("zh", "ja")),  # Han only: Chinese first, Japanese kanji second
        ("東京", ("zh", "ja")),
        ("거실 불 켜줘", ("ko",)),
        ("韓國語 거실", ("ko",)),  # Korean with hanja
        ("Привет", ("ru",)),
        ("Γειά σου", ("el",)),
        ("مرحبا", ("ar",)),
        ("turn on the kitchen light", ()),
        ("Électricité", ()),
        ("", ()),
    ],
)
def test_the_script_says_which_languages_a_text_may_be_in(
    text: str, expected: tuple[str, ...]
) -> None:
    assert script_languages(text) == expected


def test_only_chinese_japanese_and_korean_are_read_by_characters() -> None:
    assert character_languages("電気をつけて") == ("ja",)
    assert character_languages("打开灯") == ("zh", "ja")
    assert character_languages("Привет") == ()
    assert is_cjk("電") and is_cjk("を") and is_cjk("거") and is_cjk("々")
    assert not is_cjk("e") and not is_cjk("é") and not is_cjk("1")
    # Korean puts spaces between its words; Chinese and Japanese do not.
    assert is_unspaced("電") and is_unspaced("を") and not is_unspaced("거")


@pytest.mark.parametrize(
    ("text", "languages", "expected"),
    [
        # The disagreement the two detectors had: a Japanese sentence that opens with a kanji.
        ("電気をつけて", ALL, "ja"),
        ("電気をつけて", ("en", "ja"), "ja"),
        ("電気をつけて", ("en", "zh", "ja"), "ja"),
        ("居間の照明をつけてください", ALL, "ja"),
        ("打开客厅的灯", ALL, "zh"),
        ("打开客厅的灯", ("en", "zh-CN"), "zh-CN"),
        ("東京", ("en", "ja"), "ja"),  # kanji only, and no Chinese in the home
        ("거실 불 켜줘", ALL, "ko"),
        ("와이파이 비밀번호", ("en", "ko"), "ko"),
        ("what is the wifi password", ALL, "en"),
        ("wie ist das WLAN Passwort", ALL, "de"),
        ("wie ist das WLAN Passwort", ("en",), "en"),  # only the home's languages
        ("quel est le code du portail", ALL, "fr"),
        ("cuál es la contraseña", ALL, "es"),
        ("wat is het wachtwoord", ALL, "nl"),
        ("電気をつけて", ("en", "de"), "en"),  # not one of ours: the first language
        ("anything", (), "en"),
    ],
)
def test_the_language_of_a_text(text: str, languages: tuple[str, ...], expected: str) -> None:
    assert detect_language(text, languages) == expected
