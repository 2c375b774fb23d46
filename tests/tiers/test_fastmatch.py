"""FastMatcher gives hassil's answer, or none: checked against hassil itself, no mocks.

The tier's real inputs (Home Assistant's English templates merged with the project's, slot
lists built from a registry) on two homes: a small inline one with awkward names, and the
benchmark's home when the shared folder is there. Sentences: the benchmark's, a few thousand
sampled from the templates with ``hassil.sample`` (shuffled, with numbers, skip words,
punctuation and case varied), and near misses. A FastResult must equal ``recognize_best``;
``Miss.NO_MATCH`` must mean hassil finds nothing; None ("not sure") is always allowed.
"""

from __future__ import annotations

import random
import re
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hassil import Intents, RecognizeResult, recognize_best
from hassil.errors import MissingRuleError
from hassil.expression import (
    Alternative,
    Expression,
    Group,
    Permutation,
    RuleReference,
    Sentence,
    Sequence,
)
from hassil.intents import RangeSlotList, SlotList, TextSlotList
from hassil.numbers import get_rbnf_engine
from hassil.recognize import recognize_ranked
from hassil.sample import sample_expression

from hub.bench import load_case_file
from hub.config import parse_config
from hub.registry import Registry
from hub.tiers.fastmatch import FastMatcher, FastResult, Miss
from hub.tiers.templates import CUSTOM_METADATA_KEY, TemplateTier, build_slot_lists

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
BENCH_CASES = SHARED / "bench" / "intents-en" / "cases.yaml"
BENCH_HOME = SHARED / "bench" / "intents-en" / "home.yaml"

HOME = """
floors:
  - {id: ground, name: Ground Floor, aliases: [downstairs]}
  - {id: upper, name: Upstairs, aliases: [top floor]}
areas:
  - {id: kitchen, name: Kitchen, floor: ground}
  - {id: living_room, name: Living Room, floor: ground, aliases: [lounge]}
  - {id: bedroom, name: Bedroom, floor: upper}
  - {id: kids_room, name: Kid's Room, floor: upper}
  - {id: office, name: Office, floor: upper}
  - {id: garage, name: Garage, floor: ground}
devices:
  - {id: light.kitchen, name: Kitchen Light, area: kitchen, features: [brightness, color]}
  - {id: light.kitchen_ceiling, name: Kitchen Ceiling Light, area: kitchen}
  - {id: light.lamp, name: Lamp, area: living_room, features: [color_temp]}
  - {id: light.reading_lamp, name: Reading Lamp, area: living_room, aliases: [book light]}
  - {id: light.bedroom, name: Bedroom, area: bedroom}
  - {id: light.kids_lamp, name: Kid's Lamp, area: kids_room, features: [color]}
  - {id: light.office_1, name: Office Light 1, area: office}
  - {id: light.office_2, name: Office Light 2, area: office}
  - {id: switch.wifi_plug, name: Wi-Fi Plug, area: office}
  - {id: switch.coffee, name: Coffee Maker, area: kitchen, aliases: [coffee machine]}
  - {id: fan.ceiling, name: Ceiling Fan, area: living_room}
  - {id: fan.desk, name: Desk Fan, area: office}
  - {id: cover.garage_door, name: Garage Door, area: garage, device_class: garage}
  - {id: cover.blinds, name: Living Room Blinds, area: living_room, device_class: blind}
  - {id: cover.bedroom_curtain, name: Bedroom Curtain, area: bedroom, device_class: curtain}
  - {id: lock.front_door, name: Front Door, area: garage}
  - {id: climate.thermostat, name: Thermostat, area: living_room}
  - {id: media_player.tv, name: TV, area: living_room, aliases: [television]}
  - {id: media_player.kitchen_speaker, name: Kitchen Speaker, area: kitchen}
  - {id: vacuum.robot, name: Robot Vacuum, area: living_room, aliases: [Roomba]}
  - {id: scene.movie_night, name: Movie Night}
  - {id: script.good_morning, name: Good Morning}
  - {id: sensor.outside_temperature, name: Outside Temperature, area: garage}
  - {id: binary_sensor.back_door, name: Back Door, area: kitchen, device_class: door}
  - {id: todo.shopping_list, name: Shopping List}
  - {id: todo.groceries, name: Groceries}
  - {id: valve.water, name: Water Valve, area: garage}
  - {id: input_boolean.guest_mode, name: Guest Mode}
"""

