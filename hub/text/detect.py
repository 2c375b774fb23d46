"""Which language a short question is in: by script first, then by common words.

Good enough to answer in the asker's language and to key the answer cache; the hub's
languages are few and known from the config, so the choice is only among them.
"""

from __future__ import annotations

import re
import unicodedata

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
    by_script = _script(text)
    if by_script is not None and by_script in bases:
        return bases[by_script]
    words = [w.lower() for w in _WORD.findall(text)]
    best, best_score = languages[0], 0
    for base, lang in bases.items():
        score = sum(1 for w in words if w in _WORDS.get(base, ()))
        if score > best_score:
            best, best_score = lang, score
    return best


def _script(text: str) -> str | None:
    for ch in text:
        if "\uac00" <= ch <= "\ud7a3" or "\u1100" <= ch <= "\u11ff":
            return "ko"
        if "\u3040" <= ch <= "\u30ff":
            return "ja"
        if "\u4e00" <= ch <= "\u9fff":
            return "zh"
        if "\u0400" <= ch <= "\u04ff":
            return "ru"
        if "\u0600" <= ch <= "\u06ff":
            return "ar"
        if "\u0370" <= ch <= "\u03ff":
            return "el"
    return None


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()
