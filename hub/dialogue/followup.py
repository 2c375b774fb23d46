"""Reading a follow-up: "yes", "no", the PIN, "the bedroom one", "the second", "both", and
requests that point back ("turn it off again", "and the kitchen too", "a bit brighter").

Pure functions over the text and the registry; ``hub.dialogue.flow`` decides what to do.
Words are compared after ``normalize_name`` (case, accents and punctuation folded).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hub.registry import Device, Registry
from hub.text.fold import fold, names_any, normalize_name
from hub.text.numbers import number_words


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


YES_WORDS = _set(
    """yes yeah yep yup sure ok okay confirm confirmed correct right affirmative please
    ja jawohl genau klar bestatigen bestatige oui ouais confirme confirmer si claro vale
    confirmo certo conferma jazeker bevestig sim"""
)
YES_PHRASES = ("do it", "go ahead", "please do", "d accord", "por favor",
               "是", "是的", "好", "好的", "对", "确认", "はい", "ええ", "うん", "お願い",
               "네", "예", "응", "그래", "확인")  # fmt: skip
# Not "stop": "stop the music" is a request, not an answer
NO_WORDS = _set(
    """no nope nah cancel never nein abbrechen nicht non annule annuler annulla
    cancela cancelar nee annuleer nao"""
)
# Words an answer may carry beside its yes or no ("ok do it", "yes please", "no thanks")
_ANSWER_FILLER = _set("please thanks thank you do it that go ahead mind bitte merci gracias")
NO_PHRASES = ("never mind", "nevermind", "don t", "dont",
              "不", "不要", "取消", "算了", "いいえ", "いや", "キャンセル",
              "아니", "아니요", "취소")  # fmt: skip
ALL_WORDS = ("both", "all", "all of them", "each", "either", "beide", "alle", "les deux",
             "tous", "toutes", "ambos", "ambas", "todos", "todas", "entrambi", "tutti",
             "allebei", "两个", "都", "全部", "両方", "둘 다", "모두")  # fmt: skip
ORDINALS: dict[str, int] = {
    **dict.fromkeys(("first", "1st", "erste", "ersten", "premier", "premiere", "primero",
                     "primera", "primo", "prima", "eerste", "primeiro", "第一"), 0),
    **dict.fromkeys(("second", "2nd", "zweite", "zweiten", "deuxieme", "seconde", "segundo",
                     "segunda", "secondo", "seconda", "tweede", "第二"), 1),
    **dict.fromkeys(("third", "3rd", "dritte", "dritten", "troisieme", "tercero", "tercera",
                     "terzo", "terza", "derde", "terceiro", "第三"), 2),
    **dict.fromkeys(("fourth", "4th", "vierte", "quatrieme", "cuarto", "quarto", "vierde"), 3),
}  # fmt: skip
LAST_WORDS = frozenset({"last", "letzte", "letzten", "dernier", "derniere", "ultimo", "ultima",
                        "laatste"})  # fmt: skip
# A PIN said digit by digit: "one two three four", "oh five" (English, as before).
DIGIT_WORDS = {w: str(n) for w, n in number_words("en", range(10)).items()} | {"oh": "0"}
# Words that point back to what the conversation last did.
PRONOUNS = _set(
    """it them that those these this one ones es sie ihn das le la les lo los las li het ze
    o os"""
)
AGAIN_WORDS = _set(
    """again too also aswell wieder auch nochmal encore aussi tambien otra vez ancora anche
    weer ook tambem"""
)
_RELATIVE = re.compile(
    r"\b(brighter|dimmer|darker|lighter|louder|quieter|softer|warmer|cooler|colder|hotter|"
    r"higher|lower|more|less|up|down|heller|dunkler|lauter|leiser|warmer|kalter|"
    r"plus|moins|mas|menos|piu|meno)\b"
)


def _words(text: str) -> list[str]:
    return normalize_name(text).split()


def _has_phrase(text: str, phrases: Sequence[str]) -> bool:
    """Whether ``text`` holds one of ``phrases``: Latin ones as whole folded words, the others
    (CJK, Hangul) as written (``fold`` keeps them)."""
    folded = f" {normalize_name(text)} "
    raw = fold(text)
    return any(f" {p} " in folded if p.isascii() else p in raw for p in phrases)


def yes_or_no(text: str) -> str | None:
    """ "yes" when the text opens with a yes, "no" when it opens with a no, else None."""
    words = _words(text)
    if not words:
        return None
    opening = " ".join(text.split()[:3])
    if words[0] in NO_WORDS or _has_phrase(opening, NO_PHRASES):
        return "no"
    if words[0] in YES_WORDS or _has_phrase(opening, YES_PHRASES):
        return "yes"
    return None


def bare_answer(text: str) -> bool:
    """ "yes", "no thanks", "ok do it", "はい": an answer and nothing else to act on."""
    if yes_or_no(text) is None:
        return False
    words = _words(text)
    answer_words = YES_WORDS | NO_WORDS | _ANSWER_FILLER
    return all(w in answer_words or not w.isascii() for w in words) and len(words) <= 4


def spoken_digits(text: str) -> str:
    """Every digit the text says, in order: "1 2 34" and "one two three four" are "1234"."""
    out: list[str] = []
    for word in _words(text):
        if word.isdigit():
            out.append(word)
        elif word in DIGIT_WORDS:
            out.append(DIGIT_WORDS[word])
    return "".join(out)


def says_pin(text: str, pin: str) -> bool:
    return spoken_digits(text) == pin


def chosen(text: str, choices: Sequence[str], registry: Registry) -> tuple[str, ...]:
    """The choices the answer names, in the question's order; empty when it names none."""
    devices = [d for d in (registry.device(c) for c in choices) if d is not None]
    if not devices:
        return ()
    words = _words(text)
    folded = f" {' '.join(words)} "
    if any(f" {w} " in folded or (not w.isascii() and w in text) for w in ALL_WORDS):
        return tuple(d.entity_id for d in devices)
    for word in words:
        if word in LAST_WORDS:
            return (devices[-1].entity_id,)
        index = ORDINALS.get(word)
        if index is None and word.isdigit() and len(words) <= 3:
            index = int(word) - 1
        if index is not None and 0 <= index < len(devices):
            return (devices[index].entity_id,)
    picked = [d for d in devices if _names_it(folded, d, devices, registry)]
    if picked and len(picked) < len(devices):
        return tuple(d.entity_id for d in picked)
    return ()


