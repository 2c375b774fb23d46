"""Folding text before it is compared: one fold, and the keys made from it.

``fold`` is the fold: case (casefold: "Straße" and "STRASSE" are one word), width and
compatibility forms (NFKC: "ＴＶ" is "tv"), and accents stripped from the letters of alphabets
("électricité" is "electricite"). Chinese, Japanese and Korean are kept as written: their marks
belong to the letter (ガ is not カ) and a Hangul syllable is not taken apart.

Built on it:

- ``normalize_name``: the key a name or alias is looked up under: apostrophes dropped, other
  punctuation as space: "Trader Joe's", "trader joes" and "TRADER JOE’S" are one name; an
  elided French or Italian article is a word of its own ("l'entrée": "l entree");
- ``names_any``: whether a text names one of some names, as whole words (in Chinese or
  Japanese, written without spaces, anywhere in it).

Two keys keep a fold of their own, because they are stored and must not change between versions:

- ``fold_case`` (case and width only, accents kept): the decision cache's key, where "sí" and
  "si" may be different requests;
- ``slugify``: ids ("First Floor" -> "first_floor"), made as they always were.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from hub.text.detect import is_cjk, is_unspaced

_APOSTROPHES = re.compile(r"['’`´]")
# An elided article or pronoun before a vowel, in French and Italian: "l'entrée" is
# "l entrée" ("la lampe de l'entrée" names the entrée), unlike "Joe's"
_ELISION = re.compile(
    r"\b(qu|dell|all|nell|sull|dall|[cdjlmnst])['’`´](?=[aeiouyhàâäéèêëîïôöùûü])", re.IGNORECASE
)
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def fold(text: str) -> str:
    """``text`` in lower case, of normal width, without accents; CJK as written."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    out = []
    for char in text:
        if char.isascii() or is_cjk(char):
            out.append(char)
            continue
        decomposed = unicodedata.normalize("NFD", char)
        out.append("".join(c for c in decomposed if not unicodedata.combining(c)))
    return unicodedata.normalize("NFC", "".join(out))


def fold_case(text: str) -> str:
    """``text`` in lower case and of normal width, accents kept (the decision cache's key)."""
    return unicodedata.normalize("NFKC", text).casefold()


def strip_accents(text: str) -> str:
    """``text`` decomposed (NFKD) without its combining marks: the fold ids are made with."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_name(text: str) -> str:
    """The key under which a name or alias is looked up."""
    return _words(fold(_ELISION.sub(r"\1 ", text)))


def slugify(text: str) -> str:
    """An id-like form of a name: "First Floor" -> "first_floor".

    Made with ``strip_accents`` rather than ``fold`` (they differ only outside the alphabets:
    it takes Hangul syllables apart and drops the voicing marks of kana), so an id made by an
    earlier version is made again the same."""
    return _words(strip_accents(text).casefold()).replace(" ", "_")


def names_any(text: str, names: Iterable[str]) -> bool:
    """Whether ``text`` contains one of ``names`` as whole words (after normalize_name); a
    name in a script written without spaces (Chinese, Japanese) anywhere in it: "打开厨房的
    风扇" names the 厨房."""
    words = f" {normalize_name(text)} "
    return any(holds(words, key) for key in map(normalize_name, names) if key)


def holds(words: str, key: str) -> bool:
    """Whether the space-padded ``words`` hold the name ``key``: as whole words, or, for a
    name in a script written without spaces, anywhere."""
    return f" {key} " in words or (is_unspaced(key) and key in words)


def _words(folded: str) -> str:
    folded = _APOSTROPHES.sub("", folded)
    folded = _NON_WORD.sub(" ", folded).replace("_", " ")
    return " ".join(folded.split())