CHITCHAT = [
    "hello",
    "tell me a joke",
    "what is the meaning of life",
    "how are you today",
    "who won the game last night",
    "what's the weather like tomorrow",
    "remind me to call mom",
    "play some jazz",
    "I am hungry",
    "thanks",
    "good night",
    "what can you do",
    "turn",
    "turn on",
    "turn on the",
    "set the",
    "open",
    "is the",
    "what is",
    "please",
    "",
    "   ",
    "?!",
    "on on on on",
    "the the the lights lights",
    "turn on the garden gnome",
    "switch off the hyperdrive",
    "open the pod bay doors",
    "set the toaster to 40%",
    "set brightness to 250%",
    "set the volume to minus 5",
    "set the temperature to 1000 degrees",
    "turn off the lights in the attic",
    "turn on the kitchen light and the lamp",
    "lights on in the kitchen and the office",
    "add to my shopping list",
    "turn the kitchen light on off",
]


class Home:
    """The tier's inputs for one registry, and a matcher built from them."""

    def __init__(self, intents: Intents, registry: Registry) -> None:
        self.intents = intents
        self.registry = registry
        self.lists: dict[str, SlotList] = build_slot_lists(registry)
        self.matcher = FastMatcher(intents, self.lists, "en")

    def context(self, area_id: str | None) -> dict[str, Any] | None:
        area = self.registry.area(area_id)
        return {"area": {"value": area.id, "text": area.name}} if area else None

    def hassil(self, text: str, context: dict[str, Any] | None) -> FastResult | None:
        best = recognize_best(
            text,
            self.intents,
            slot_lists=self.lists,
            intent_context=context,
            language="en",
            best_metadata_key=CUSTOM_METADATA_KEY,
            best_slot_name="name",
        )
        return _answer([best] if best else [])

    def ranked(self, text: str, context: dict[str, Any] | None) -> list[RecognizeResult]:
        """Every parse hassil finds, best first (``recognize_best`` is the first of these)."""
        return recognize_ranked(
            text,
            self.intents,
            slot_lists=self.lists,
            intent_context=context,
            language="en",
            best_metadata_key=CUSTOM_METADATA_KEY,
            best_slot_name="name",
        )

    def disagreements(self, cases: list[tuple[str, dict[str, Any] | None]]) -> Check:
        check = Check()
        for text, context in cases:
            started = time.perf_counter()
            fast = self.matcher.lookup(text, context)
            check.fast_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            ranked = self.ranked(text, context)
            check.hassil_ms.append((time.perf_counter() - started) * 1000)
            expected = _answer(ranked)
            check.matched += expected is not None
            # The superset property itself: every template behind any of hassil's parses
            # (not only the best) was a candidate.
            kept = {
                (id(entry.data), id(entry.single.sentences[0]))
                for entry in self.matcher._candidates(text, context)
            }
            for result in ranked:
                if (id(result.intent_data), id(result.intent_sentence)) not in kept:
                    dropped = result.intent_sentence.text if result.intent_sentence else None
                    check.wrong.append((text, context, "dropped template", dropped))
            if fast is None:
                check.unsure += 1
            elif fast is Miss.NO_MATCH:
                if expected is not None:
                    check.wrong.append((text, context, "no match", expected))
            else:
                check.answered += 1
                if fast != expected:
                    check.wrong.append((text, context, fast, expected))
        return check


def _answer(ranked: list[RecognizeResult]) -> FastResult | None:
    if not ranked:
        return None
    best = ranked[0]
    slots = {name: entity.value for name, entity in best.entities.items()}
    return FastResult(best.intent.name, slots, best.intent_metadata)


class Check:
    def __init__(self) -> None:
        self.wrong: list[tuple[Any, ...]] = []
        self.answered = 0
        self.matched = 0  # sentences hassil recognizes
        self.unsure = 0
        self.fast_ms: list[float] = []
        self.hassil_ms: list[float] = []

    def assert_agrees(self) -> None:
        shown = "\n".join(repr(w) for w in self.wrong[:10])
        assert not self.wrong, f"{len(self.wrong)} answers differ from hassil:\n{shown}"


