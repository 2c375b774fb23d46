"""Questions that are not commands: the FAQ, general answers, their language and their check."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from hub.config import Config, FAQEntry, StoreConfig, parse_config
from hub.errors import ConfigError
from hub.faq.check import grounded
from hub.faq.index import FAQIndex
from hub.faq.live import NO_LIVE_REPLY
from hub.llm.writer import FakeWriter
from hub.messages import Request
from hub.pipeline import Pipeline
from hub.registry import Registry
from hub.store.memory import Memory
from hub.text.detect import detect_language
from hub.tiers.cache import CacheTier
from hub.tiers.faq import ChatTier, FAQTier, about_the_home

WIFI = FAQEntry(
    "wifi",
    ("what's the wifi password", "wifi name", "wlan passwort"),
    "The wifi is called Hearth-5G and the password is on the fridge door.",
)
BINS = FAQEntry(
    "bins",
    ("when are the bins collected", "bin day", "which bin goes out"),
    "Recycling goes out on Tuesday evening, general waste every other Friday.",
)
ALARM = FAQEntry(
    "alarm",
    ("what is the alarm code", "alarm code"),
    "The hub never tells the alarm code; ask Sam or Alex.",
)
FAQ = (WIFI, BINS, ALARM)


@pytest.mark.parametrize(
    "question, entry",
    [
        ("What's the wifi password?", "wifi"),
        ("hey what is our wifi called", "wifi"),
        ("Wie ist das WLAN Passwort?", "wifi"),
        ("when do the bins go out", "bins"),
        ("is it bin day today", "bins"),
        ("tell me the alarm code", "alarm"),
    ],
)
def test_questions_find_their_entry(question: str, entry: str) -> None:
    matches = FAQIndex(FAQ).match(question)
    assert matches and matches[0].entry.id == entry


@pytest.mark.parametrize(
    "text", ["turn on the kitchen light", "what time is it", "set the heating to 21", "hello"]
)
def test_other_requests_find_none(text: str) -> None:
    assert FAQIndex(FAQ).match(text) == []


@pytest.mark.parametrize(
    "text, language",
    [
        ("what's the wifi password", "en"),
        ("wie ist das WLAN Passwort", "de"),
        ("quel est le mot de passe du wifi", "fr"),
        ("cuál es la contraseña del wifi", "es"),
        ("와이파이 비밀번호가 뭐야", "ko"),
        ("无线网络密码是什么", "zh"),
    ],
)
def test_the_language_of_a_question(text: str, language: str) -> None:
    assert detect_language(text, ("en", "de", "fr", "es", "ko", "zh")) == language


def test_only_the_homes_languages_are_chosen() -> None:
    assert detect_language("wie ist das WLAN Passwort", ("en",)) == "en"
    assert detect_language("와이파이 비밀번호", ("en", "ko")) == "ko"


def test_an_answer_with_a_number_or_name_not_in_the_facts_fails_the_check() -> None:
    facts = WIFI.answer
    assert grounded("It is Hearth-5G; the password is on the fridge door.", facts)
    assert not grounded("The password is hunter22.", facts)
    assert not grounded("The wifi is called Hearth-6G.", facts)
    assert not grounded("It is on the fridge, 3 stickers down.", facts)


@pytest.fixture
def memory(tmp_path: Path, example_config: Config) -> Memory:
    config = dataclasses.replace(example_config, store=StoreConfig(path=tmp_path / "hub.db"))
    return Memory.open(config, example_config.registry())


def test_the_model_phrases_the_answer_from_the_facts(registry: Registry, memory: Memory) -> None:
    writer = FakeWriter("Your wifi is Hearth-5G; the password is on the fridge door.")
    tier = FAQTier(FAQ, ("en",), lambda: writer, memory.answers)
    result = tier.handle(Request("what's the wifi password?"), registry)
    assert result is not None and result.reply.startswith("Your wifi is Hearth-5G")
    system, user, _, priority = writer.calls[0]
    assert WIFI.answer in system and BINS.answer not in system
    assert user == "what's the wifi password?" and priority == "request"


def test_an_invented_answer_is_replaced_by_the_fact(registry: Registry, memory: Memory) -> None:
    writer = FakeWriter("The alarm code is 4711.")
    tier = FAQTier(FAQ, ("en",), lambda: writer, memory.answers)
    result = tier.handle(Request("what is the alarm code"), registry)
    assert result is not None and result.reply == ALARM.answer


def test_a_repeated_question_comes_from_the_cache(registry: Registry, memory: Memory) -> None:
    writer = FakeWriter("Recycling goes out on Tuesday evening.")
    pipeline = Pipeline(
        registry,
        [
            CacheTier(memory.decisions, memory.answers, ("en",)),
            FAQTier(FAQ, ("en",), lambda: writer, memory.answers),
        ],
        memory=memory,
    )
    first = pipeline.ask(Request("When are the bins collected?"))
    second = pipeline.ask(Request("when are the bins collected"))
    assert (first.tier, second.tier) == ("faq", "cache")
    assert second.reply == first.reply == "Recycling goes out on Tuesday evening."
    assert len(writer.calls) == 1
    assert [e.outcome for e in memory.store.events(0, time.time() + 1)] == ["answered"] * 2


def test_a_changed_faq_entry_drops_only_its_answers(
    tmp_path: Path, example_config: Config, registry: Registry
) -> None:
    config = dataclasses.replace(
        example_config, store=StoreConfig(path=tmp_path / "hub.db"), faq=FAQ
    )
    memory = Memory.open(config, registry)
    tier = FAQTier(FAQ, ("en",), None, memory.answers)
    tier.handle(Request("what's the wifi password"), registry)
    tier.handle(Request("bin day"), registry)
    memory.close()

    changed = dataclasses.replace(WIFI, answer="The wifi is now Hearth-6G, password on the fridge.")
    again = Memory.open(dataclasses.replace(config, faq=(changed, BINS, ALARM)), registry)
    assert again.answers.get("what's the wifi password", "en") is None
    kept = again.answers.get("bin day", "en")
    assert kept is not None and kept.answer == BINS.answer


def test_the_answer_expires(registry: Registry, memory: Memory) -> None:
    now = [time.time()]
    memory.answers.clock = lambda: now[0]
    memory.answers.ttl = 60
    FAQTier(FAQ, ("en",), None, memory.answers).handle(Request("bin day"), registry)
    now[0] += 59
    assert memory.answers.get("bin day", "en") is not None
    now[0] += 2
    assert memory.answers.get("bin day", "en") is None


def test_general_answers_never_speak_about_the_homes_devices(registry: Registry) -> None:
    writer = FakeWriter("Paris.", "It is open.")
    tier = ChatTier(("en",), lambda: writer, None)
    result = tier.handle(Request("what is the capital of France"), registry)
    assert result is not None and result.reply == "Paris."
    assert tier.handle(Request("is the garage door open?"), registry) is None
    assert len(writer.calls) == 1
    assert about_the_home("how warm is the living room", registry)
    assert not about_the_home("how tall is mount everest", registry)


@pytest.mark.parametrize(
    "text",
    [
        "what's the weather like tomorrow",
        "오늘 날씨 어때",
        "wie wird das Wetter",
        "any news today?",
    ],
)
def test_questions_about_the_world_right_now_are_not_made_up(registry: Registry, text: str) -> None:
    writer = FakeWriter("The weather is sunny.")
    result = ChatTier(("en",), lambda: writer, None).handle(Request(text), registry)
    assert result is not None and result.reply == NO_LIVE_REPLY
    assert writer.calls == []  # the model was never asked


def test_faq_config_errors_name_the_key() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config("faq:\n  - answer: something\n")
    assert "faq[0].questions" in str(err.value) and "required" in str(err.value)
    with pytest.raises(ConfigError) as err:
        parse_config(
            "faq:\n  - {id: a, question: x, answer: y}\n  - {id: a, question: z, answer: w}\n"
        )
    assert "faq[1].id" in str(err.value) and "duplicate" in str(err.value)
    config = parse_config("faq:\n  - question: wifi name\n    answer: Hearth\n")
    assert config.faq[0].id == "wifi_name" and config.faq[0].questions == ("wifi name",)
