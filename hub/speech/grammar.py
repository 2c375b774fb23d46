"""The recognizer grammar: what can be said to this home, in the words the speech model knows.

Built from the registry (device names and aliases, areas, floors) and the same hassil templates
the template tier matches (``home-assistant-intents`` plus ``intents/<lang>/``). Each template
sentence is expanded with the home's names (a device name only where the template accepts its
domain; a template for a domain or a feature the home does not have is left out). Numbers in
ranges become their own phrases, spoken as words (``오십``, ``fifty``), so that "50%" does not
multiply every sentence by a hundred.

A word of a phrase that the model does not know is split into known pieces where it can be
(``꺼줘`` -> ``꺼 줘``, only into pieces the templates themselves use) and put back together
after recognition (``restore``); one that cannot be split is left out and reported by name
(``unknown_home_words`` for the home's own names, the ones a person can fix with an alias).
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.registry import Registry
from hub.text.numbers import speaks, spellings

_LOGGER = logging.getLogger(__name__)

MAX_SENTENCES = 60_000
MAX_PER_SENTENCE = 3_000  # expansions of one template sentence (permutations can explode)
_PLACEHOLDER = re.compile(r"\{[^}]*\}")
_TEMPLATE_SYNTAX = re.compile(r"\{[^}]*\}|<[^>]*>|[\[\]()|]")
_PUNCTUATION = re.compile(r"[.,!?;:\"“”‘’()\[\]]")
# Template lists that only make sense if some device supports the feature
_LIST_FEATURES = {
    "color": "color",
    "color_temperature": "color_temp",
    "brightness": "brightness",
    "brightness_level": "brightness",
}
# Intents that only make sense if the home has a device of one of these domains (for template
# entries that name no domain themselves)
_INTENT_DOMAINS = {
    "HassLightSet": {"light"},
    "HassClimateSetTemperature": {"climate"},
    "HassSetPosition": {"cover", "valve"},
    "HassFanSetSpeed": {"fan"},
    "HassSetVolume": {"media_player"},
    "HassMediaPause": {"media_player"},
    "HassMediaUnpause": {"media_player"},
    "HassMediaNext": {"media_player"},
    "HassMediaPrevious": {"media_player"},
}
# Template lists that only make sense if the home has a device of the domain
_LIST_DOMAINS = {
    "temperature": ("climate",),
    "position": ("cover", "valve"),
    "volume": ("media_player",),
    "volume_step_up": ("media_player",),
    "volume_step_down": ("media_player",),
    "fan_speed": ("fan",),
}


@dataclass(frozen=True)
class Grammar:
    """Phrases for the recognizer, and how to turn what it heard back into template text."""

    language: str
    # The model's words the home's sentences use. Vosk (0.3.45) turns a grammar into a loop of
    # its words, so the words, not the sentences, are what constrains the recognizer.
    words: tuple[str, ...]
    registry_version: str = ""
    rejoin: Mapping[str, str] = field(default_factory=dict)  # "꺼 줘" -> "꺼줘"
    unknown_home_words: tuple[str, ...] = ()  # names in the home the model cannot say
    unknown_template_words: tuple[str, ...] = ()
    truncated: bool = False

    def restore(self, text: str) -> str:
        """Recognized text with split words joined again, as the templates spell them."""
        words = text.split()
        if not self.rejoin or len(words) < 2:
            return " ".join(words)
        longest = max(len(k.split()) for k in self.rejoin)
        out: list[str] = []
        i = 0
        while i < len(words):
            for n in range(min(longest, len(words) - i), 1, -1):
                joined = self.rejoin.get(" ".join(words[i : i + n]))
                if joined is not None:
                    out.append(joined)
                    i += n
                    break
            else:
                out.append(words[i])
                i += 1
        return " ".join(out)


class _Speller:
    """Turns template words into model words: as they are, split into known pieces, or not."""

    def __init__(self, vocabulary: Collection[str] | None, pieces: Collection[str] = ()) -> None:
        self.vocabulary = vocabulary
        # A word the model lacks may only be split into words the home's sentences also use
        # on their own ("꺼줘" -> "꺼 줘"): arbitrary syllables would soak up any sound.
        self.pieces = frozenset(p for p in pieces if vocabulary is None or p in vocabulary)
        self.rejoin: dict[str, str] = {}
        self.unknown: set[str] = set()
        self._cache: dict[str, tuple[str, ...] | None] = {}

    def word(self, token: str) -> tuple[str, ...] | None:
        if token in self._cache:
            return self._cache[token]
        pieces = self._spell(token)
        self._cache[token] = pieces
        if pieces is None:
            self.unknown.add(token)
        elif len(pieces) > 1:
            self.rejoin[" ".join(pieces)] = token
        return pieces

    def _spell(self, token: str) -> tuple[str, ...] | None:
        vocabulary = self.vocabulary
        if vocabulary is None or token in vocabulary:
            return (token,)
        lower = token.lower()
        if lower in vocabulary:
            return (lower,)
        if any(ch.isdigit() for ch in token):
            return None  # "50" is also in the grammar as words ("오십", "fifty")
        return _segment(lower, self.pieces)


def _segment(token: str, vocabulary: Collection[str]) -> tuple[str, ...] | None:
    """The split of ``token`` into the fewest known words, or None."""
    best: list[tuple[str, ...] | None] = [None] * (len(token) + 1)
    best[0] = ()
    for end in range(1, len(token) + 1):
        for start in range(max(0, end - 12), end):
            head = best[start]
            if head is None or token[start:end] not in vocabulary:
                continue
            candidate = (*head, token[start:end])
            current = best[end]
            if current is None or len(candidate) < len(current):
                best[end] = candidate
    return best[len(token)]


def _tokens(text: str) -> list[str]:
    return _PUNCTUATION.sub(" ", text).split()


def build_grammar(
    registry: Registry,
    language: str,
    *,
    vocabulary: Collection[str] | None = None,
    intents: Any = None,
    intent_dirs: Sequence[Path] = (),
    extra_phrases: Iterable[str] = (),
    number_step: int = 10,
    max_sentences: int = MAX_SENTENCES,
) -> Grammar:
    """The grammar for ``registry`` in ``language``; ``vocabulary`` is the model's words."""
    if intents is None:
        from hub.tiers.templates import PROJECT_INTENTS_DIR, load_intents

        intents = load_intents(language, [PROJECT_INTENTS_DIR, *intent_dirs])
    home = _home_phrases(registry)
    extra = list(extra_phrases)
    numbers = _numbers(intents, registry, language, number_step)
    sentences: dict[str, None] = {}
    truncated = False
    for text in _template_texts(intents, registry, language):
        for part in _PLACEHOLDER.split(text):
            if part.strip():
                sentences.setdefault(part.strip())
        if len(sentences) >= max_sentences:
            truncated = True
            _LOGGER.warning(
                "The speech grammar for %s was cut at %d sentences; some templates are out",
                language,
                max_sentences,
            )
            break
    texts = [*home, *extra, *numbers, *sentences]
    speller = _Speller(vocabulary, {t for t in _tokens(" ".join(texts))} | _chunks(intents))
    words: dict[str, None] = {}
    for text in texts:  # Vosk loops over words: a word it lacks costs only itself
        for token in _tokens(text):
            words.update(dict.fromkeys(speller.word(token) or ()))
    home_tokens = {t for text in [*home, *extra] for t in _tokens(text)}
    return Grammar(
        language=language,
        words=tuple(words),
        registry_version=registry.version,
        rejoin=dict(speller.rejoin),
        unknown_home_words=tuple(sorted(speller.unknown & home_tokens)),
        unknown_template_words=tuple(sorted(speller.unknown - home_tokens)),
        truncated=truncated,
    )