@pytest.fixture(scope="module")
def intents() -> Intents:
    merged: Intents = TemplateTier(["en"])._langs[0].intents
    return merged


@pytest.fixture(scope="module")
def home(intents: Intents) -> Home:
    return Home(intents, parse_config(HOME).registry())


@pytest.fixture(scope="module")
def bench_home(intents: Intents) -> Home:
    if not BENCH_HOME.exists():
        pytest.skip(f"no shared bench at {BENCH_HOME}")
    return Home(intents, parse_config(BENCH_HOME.read_text(encoding="utf-8")).registry())


# -- sentences sampled from the templates ---------------------------------------------------


def sampled(home: Home, seed: int, per_template: int) -> Iterator[str]:
    """Sentences from every template, rendered by ``hassil.sample.sample_expression``.

    hassil's sampler enumerates the full product of a template's alternatives and list
    values, which is slow and stuck on the first alternatives; so each draw first prunes the
    template to one random path (one alternative per group, one value per text list) and lets
    hassil render that. Ranges come out as placeholders and get numbers of all kinds here.
    """
    rng = random.Random(seed)
    global_lists = {**home.intents.slot_lists, **home.lists}
    for intent in home.intents.intents.values():
        for data in intent.data:
            rules = {**home.intents.expansion_rules, **data.expansion_rules}
            lists = {**global_lists, **data.slot_lists}
            for sentence in data.sentences:
                for _ in range(per_template):
                    one_path = _pruned(sentence.expression, rules, rng)
                    one_value = {name: _one_value(values, rng) for name, values in lists.items()}
                    texts = sample_expression(one_path, one_value, {}, "en", expand_ranges=False)
                    yield _filled(next(iter(texts)), lists, rng)


def _pruned(expression: Expression, rules: dict[str, Sentence], rng: random.Random) -> Expression:
    if isinstance(expression, Alternative):
        return _pruned(rng.choice(expression.items), rules, rng)
    if isinstance(expression, Permutation):
        items = [_pruned(item, rules, rng) for item in expression.items]
        rng.shuffle(items)  # hassil's sampler yields the given order first
        return Permutation(items=items)
    if isinstance(expression, Group):
        return Sequence(items=[_pruned(item, rules, rng) for item in expression.items])
    if isinstance(expression, RuleReference):
        return _pruned(rules[expression.rule_name].expression, rules, rng)
    return expression


def _one_value(slot_list: SlotList, rng: random.Random) -> SlotList:
    if not isinstance(slot_list, TextSlotList) or not slot_list.values:
        return slot_list
    return TextSlotList(name=slot_list.name, values=[rng.choice(slot_list.values)])


ITEMS = ["milk", "eggs and bacon", "paper towels", "the kitchen light", "50 apples", "on"]


def _filled(text: str, lists: dict[str, SlotList], rng: random.Random) -> str:
    def number(match: re.Match[str]) -> str:
        slot_list = lists.get(match.group(1))
        if not isinstance(slot_list, RangeSlotList):
            return rng.choice(ITEMS)  # a wildcard
        kind = rng.random()
        value = rng.randint(slot_list.start, slot_list.stop)
        if kind < 0.5:
            return str(value)
        if kind < 0.7:
            return get_rbnf_engine("en").format_number(value).text
        if kind < 0.8:
            return f"{value}.5"
        if kind < 0.9:
            return str(slot_list.stop + rng.randint(1, 500))
        return rng.choice(["-5", "a lot", "fifty five", "twenty-one", "one hundred and one"])

    return re.sub(r"\{(\w+)\}", number, text)


def varied(text: str, rng: random.Random) -> str:
    """The same request as people type or say it: case, skip words, punctuation, hyphens."""
    kind = rng.random()
    if kind < 0.1:
        return text.upper()
    if kind < 0.2:
        return f"please {text}"
    if kind < 0.3:
        return f"could you {text} for me?"
    if kind < 0.4:
        return f"{text.capitalize()}!"
    if kind < 0.45:
        return text.replace(" ", "-", 1)
    if kind < 0.5:
        return text.replace(" ", "  ") + " ."
    return text


