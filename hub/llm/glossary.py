"""A home-automation glossary: a request in another language glossed into English words.

The 0.5B model reads English far better than Korean or Spanish, and home control has a small,
closed vocabulary: verbs (turn on, close, lock), device kinds, rooms, quantities. So before the
model sees a request like "apaga las luces del dormitorio", the words it knows are glossed into
the English words of the command language, in source order: "turn off lights bedroom". The model
then sees both (see ``hub.llm.prompt.user_message``).

The vocabulary is data, one YAML file per language in ``hub/llm/glossary/`` (format described in
``hub/llm/glossary/README.md``). Matching is a longest match over units: words for languages
written with spaces (German and Dutch compounds are split into known parts), characters for
Chinese, Japanese and Korean (so 거실 is found in 거실에 and 켜 in 켜줘). In a pattern, ``#``
stands for a number (carried over as is) and ``$`` for the end of the request.

English requests (most words English, or nothing foreign matched) get no gloss at all.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from hub.text.detect import HAN, HANGUL, KANA, character_languages, is_cjk
from hub.text.fold import fold

log = logging.getLogger(__name__)

NUMBER = "#"
END = "$"
CHOICE = "|"
# What a verb like 打开 ("turn on|open") means when the request names one of these.
OPENABLE = frozenset((
    "door", "doors", "blinds", "blind", "curtains", "curtain", "shutters", "shutter", "window",
    "windows", "gate", "valve", "tap", "shades", "awning", "covers",
))  # fmt: skip
AND = "and"

# Units of the scripts matched character by character: numbers, Latin words, characters.
_CJK_TEXT = re.compile(rf"\d+(?:[.,]\d+)?|[a-z]+|[%°]|[{KANA}{HAN}{HANGUL}]")
_WORD_TEXT = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+|[%°]")
# CJK numerals (Chinese and Japanese): 二十二 -> 22, 两 -> 2, 百 -> 100.
_CJK_DIGITS = {
    "〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5,
    "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_CJK_NUMERAL = re.compile(r"[〇零一二两兩三四五六七八九十百]+")
_PERCENT_OF = re.compile(r"百分之([〇零一二两兩三四五六七八九十百]+|\d+)")

# Words an English request is made of: function words and the words of requests to a home.
# With a glossary's English words they tell an English request from one in that language.
ENGLISH = frozenset(
    """
    a about after again all also am an and any are around as at away back be bit both but by
    can could did do does doing done down each else every except for from get go going got had
    has have he her here hers him his how i if im in into is it its just keep let lets like make
    me more most much my no not now of off on once one only or our out over please put really
    right same set she should so some still than thank thanks that the their them then there
    these they this those to too turn under until up us very want was we were what when where
    which while who why will with would you your yours two three four five six seven eight nine
    ten twenty thirty forty fifty sixty seventy eighty ninety hundred percent degrees degree
    switch light lights lamp lamps room living kitchen bedroom bathroom hallway hall office
    garden garage door doors front tv television music song track volume loud louder quiet
    quieter mute unmute play pause stop start resume skip next previous open close shut lock
    unlock dim brighten brighter darker bright dark warm warmer cold colder hot cool cooler
    heating heat thermostat temperature fan fans speed blinds blind curtains curtain shutters
    shades window windows vacuum robot clean speaker coffee machine maker sprinkler water tap
    valve scene color colour red green blue white yellow orange purple pink kill crank shut
    downstairs upstairs floor ground first second kids nursery study lounge entrance backyard
    bed leaving heading home movie night morning bedtime list shopping add weather today
    tomorrow joke tell time
    """.split()  # noqa: SIM905
)


class GlossaryError(ValueError):
    """A glossary file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Glossary:
    """One language's vocabulary: patterns (tuples of units) mapped to English words."""

    language: str
    by_characters: bool  # zh, ja, ko: units are characters, not words
    compounds: bool  # de, nl: a word may be split into known parts
    links: tuple[str, ...]  # linking letters between the parts of a compound ("s" in -s-)
    entries: dict[tuple[str, ...], str]
    longest: int
    numbers: dict[str, int]  # number words (and parts of them: "veinti", "ein") -> value
    english: frozenset[str] = frozenset()  # the English words its glosses use

    def units(self, text: str) -> list[str]:
        """The request as units to match: words or characters, numbers as written, then $."""
        text = fold(text)
        if self.by_characters:
            found = _CJK_TEXT.findall(_cjk_numerals(text))
        else:
            found = _WORD_TEXT.findall(text)
        return [u.replace(",", ".") if u[0].isdigit() else u for u in found] + [END]