def _chunks(intents: Any) -> set[str]:
    """The pieces template sentences build words from: ``켜[줘|줄래]`` gives 켜, 줘, 줄래."""
    texts = [t for i in intents.intents.values() for d in i.data for t in d.sentence_texts]
    texts += [getattr(rule, "text", "") or "" for rule in intents.expansion_rules.values()]
    return {p for t in texts for p in _TEMPLATE_SYNTAX.sub(" ", t).split()}


def _home_phrases(registry: Registry) -> list[str]:
    names = [n for d in registry.devices for n in d.names]
    names += [n for a in registry.areas for n in a.names]
    names += [n for f in registry.floors for n in f.names]
    return list(dict.fromkeys(names))


def _template_texts(intents: Any, registry: Registry, language: str) -> Iterator[str]:
    """Every template sentence of the handled intents, with the home's names filled in and
    range slots left as ``{placeholders}``."""
    from hassil.sample import sample_expression

    base_lists = {**intents.slot_lists, **_home_lists(registry, None)}
    domains = {d.domain for d in registry.devices}
    features = {f for d in registry.devices for f in _features(d)}
    for intent in intents.intents.values():
        for data in intent.data:
            wanted = _entry_domains(data) or _INTENT_DOMAINS.get(intent.name)
            if wanted is not None and not wanted & domains:
                continue
            rules = {**intents.expansion_rules, **(data.expansion_rules or {})}
            lists = {**base_lists, **(data.slot_lists or {})}
            if wanted is not None:
                lists.update(_home_lists(registry, wanted))
            for sentence in data.sentences:
                used = set(sentence.list_names(rules))
                if used & set(data.wildcard_list_names or ()):
                    continue
                if not _usable(used, lists, features, domains):
                    continue
                texts = sample_expression(
                    sentence.expression, lists, rules, language, expand_ranges=False
                )
                yield from itertools.islice(texts, MAX_PER_SENTENCE)