def near_misses(sentences: list[str], rng: random.Random, count: int) -> list[str]:
    """Sentences that almost match: words shuffled, dropped, doubled or made up."""
    out = list(CHITCHAT)
    while len(out) < count:
        words = rng.choice(sentences).split()
        kind = rng.random()
        if kind < 0.3:
            rng.shuffle(words)
        elif kind < 0.5 and len(words) > 1:
            del words[rng.randrange(len(words))]
        elif kind < 0.7:
            words.insert(rng.randrange(len(words) + 1), rng.choice(["banana", "the", "on", "50"]))
        elif kind < 0.85:
            words[rng.randrange(len(words))] = rng.choice(["gnome", "attic", "purple", "99"])
        else:
            words = words[: rng.randrange(len(words) + 1)]
        out.append(" ".join(words))
    return out


def with_contexts(
    home: Home, texts: list[str], rng: random.Random
) -> list[tuple[str, dict[str, Any] | None]]:
    areas = [None, *(area.id for area in home.registry.areas)]
    return [(text, home.context(rng.choice(areas))) for text in texts]


# -- tests ----------------------------------------------------------------------------------


def test_sampled_sentences_agree_with_hassil(home: Home) -> None:
    rng = random.Random(1)
    texts = [varied(text, rng) for text in sampled(home, seed=1, per_template=5)]
    texts = rng.sample(texts, min(len(texts), 2000))
    assert len(texts) >= 2000
    check = home.disagreements(with_contexts(home, texts, rng))
    check.assert_agrees()
    # The fast path answers whenever hassil does (it is hassil, on fewer templates).
    assert check.answered >= 0.95 * check.matched


def test_near_misses_agree_with_hassil(home: Home) -> None:
    rng = random.Random(2)
    sentences = list(sampled(home, seed=2, per_template=1))
    check = home.disagreements(with_contexts(home, near_misses(sentences, rng, 400), rng))
    check.assert_agrees()


