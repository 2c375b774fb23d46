"""Finding the household's FAQ entries a question is about.

Each entry lists the ways people ask for it. A question matches an entry when most of the
content words of one of those phrasings occur in it (or most of the question's words occur in
the phrasing), after folding case and accents; words that say nothing ("what", "is", "the")
do not count. Text without spaces (Chinese, Japanese) is compared by characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from hub.config import FAQEntry
from hub.text.detect import is_unspaced
from hub.text.fold import fold

MIN_SCORE = 0.6

_FILLER = {
    # en
    "what",
    "whats",
    "what's",
    "is",
    "are",
    "the",
    "a",
    "an",
    "our",
    "my",
    "me",
    "tell",
    "please",
    "do",
    "does",
    "we",
    "you",
    "can",
    "i",
    "of",
    "for",
    "to",
    "it",
    "its",
    "when",
    "which",
    "how",
    "who",
    "where",
    "again",
    "know",
    "hey",
    "hi",
    "s",
    # de, fr, es (the commonest question words)
    "was",
    "ist",
    "der",
    "die",
    "das",
    "wie",
    "wann",
    "unser",
    "unsere",
    "quel",
    "quelle",
    "est",
    "le",
    "la",
    "les",
    "notre",
    "qué",
    "que",
    "cuál",
    "cual",
    "es",
    "el",
    "nuestro",
    "nuestra",
}
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Match:
    entry: FAQEntry
    score: float


def _words(text: str) -> set[str]:
    folded = fold(text)
    words = set(_WORD.findall(folded))
    cjk = {ch for ch in folded if is_unspaced(ch)}  # Chinese and Japanese: characters too
    return (words - _FILLER) | cjk if cjk else words - _FILLER


class FAQIndex:
    def __init__(self, entries: Sequence[FAQEntry]) -> None:
        self.entries = tuple(entries)
        self._phrasings = [(e, _words(q)) for e in self.entries for q in (*e.questions, e.id)]

    def match(self, question: str) -> list[Match]:
        """Entries the question is about, best first (score 0..1, at least MIN_SCORE)."""
        asked = _words(question)
        if not asked:
            return []
        best: dict[str, Match] = {}
        for entry, words in self._phrasings:
            if not words:
                continue
            shared = len(asked & words)
            score = max(shared / len(words), shared / len(asked)) if shared else 0.0
            if score >= MIN_SCORE and score > best.get(entry.id, Match(entry, 0.0)).score:
                best[entry.id] = Match(entry, score)
        return sorted(best.values(), key=lambda m: -m.score)