@dataclass(frozen=True)
class Match:
    """How one glossary read a request."""

    language: str
    words: tuple[str, ...]  # the gloss, in source order
    content: int  # units matched to English words
    function: int  # units matched to nothing (articles, particles, politeness)
    english: int  # content units that are the same word in English ("tv", "open")

    @property
    def score(self) -> float:
        return self.content - self.english + 0.5 * self.function


def gloss(text: str, languages: Iterable[str] | None = None) -> str | None:
    """The English gloss of ``text`` in source order, or None when the request is (nearly)
    English or no glossary matched it. ``languages``: the glossaries to try (default: all).

    Remembered for the last requests: the LLM tier reads a request's gloss to find places and
    candidates, and the prompt shows it to the model, so each request asks twice."""
    return _gloss(text, None if languages is None else tuple(languages))


@functools.lru_cache(maxsize=256)
def _gloss(text: str, languages: tuple[str, ...] | None) -> str | None:
    match = best_match(text, languages)
    if match is None:
        return None
    words = " ".join(_choose(w, match.words) for w in match.words if w)
    return words or None


def _choose(word: str, words: Sequence[str]) -> str:
    """One meaning of an "a|b" word: b when the request names something that opens."""
    if CHOICE not in word:
        return word
    plain, opening = word.split(CHOICE, 1)
    named = {part for w in words if CHOICE not in w for part in w.split()}
    return opening if named & OPENABLE else plain


def best_match(text: str, languages: Iterable[str] | None = None) -> Match | None:
    """The glossary that reads ``text`` best, when it reads it better than English does."""
    codes = available() if languages is None else [c for c in languages if c in available()]
    scripts = character_languages(text)  # zh, ja, ko: only their glossaries read the text
    candidates = []
    for code in codes:
        glossary = load(code)
        if scripts and not glossary.by_characters:
            continue
        if glossary.by_characters and code not in scripts:
            continue
        candidates.append(read(glossary, text))
    # a tie goes to the likelier language of the script: Han alone is Chinese before Japanese
    # ("上一曲" is the previous track, not the Japanese 曲, music)
    rank = {code: -i for i, code in enumerate(scripts)}
    best = max(
        candidates, key=lambda m: (m.score, m.content, rank.get(m.language, 0)), default=None
    )
    if best is None or best.content - best.english < 1:
        return None
    if not scripts and best.score <= _english_words(text, best.language):
        return None
    return best


def read(glossary: Glossary, text: str) -> Match:
    """Gloss ``text`` with one glossary: the longest pattern at each unit, left to right."""
    units = _numbers(glossary, glossary.units(text))
    words: list[str] = []
    content = function = english = 0
    i = 0
    while i < len(units):
        unit = units[i]
        hit = _longest(glossary, units, i)
        if hit is not None:
            length, meaning = hit
            span = units[i : i + length]
            numbers = [u for u in span if _is_number(u)]
            if CHOICE in meaning:
                words.append(meaning)
            elif NUMBER in meaning.split():
                words.extend(
                    numbers.pop(0) if w == NUMBER and numbers else w for w in meaning.split()
                )
            else:  # "auf #" -> to 22, "# grad" -> 22 degrees: numbers stay where they were
                lead = 1 if span and _is_number(span[0]) else 0
                words.extend([*numbers[:lead], *meaning.split(), *numbers[lead:]])
            matched = [u for u in units[i : i + length] if u != END and not _is_number(u)]
            if meaning:
                content += 1
                english += all(u in ENGLISH for u in matched)
            else:
                function += 1
            i += length
            continue
        if unit == END:
            break
        parts = _compound(glossary, unit) if glossary.compounds else None
        if parts is not None:
            words.extend(p for p in parts if p)
            content += 1
        elif _is_number(unit) or unit in "%°" or not is_cjk(unit):
            words.append(unit)  # numbers, names and words the glossary does not know
        i += 1
    return Match(glossary.language, _dedupe(words), content, function, english)


def _longest(glossary: Glossary, units: Sequence[str], start: int) -> tuple[int, str] | None:
    for length in range(min(glossary.longest, len(units) - start), 0, -1):
        key = tuple(NUMBER if _is_number(u) else u for u in units[start : start + length])
        meaning = glossary.entries.get(key)
        if meaning is not None:
            return length, meaning
    return None


def _compound(glossary: Glossary, word: str) -> list[str] | None:
    """A word made of known parts ("garagentor", "woonkamerlamp"), as their glosses."""
    if len(word) < 6:
        return None
    return _split(glossary, word, 0)