def _names_it(folded: str, device: Device, devices: Sequence[Device], registry: Registry) -> bool:
    """Whether the answer names something that tells ``device`` from the other choices: its
    own name, its area or its floor (a name every choice shares tells nothing)."""
    labels: list[str] = [*device.names, device.entity_id.split(".", 1)[-1]]
    area = registry.area(device.area)
    if area is not None:
        labels += area.names
        floor = registry.floor(area.floor)
        if floor is not None:
            labels += floor.names
    for label in map(normalize_name, labels):
        if not label or f" {label} " not in folded:
            continue
        shared = all(label in _labels(other, registry) for other in devices)
        if not shared:
            return True
    return False


def _labels(device: Device, registry: Registry) -> set[str]:
    labels = {normalize_name(n) for n in device.names}
    area = registry.area(device.area)
    if area is not None:
        labels |= {normalize_name(n) for n in area.names}
    return labels


def points_back(text: str) -> bool:
    """Whether the request refers to what the conversation just did ("turn it off again",
    "and the kitchen too", "a bit brighter")."""
    words = set(_words(text))
    return bool(words & PRONOUNS or words & AGAIN_WORDS or _RELATIVE.search(" ".join(words)))


def with_target(text: str, name: str) -> tuple[str, ...]:
    """Ways to say ``text`` about ``name``: the pronoun replaced by the name ("turn it off
    again" -> "turn Kitchen Light off"), or the name added ("a bit brighter" -> "make Kitchen
    Light a bit brighter")."""
    words = text.split()
    kept = [w for w in words if normalize_name(w) not in AGAIN_WORDS]
    replaced = [name if normalize_name(w) in PRONOUNS else w for w in kept]
    out: list[str] = []
    if replaced != kept:
        out.append(" ".join(replaced))
    rest = " ".join(kept)
    if rest:
        out.append(f"make {name} {rest}" if _RELATIVE.search(normalize_name(rest)) else "")
        out.append(f"{rest} {name}")
    return tuple(dict.fromkeys(o for o in out if o))


def places_named(text: str, registry: Registry) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The areas and devices the text names: ("and the kitchen too" -> (("kitchen",), ()))."""
    areas = tuple(a.id for a in registry.areas if names_any(text, a.names))
    devices = tuple(d.entity_id for d in registry.devices if names_any(text, d.names))
    return areas, devices
