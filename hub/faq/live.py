"""Questions about the world right now (weather, news, scores, prices, traffic).

hub is offline: it has no source for them, and a small model asked anyway makes one up ("The
weather is sunny."). The general answer tier says so instead of asking the model.
"""

from __future__ import annotations

import re

from hub.text.fold import normalize_name

# Words, in the languages hub glosses, that ask about the world right now (as normalize_name
# writes them: lower case, no accents).
_WORD = re.compile(
    r"""\b(
      weather | forecast | rain(ing)? | snow(ing)? | sunny | news | headlines | scores? |
      stocks? | traffic
    | wetter(vorhersage)? | regen | regnet | schnee | nachrichten | verkehr   # de
    | meteo | pluie | pleut | pleuvoir | neige | nouvelles | actualites       # fr
    | clima | lluvia | llueve | llover | nieve | noticias | trafico           # es
    | pioggia | piove | neve | notizie | traffico                            # it
    | nieuws | regent | sneeuw | verkeer | weerbericht                        # nl
    | previsao | chuva | transito                                             # pt
    )\b""",
    re.VERBOSE,
)
# Scripts without spaces between words: matched as text.
_CJK = ("날씨", "뉴스", "일기예보", "天気", "ニュース", "天气", "新闻", "新聞", "天氣")

NO_LIVE_REPLY = "I'm offline here: I have no weather, news or other live information."


def asks_for_live_information(text: str) -> bool:
    return bool(_WORD.search(normalize_name(text))) or any(word in text for word in _CJK)
