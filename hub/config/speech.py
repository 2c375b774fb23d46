"""The speech section: the Vosk model, the microphone, when to listen, and spoken replies."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hub.config.reader import Reader

SPEECH_MODES = ("wake", "always", "push")
SPEAK_CHOICES = ("off", "espeak-ng", "piper")
# The intents whose words make up the recognizer's grammar: the ones that act on devices.
GRAMMAR_INTENTS = (
    "HassTurnOn",
    "HassTurnOff",
    "HassToggle",
    "HassLightSet",
    "HassClimateSetTemperature",
    "HassSetPosition",
    "HassFanSetSpeed",
    "HassMediaPause",
    "HassMediaUnpause",
    "HassMediaNext",
    "HassSetVolume",
)


@dataclass(frozen=True)
class SpeechConfig:
    enabled: bool = False  # hub run listens on the microphone
    model: str = "ko"  # a directory, or a model installed with `hub model install --vosk`
    language: str | None = None  # None: the first of the config's languages
    device: str | int | None = None  # ALSA/PortAudio input device (name or index); None: default
    samplerate: int = 16000  # what the microphone is opened at; resampled for the model
    blocksize: int = 4000  # frames per audio block
    mode: str = "always"  # wake | always | push (MQTT <prefix>/listen)
    wake_phrase: str = ""  # required for mode wake
    wake_window: float = 5.0  # seconds after a lone wake phrase in which a command is taken
    max_seconds: float = 8.0  # an utterance is cut here even if Vosk hears no end
    min_confidence: float = 0.6  # below this, "say again" instead of acting
    free_form: bool = True  # a second, free-form pass when the grammar pass is not sure
    grammar_intents: tuple[str, ...] = GRAMMAR_INTENTS
    number_step: int = 10  # numbers in the grammar: 0, 10, 20 ... ("fifty", not "fifty-three")
    speak: str = "off"  # off | espeak-ng | piper
    voice: str | None = None  # espeak-ng voice or piper model; None: the reply's language


_KEYS = (
    "enabled",
    "model",
    "language",
    "device",
    "samplerate",
    "blocksize",
    "mode",
    "wake_phrase",
    "wake_window",
    "max_seconds",
    "min_confidence",
    "free_form",
    "grammar_intents",
    "number_step",
    "speak",
    "voice",
)


def parse_speech(r: Reader, base: Path) -> SpeechConfig:
    r.only(*_KEYS)
    mode = r.choice("mode", SPEECH_MODES, "always")
    wake = r.text("wake_phrase", "") or ""
    if mode == "wake" and not wake:
        r.fail("wake_phrase", "is required when mode is 'wake'")
    speak = r.choice(
        "speak", SPEAK_CHOICES, "off", {"espeak": "espeak-ng", "espeak_ng": "espeak-ng"}
    )
    model = r.text("model", "ko") or "ko"
    if "/" in model or model.startswith((".", "~")):
        model = str(r.path_value("model", base))
    device: str | int | None = None
    raw_device = r.data.get("device")
    if isinstance(raw_device, int) and not isinstance(raw_device, bool):
        device = r.integer("device", 0, 0, 1024)
    elif raw_device is not None:
        device = r.text("device")
    intents = r.strings("grammar_intents") or GRAMMAR_INTENTS
    return SpeechConfig(
        enabled=r.get("enabled", bool, False),
        model=model,
        language=r.text("language"),
        device=device,
        samplerate=r.integer("samplerate", 16000, 8000, 192000),
        blocksize=r.integer("blocksize", 4000, 64, 192000),
        mode=mode,
        wake_phrase=wake,
        wake_window=r.number("wake_window", 5.0, 0.5, 60.0),
        max_seconds=r.number("max_seconds", 8.0, 1.0, 60.0),
        min_confidence=r.number("min_confidence", 0.6, 0.0, 1.0),
        free_form=r.get("free_form", bool, True),
        grammar_intents=intents,
        number_step=r.integer("number_step", 10, 1, 100),
        speak=speak,
        voice=r.text("voice"),
    )
