"""Whether a request says *not* to do something: "don't open the garage", "öffne nicht das
Garagentor", "n'ouvre pas la porte du garage", "no abras la puerta", "别开车库门".

The tiers read what a request asks for and are blind to a "not" (the model tier wrote
``open_cover`` for both French sentences above). A negated request is never acted on: the
pipeline refuses its security actions and asks before any other action. Words are matched
whole, after folding case and accents; the scripts without spaces are matched by their
characters.
"""

from __future__ import annotations

import re

from hub.text.fold import fold

# Folded (lower case, no accents) whole words that negate a verb, per language.
_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset({"dont", "not", "never", "neither", "nor", "cannot"}),
    "de": frozenset({"nicht", "nichts", "kein", "keine", "keinen", "niemals", "nie"}),
    "fr": frozenset({"pas", "jamais", "ne", "n", "ni", "aucun", "aucune"}),
    "es": frozenset({"no", "nunca", "jamas", "ni", "tampoco"}),
    "it": frozenset({"non", "mai"}),
    "nl": frozenset({"niet", "nooit", "geen"}),
    "pt": frozenset({"nao", "nunca", "nem", "jamais"}),
}
_ALL_WORDS = frozenset().union(*_WORDS.values())
# "do not" and "does not" are caught by "not"; contractions lose their apostrophe in folding.
_CONTRACTIONS = re.compile(r"\b\w+n['’]t\b")  # don't, doesn't, won't, can't, shouldn't
# zh: 不/别/勿 before a verb; ja: ないで, ません, 開けるな; ko: 지 마, 말고, 않, 안
_CJK = re.compile(r"不|别|勿|ないで|ません|するな|けるな|지\s*마|말고|마세요|않|안\s")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)  # apostrophes split: n'ouvre -> n, ouvre


def is_negated(text: str) -> bool:
    """Whether ``text`` says not to do what it names."""
    folded = fold(text)
    if _CONTRACTIONS.search(folded):
        return True
    if any(word in _ALL_WORDS for word in _WORD.findall(folded)):
        return True
    return bool(_CJK.search(text))
