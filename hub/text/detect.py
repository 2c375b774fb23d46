"""Which language a text is in: by its script first, then by common words.

One detector for every tier. The script decides when it can: kana is Japanese (a Japanese
sentence often opens with a kanji, "電気をつけて", so the first character must not decide),
Hangul is Korean, Han characters alone are Chinese first and Japanese second; Cyrillic, Arabic
and Greek name one language each. A text in Latin letters is told apart by its common words.
The hub's languages are few and known from the config, so the choice is only among them.
"""

from __future__ import annotations

import re

# Character classes of the scripts read character by character (no spaces between words).
HANGUL = "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
KANA = "\u3040-\u30ff\u31f0-\u31ff"
HAN = "\u3400-\u9fff\uf900-\ufaff\u3005"
# The languages written in them: a glossary or a matcher reads their text by characters.
CHARACTER_LANGUAGES = ("zh", "ja", "ko")

_HANGUL = re.compile(f"[{HANGUL}]")
_KANA = re.compile(f"[{KANA}]")
_HAN = re.compile(f"[{HAN}]")
_CJK = re.compile(f"[{HANGUL}{KANA}{HAN}]")
_UNSPACED = re.compile(f"[{KANA}{HAN}]")
# Scripts of one language each (among the languages a config may name).
_ALPHABETS = (
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
)

_WORDS = {
    "en": {
        "the",
        "what",
        "is",
        "are",
        "when",
        "where",
        "how",
        "who",
        "which",
        "do",
        "does",
        "our",
        "my",
        "you",
        "can",
        "a",
        "of",
        "to",
        "tell",
        "me",
    },
    "de": {
        "der",
        "die",
        "das",
        "ist",
        "wie",
        "was",
        "wann",
        "wo",
        "welche",
        "welcher",
        "unser",
        "unsere",
        "mein",
        "ich",
        "du",
        "sind",
        "und",
        "nicht",
        "ein",
        "eine",
        "heißt",
    },
    "fr": {
        "le",
        "la",
        "les",
        "est",
        "quel",
        "quelle",
        "quand",
        "où",
        "comment",
        "qui",
        "notre",
        "nos",
        "mon",
        "je",
        "tu",
        "des",
        "du",
        "une",
        "un",
        "c'est",
        "qu'est-ce",
    },
    "es": {
        "el",
        "la",
        "los",
        "las",
        "es",
        "cuál",
        "cual",
        "qué",
        "que",
        "cuándo",
        "dónde",
        "cómo",
        "quién",
        "nuestro",
        "nuestra",
        "mi",
        "yo",
        "una",
        "un",
        "del",
        "son",
    },
    "it": {
        "il",
        "lo",
        "la",
        "è",
        "qual",
        "quale",
        "quando",
        "dove",
        "come",
        "chi",
        "nostro",
        "nostra",
        "mio",
        "io",
        "una",
        "un",
        "della",
        "sono",
    },
    "nl": {
        "de",
        "het",
        "een",
        "is",
        "wat",
        "wanneer",
        "waar",
        "hoe",
        "wie",
        "welke",
        "onze",
        "ons",
        "mijn",
        "ik",
        "jij",
        "zijn",
    },
}
_WORD = re.compile(r"[\w'-]+", re.UNICODE)


def detect_language(text: str, languages: tuple[str, ...]) -> str:
    """One of ``languages`` (the first when nothing tells them apart)."""
    if not languages:
        return "en"
    bases = {lang.split("-")[0].lower(): lang for lang in languages}
    for by_script in script_languages(text):
        if by_script in bases:
            return bases[by_script]
    words = [w.lower() for w in _WORD.findall(text)]
    best, best_score = languages[0], 0
    for base, lang in bases.items():
        score = sum(1 for w in words if w in _WORDS.get(base, ()))
        if score > best_score:
            best, best_score = lang, score
    return best


def script_languages(text: str) -> tuple[str, ...]:
    """The languages ``text``'s script allows, likeliest first; () for Latin letters.

    Hangul: Korean (with or without hanja). Kana: Japanese. Han characters and nothing else:
    Chinese, or Japanese written in kanji only. Otherwise the first of Cyrillic (ru), Arabic
    (ar) or Greek (el) in the text."""
    hangul, kana, han = (bool(p.search(text)) for p in (_HANGUL, _KANA, _HAN))
    found: list[str] = []
    if hangul:
        found.append("ko")
    if kana or (han and not hangul):
        found.append("ja")
    if han and not hangul and not kana:
        found.insert(0, "zh")
    if found:
        return tuple(found)
    first = min(
        ((m.start(), code) for code, pattern in _ALPHABETS if (m := pattern.search(text))),
        default=None,
    )
    return (first[1],) if first else ()


def character_languages(text: str) -> tuple[str, ...]:
    """Of ``CHARACTER_LANGUAGES``, those ``text``'s script allows (likeliest first)."""
    return tuple(code for code in script_languages(text) if code in CHARACTER_LANGUAGES)


def is_cjk(text: str) -> bool:
    """Whether ``text`` starts with a Hangul, kana or Han character."""
    return bool(_CJK.match(text))


def is_unspaced(text: str) -> bool:
    """Whether ``text`` starts with a character of a script written without spaces between
    words: kana or Han (Korean puts spaces between its words)."""
    return bool(_UNSPACED.match(text))
