"""Requests that only close a conversation: "thanks", "that's all", "Danke, das war's".

They ask for nothing, so no tier may act on them: a small model asked what "Danke, das war's"
means for the home turned a lamp off. A request is closing when it holds a word of thanks or
of an end, in one of the languages hub answers in, and nothing else but the words around them.
"""

from __future__ import annotations

from hub.text.fold import normalize_name

# Words of thanks and of an end ("that's all", "never mind"), folded, in the hub's languages
_CLOSING = frozenset(
    """
    thanks thank thx cheers nevermind danke dankeschon merci gracias grazie obrigado obrigada
    bedankt dank bedank tak tack kiitos 谢谢 谢了 多谢 ありがとう 감사합니다 고마워
    """.split()  # noqa: SIM905
)
# Words that may stand around them: "thank you very much", "that's all for now", "das war's"
_AROUND = frozenset(
    """
    you very much so a lot that thats s all for now it is was ok okay great good perfect fine
    mind never hub again please das war wars es schon sehr vielen viel c est tout beaucoup
    eso todo muchas mille tante je wel u het was dat alles
    """.split()  # noqa: SIM905
)


def is_closing(text: str) -> bool:
    """Whether ``text`` only thanks or ends ("thanks, that's all"), asking for nothing."""
    words = normalize_name(text.replace("'", " ")).split()
    return bool(words) and bool(set(words) & _CLOSING) and set(words) <= _CLOSING | _AROUND
