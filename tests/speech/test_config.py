"""The speech: section, its defaults and its errors."""

from __future__ import annotations

import pytest

from hub.config import parse_config
from hub.config.speech import GRAMMAR_INTENTS, SpeechConfig
from hub.errors import ConfigError

HOME = "languages: [ko]\n"


def test_defaults_when_absent() -> None:
    assert parse_config(HOME).speech == SpeechConfig()
    assert SpeechConfig().grammar_intents == GRAMMAR_INTENTS


def test_a_full_section() -> None:
    config = parse_config(
        HOME
        + """speech:
  enabled: true
  model: ./models/vosk-en
  language: en
  device: 2
  samplerate: 48000
  blocksize: 2048
  mode: wake
  wake_phrase: hey hub
  max_seconds: 6
  min_confidence: 0.7
  speak: espeak
  voice: en-us
"""
    )
    s = config.speech
    assert s.enabled and s.mode == "wake" and s.wake_phrase == "hey hub"
    assert s.model.endswith("models/vosk-en") and s.device == 2 and s.samplerate == 48000
    assert s.speak == "espeak-ng" and s.voice == "en-us" and s.min_confidence == 0.7


@pytest.mark.parametrize(
    ("section", "key", "reason"),
    [
        ("mode: sometimes", "speech.mode", "must be one of wake, always, push"),
        ("mode: wake", "speech.wake_phrase", "is required when mode is 'wake'"),
        ("speak: loudly", "speech.speak", "must be one of off, espeak-ng, piper"),
        ("samplerate: 100", "speech.samplerate", "must be between 8000 and 192000"),
        ("min_confidence: 2", "speech.min_confidence", "must be between 0 and 1"),
        ("listen: yes", "speech.listen", "unknown key"),
        ("enabled: maybe", "speech.enabled", "must be true or false"),
    ],
)
def test_errors_name_the_key_line_and_reason(section: str, key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(HOME + "speech:\n  " + section + "\n")
    assert caught.value.key == key
    assert reason in caught.value.reason
    assert caught.value.line == (2 if "required" in reason else 3)  # a missing key: its section