def _split(glossary: Glossary, word: str, depth: int) -> list[str] | None:
    if not word:
        return []
    if depth > 3:
        return None
    for end in range(len(word), 2, -1):
        meaning = glossary.entries.get((word[:end],))
        if meaning is None:
            continue
        rest = word[end:]
        for link in ("", *glossary.links):
            if rest.startswith(link) and (link == "" or len(rest) > len(link) + 2):
                tail = _split(glossary, rest[len(link) :], depth + 1)
                if tail is not None:
                    return [meaning, *tail]
    return None


def _numbers(glossary: Glossary, units: Sequence[str]) -> list[str]:
    """Number words as digits, put together: "vingt deux" -> 22, "einundzwanzig" -> 21."""
    out: list[str] = []
    for unit in units:
        article = glossary.entries.get((unit,)) == ""  # "un", "uno": a number only in "vingt et un"
        phrase = bool(out) and (out[-1], unit) in glossary.entries  # "pour cent": not 100
        if not _is_number(unit) and not glossary.by_characters and not phrase:
            parts = _number_parts(glossary, unit, 0)
            joined = _join(parts) if parts else []
            if len(joined) == 1 and _is_number(joined[0]):
                if article and not (out and _and(glossary, out[-1])):
                    out.append(unit)
                    continue
                unit = joined[0]
        if _is_number(unit) and out:
            after_and = len(out) >= 2 and _and(glossary, out[-1]) and _is_number(out[-2])
            joined = _join([out[-2], AND, unit] if after_and else [out[-1], unit])
            if len(joined) == 1:
                del out[-2 if after_and else -1 :]
                out.append(joined[0])
                continue
        out.append(unit)
    return out


def _number_parts(glossary: Glossary, word: str, depth: int) -> list[str] | None:
    """A number word as its parts: "einundzwanzig" -> [1, and, 20]; None if it is not one."""
    if not word:
        return []
    if depth > 3:
        return None
    for end in range(len(word), 0, -1):
        head = word[:end]
        value = glossary.numbers.get(head)
        part = str(value) if value is not None else (AND if _and(glossary, head) else None)
        if part is None:
            continue
        rest = _number_parts(glossary, word[end:], depth + 1)
        if rest is not None:
            return [part, *rest]
    return None


def _and(glossary: Glossary, unit: str) -> bool:
    return unit == AND or glossary.entries.get((unit,)) == AND


def _join(parts: Sequence[str]) -> list[str]:
    """[20, 2] -> [22]; [2, and, 20] -> [22]; [20, and, 2] -> [22]; anything else unchanged."""
    if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
        a, b = int(parts[0]), int(parts[1])
        if (a % 10 == 0 and 10 <= a <= 90 and 1 <= b <= 9) or (a in (60, 80) and 10 <= b <= 19):
            return [str(a + b)]
        if (a, b) == (4, 20):  # quatre-vingt
            return ["80"]
    if len(parts) == 3 and _is_number(parts[0]) and _is_number(parts[2]):
        first, last = parts[0], parts[2]
        if (_is_tens(first) and _is_unit(last)) or (_is_unit(first) and _is_tens(last)):
            return [str(int(first) + int(last))]
    return list(parts)


def _dedupe(words: Sequence[str]) -> tuple[str, ...]:
    """A verb and its particle glossed alike ("on on") said once."""
    out: list[str] = []
    for word in words:
        if out and word == out[-1] and not _is_number(word):
            continue
        out.append(word)
    return tuple(out)


def _is_number(unit: str) -> bool:
    return bool(unit) and unit[0].isdigit()


def _is_tens(unit: str) -> bool:
    return unit.isdigit() and 20 <= int(unit) <= 90 and int(unit) % 10 == 0


def _is_unit(unit: str) -> bool:
    return unit.isdigit() and 1 <= int(unit) <= 9


def _english_words(text: str, language: str) -> float:
    words = _WORD_TEXT.findall(fold(text))
    glossary = load(language)
    vocabulary = ENGLISH | glossary.english
    return sum(1 for w in words if w in vocabulary and (w,) not in glossary.entries)


def _cjk_numerals(text: str) -> str:
    """Numerals as digits; 百分之五十 as 50%; a lone 一 only before 度 (一下, 一半 stay)."""
    text = _PERCENT_OF.sub(lambda m: _cjk_value(m.group(1)) + "%", text)

    def value(m: re.Match[str]) -> str:
        after = text[m.end() : m.end() + 1]
        if m.group() == "一" and after != "度":
            return m.group()
        return _cjk_value(m.group())

    return _CJK_NUMERAL.sub(value, text)


