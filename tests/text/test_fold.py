"""The one fold, and the keys made from it (names, ids, the decision cache's key)."""

from __future__ import annotations

import unicodedata

import pytest

from hub.text.fold import fold, fold_case, names_any, normalize_name, slugify, strip_accents


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Turn ON", "turn on"),
        ("Électricité", "electricite"),
        ("e\u0301lectricite\u0301", "electricite"),  # decomposed accents too
        ("Straße", "strasse"),
        ("STRASSE", "strasse"),
        ("ẞ", "ss"),
        ("Ｔｕｒｎ ｏｎ", "turn on"),  # full width
        ("ﬁne ①", "fine 1"),  # compatibility forms
        ("Küche", "kuche"),
        ("İstanbul", "istanbul"),
        ("ガレージ", "ガレージ"),  # kana keep their voicing marks
        ("ｶﾞﾚｰｼﾞ", "ガレージ"),  # half-width kana: full width
        ("거실 조명", "거실 조명"),  # Hangul syllables are not taken apart
        ("打开客厅的灯", "打开客厅的灯"),
    ],
)
def test_fold_folds_case_width_and_accents_and_keeps_cjk(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_fold_is_the_old_name_fold_for_every_latin_letter() -> None:
    # Names in Latin letters fold as they did before fold() replaced strip_accents + casefold.
    for block in (range(0x0000, 0x0250), range(0x1E00, 0x1F00)):
        for cp in block:
            char = chr(cp)
            assert fold(char) == strip_accents(char).casefold(), hex(cp)


def test_fold_case_keeps_accents() -> None:
    assert fold_case("¿Sí?") == "¿sí?"
    assert fold_case("ＴＶ Straße") == "tv strasse"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Trader Joe's", "trader joes"),
        ("TRADER JOE’S", "trader joes"),
        ("living_room-lamp", "living room lamp"),
        ("  Küche,  Decke ", "kuche decke"),
        ("リビングの電気", "リビングの電気"),
    ],
)
def test_normalize_name(text: str, expected: str) -> None:
    assert normalize_name(text) == expected


def test_names_any_matches_whole_words() -> None:
    assert names_any("turn on the Küchen Lampe", ["kuchen lampe"])
    assert not names_any("turn on the kitchenette", ["kitchen"])
    assert names_any("ガレージを開けて", ["ガレージを開けて"])
    assert not names_any("anything", [""])


def test_slugify_makes_ids_as_it_always_did() -> None:
    assert slugify("First Floor") == "first_floor"
    assert slugify("Trader Joe's") == "trader_joes"
    assert slugify("Küche") == "kuche"
    # Ids are stored: Hangul and kana keep the decomposition earlier versions gave them.
    assert slugify("거실") == unicodedata.normalize("NFKD", "거실")
    assert slugify("ガレージ") == "カレーシ"


def test_an_elided_article_is_a_word_of_its_own() -> None:
    """ "la lampe de l'entrée" names the entrée; "Joe's" stays one word, and ids do not
    change."""
    assert normalize_name("lampe de l'entrée") == "lampe de l entree"
    assert normalize_name("luce dell’ingresso") == "luce dell ingresso"
    assert normalize_name("Trader Joe's") == "trader joes"
    assert names_any("dans l'entrée", ["entrée"])
    assert slugify("lampe de l'entrée") == "lampe_de_lentree"


def test_a_name_in_an_unspaced_script_is_found_inside_the_request() -> None:
    assert names_any("打开厨房的风扇", ["厨房"])
    assert not names_any("turn on the kitchenette", ["kitchen"])