def test_bench_sentences_agree_and_most_are_answered(
    bench_home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    """The timings are printed for the reader, not asserted: speed is the benchmarks' to
    judge (hub bench, bench/daemon.py), never a wall-clock limit in a test."""
    cases = load_case_file(BENCH_CASES).cases
    check = bench_home.disagreements([(c.text, bench_home.context(c.area)) for c in cases])
    check.assert_agrees()
    covered = check.answered / len(cases)
    assert covered >= 0.9

    def pct(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100)[q - 1]

    matcher = bench_home.matcher
    with capsys.disabled():
        print(
            f"\nfastmatch on {len(cases)} bench sentences: answered {covered:.1%}; "
            f"p50/p95 {pct(check.fast_ms, 50):.2f}/{pct(check.fast_ms, 95):.2f} ms, "
            f"hassil {pct(check.hassil_ms, 50):.2f}/{pct(check.hassil_ms, 95):.2f} ms; "
            f"compiled {matcher.templates} templates in {matcher.compile_seconds:.2f} s"
        )


def test_sampled_bench_home_sentences_agree(bench_home: Home) -> None:
    rng = random.Random(3)
    texts = [varied(text, rng) for text in sampled(bench_home, seed=3, per_template=1)]
    texts = rng.sample(texts, min(len(texts), 500))
    sentences = list(texts)
    texts += near_misses(sentences, rng, 150)
    bench_home.disagreements(with_contexts(bench_home, texts, rng)).assert_agrees()


def test_everyday_requests_take_the_fast_path(home: Home) -> None:
    requests: dict[str, tuple[str, dict[str, Any]]] = {
        "turn on the kitchen light": ("HassTurnOn", {"name": "Kitchen Light"}),
        "turn off the lights": ("HassTurnOff", {"domain": "light", "area": "kitchen"}),
        "set the brightness of the lamp to 40%": ("HassLightSet", {"brightness": 40}),
        "set the lights in the living room to red": ("HassLightSet", {"color": "red"}),
        "open the garage door": ("HassTurnOn", {"name": "Garage Door"}),
        "set the volume to 30": ("HassSetVolume", {"volume_level": 30}),
        # A result with a {name} outranks HassShoppingListAddItem's, as in hassil.
        "add milk to my shopping list": ("HassListAddItem", {"name": "Shopping List"}),
        "set the temperature to 21.5 degrees": ("HassClimateSetTemperature", {}),
    }
    for text, (intent, slots) in requests.items():
        fast = home.matcher.recognize(text, home.context("kitchen"))
        assert fast is not None, text
        assert fast.intent == intent, text
        assert slots.items() <= fast.slots.items(), (text, fast.slots)
        assert fast == home.hassil(text, home.context("kitchen"))


def test_longest_name_wins_like_hassil(home: Home) -> None:
    # "Kitchen Ceiling Light" (name) vs "Kitchen" (area) + "Ceiling Light": hassil ranks
    # the longest {name} first; the fast path must not stop at the first parse.
    fast = home.matcher.recognize("turn on the kitchen ceiling light")
    assert fast is not None
    assert fast.slots["name"] == "Kitchen Ceiling Light"
    assert fast == home.hassil("turn on the kitchen ceiling light", None)


def test_chitchat_is_a_sure_miss(home: Home) -> None:
    for text in ("tell me a joke", "what is the meaning of life", "hello"):
        assert home.matcher.lookup(text) is Miss.NO_MATCH
        assert home.matcher.recognize(text) is None
        assert home.hassil(text, None) is None


def test_unusual_templates_agree() -> None:
    """Permutations past full expansion, inline ranges, fractions, local lists, excludes."""
    intents = Intents.from_dict(
        {
            "language": "en",
            "skip_words": ["please"],
            "lists": {
                "speed": {"range": {"from": 1, "to": 10, "fractions": "halves"}},
                "thing": {"values": ["apple", {"in": "pear[s]", "out": "pear"}, "apple pie"]},
            },
            "expansion_rules": {"go": "(go|move)"},
            "intents": {
                "Perm": {"data": [{"sentences": ["(alpha;beta;gamma;delta;{thing})"]}]},
                "Move": {
                    "data": [
                        {
                            "sentences": ["<go> [at] {speed} [mph]", "<go> to {1..9:floor}"],
                            "excludes_context": {"area": "garage"},
                        },
                        {
                            "sentences": ["<go> {where}"],
                            "lists": {"where": {"values": ["home", "away"]}},
                            "requires_context": {"area": {"slot": True}},
                        },
                    ]
                },
                "Broken": {"data": [{"sentences": ["jump <nowhere>"]}]},
            },
        }
    )
    matcher = FastMatcher(intents, {}, "en")
    assert matcher.uncompiled == 1  # <nowhere> is left to hassil
    texts = [
        "alpha beta gamma delta apple",
        "apple pie delta gamma beta alpha",
        "pears alpha beta gamma delta",
        "alpha alpha beta gamma delta",
        "go 5.5 mph",
        "please move at seven",
        "go at 10.5",
        "go at 11",
        "move to 3",
        "move to 12",
        "go home",
        "go away please",
        "go nowhere",
    ]
    for text in texts:
        for context in (None, {"area": "garage"}, {"area": "kitchen"}):
            fast = matcher.lookup(text, context)
            best = recognize_best(text, intents, intent_context=context, language="en")
            expected = None if best is None else (best.intent.name, best.entities)
            if fast is Miss.NO_MATCH:
                assert expected is None, text
            elif fast is not None:
                assert expected is not None, text
                slots = {name: entity.value for name, entity in expected[1].items()}
                assert (fast.intent, fast.slots) == (expected[0], slots), (text, context)
    with pytest.raises(MissingRuleError):
        recognize_best("jump high", intents)
    with pytest.raises(MissingRuleError):
        matcher.recognize("jump high")


def test_whitespace_free_languages_are_left_to_hassil() -> None:
    intents = Intents.from_dict(
        {
            "language": "ja",
            "settings": {"ignore_whitespace": True},
            "intents": {"Hello": {"data": [{"sentences": ["こんにちは"]}]}},
        }
    )
    matcher = FastMatcher(intents, {}, "ja")
    assert not matcher.enabled
    assert matcher.recognize("こんにちは") is None