def _cjk_value(numeral: str) -> str:
    """二十二 -> 22, 十 -> 10, 一百 -> 100, 二五 -> 25; anything odd is left as written."""
    if numeral.isdigit():
        return numeral
    if "十" not in numeral and "百" not in numeral:
        return "".join(str(_CJK_DIGITS[c]) for c in numeral)
    total, digit = 0, None
    for char in numeral:
        if char in _CJK_DIGITS:
            digit = _CJK_DIGITS[char]
        elif char == "十":
            total += (1 if digit is None else digit) * 10
            digit = None
        elif char == "百":
            total += (1 if digit is None else digit) * 100
            digit = None
    return str(total + (digit or 0))


# -- loading ----------------------------------------------------------------------------------


@functools.cache
def available() -> tuple[str, ...]:
    """The language codes a glossary ships for."""
    folder = resources.files("hub.llm") / "glossary"
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml")))


@functools.cache
def load(code: str) -> Glossary:
    """The glossary for ``code``; GlossaryError names the file and entry when it is malformed."""
    name = f"{code}.yaml"
    source = resources.files("hub.llm") / "glossary" / name
    try:
        data = yaml.load(source.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except (OSError, yaml.YAMLError) as exc:
        raise GlossaryError(f"glossary {name}: cannot be read: {exc}") from exc
    return parse(name, data)


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe loader that refuses a key given twice (YAML would keep only the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def parse(name: str, data: Any) -> Glossary:
    """A glossary from its YAML data (see glossary/README.md)."""
    if not isinstance(data, dict):
        raise GlossaryError(f"glossary {name}: expected a mapping at the top")
    keys = {"language", "characters", "compounds", "links", "gloss", "drop", "numbers"}
    unknown = set(data) - keys
    if unknown:
        raise GlossaryError(f"glossary {name}: unknown keys {sorted(unknown)}")
    code = data.get("language")
    if not isinstance(code, str) or not code:
        raise GlossaryError(f"glossary {name}: 'language' must name the language code")
    by_characters = bool(data.get("characters", False))
    probe = Glossary(code, by_characters, False, (), {}, 1, {})
    entries: dict[tuple[str, ...], str] = {}

    def add(meaning: str, pattern: Any, where: str) -> None:
        if not isinstance(pattern, str | int) or isinstance(pattern, bool) or str(pattern) == "":
            raise GlossaryError(f"glossary {name}: {where}: {pattern!r} is not a word")
        key = tuple(probe.units(str(pattern).replace(NUMBER, " 0 "))[:-1])
        if str(pattern).rstrip().endswith(END):
            key += (END,)
        key = tuple(NUMBER if _is_number(u) else u for u in key)
        if not key:
            raise GlossaryError(f"glossary {name}: {where}: {pattern!r} has no letters")
        entries.setdefault(key, meaning)

    gloss_map = data.get("gloss") or {}
    if not isinstance(gloss_map, dict):
        raise GlossaryError(f"glossary {name}: 'gloss' must map English words to lists")
    for meaning, patterns in gloss_map.items():
        english = str(meaning).strip()
        if not english:
            raise GlossaryError(f"glossary {name}: gloss: an empty English key; use 'drop'")
        if not isinstance(patterns, list):
            raise GlossaryError(f"glossary {name}: gloss: {english}: expected a list of words")
        for pattern in patterns:
            add(english, pattern, f"gloss: {english}")
    drop = data.get("drop") or []
    if not isinstance(drop, list):
        raise GlossaryError(f"glossary {name}: 'drop' must be a list of words")
    for pattern in drop:
        add("", pattern, "drop")
    links = data.get("links") or []
    if not isinstance(links, list) or not all(isinstance(x, str) for x in links):
        raise GlossaryError(f"glossary {name}: 'links' must be a list of letters")
    numbers = data.get("numbers") or {}
    if not isinstance(numbers, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in numbers.values()
    ):
        raise GlossaryError(f"glossary {name}: 'numbers' must map words to whole numbers")
    values = {fold(str(k)): int(v) for k, v in numbers.items()}
    for key, meaning in entries.items():
        if len(key) == 1 and meaning.isdigit():
            values.setdefault(key[0], int(meaning))
    return Glossary(
        numbers=values,
        language=code,
        by_characters=by_characters,
        compounds=bool(data.get("compounds", False)),
        links=tuple(links),
        entries=entries,
        longest=max((len(k) for k in entries), default=1),
        english=frozenset(w for m in entries.values() for w in re.split(r"[ |]", m) if w),
    )