def _usable(
    used: set[str], lists: Mapping[str, Any], features: set[str], domains: set[str]
) -> bool:
    for name in used:
        if name not in lists:
            return False
        feature = _LIST_FEATURES.get(name)
        if feature is not None and feature not in features:
            return False
        needs = _LIST_DOMAINS.get(name)
        if needs is not None and not set(needs) & domains:
            return False
        values = getattr(lists[name], "values", None)
        if values is not None and not values:
            return False
    return True


def _entry_domains(data: Any) -> set[str] | None:
    """The domains a template entry is for (its ``domain`` slot or required context)."""
    found: set[str] = set()
    for source in (data.slots or {}, data.requires_context or {}):
        value = source.get("domain")
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, list):
            found.update(v for v in value if isinstance(v, str))
    return found or None


def _features(device: Any) -> set[str]:
    found = set(device.features)
    if "color" in found or "color_temp" in found:
        found.add("brightness")
    return found


def _home_lists(registry: Registry, domains: set[str] | None) -> dict[str, Any]:
    """The ``name`` and ``area`` lists, for the given domains only (None: all)."""
    from hassil.intents import TextSlotList

    devices = [d for d in registry.devices if domains is None or d.domain in domains]
    names = [(n, n) for d in devices for n in dict.fromkeys(d.names)]
    area_ids = {d.area for d in devices} if domains is not None else None
    areas = [
        (n, a.id)
        for a in registry.areas
        if area_ids is None or a.id in area_ids
        for n in dict.fromkeys(a.names)
    ]
    floors = [(n, f.id) for f in registry.floors for n in dict.fromkeys(f.names)]
    return {
        "name": TextSlotList.from_tuples(names, allow_template=False),
        "area": TextSlotList.from_tuples(areas, allow_template=False),
        "floor": TextSlotList.from_tuples(floors, allow_template=False),
    }


def _numbers(intents: Any, registry: Registry, language: str, step: int) -> list[str]:
    """The numbers the home's range slots take (in ``step``s: "fifty", not "fifty-three",
    whose syllables would soak up any sound), as words in ``language``."""
    from hassil.intents import RangeSlotList

    domains = {d.domain for d in registry.devices}
    features = {f for d in registry.devices for f in _features(d)}
    values: set[int] = set()
    for name, slot_list in intents.slot_lists.items():
        if not isinstance(slot_list, RangeSlotList):
            continue
        if not _usable({name}, intents.slot_lists, features, domains):
            continue
        low, high = slot_list.start, slot_list.stop
        values.update(v for v in range(low, high + 1) if v % max(step, slot_list.step or 1) == 0)
        if len(values) > 2_000:
            break
    return number_words(sorted(values), language)


def number_words(numbers: Iterable[int], language: str) -> list[str]:
    """``numbers`` spelled out in ``language`` (every form the language has), digits if none."""
    if not speaks(language):  # no rules for the language: the model may still know the digits
        return [str(n) for n in numbers]
    out: dict[str, None] = {}
    for number in numbers:
        forms = spellings(number, language)
        if not forms:
            out.setdefault(str(number))
        for text in forms:
            out.setdefault(text.replace("-", " "))
    return list(out)
