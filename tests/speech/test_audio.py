"""WAV reading (rates, channels, widths, broken files) and the streaming resampler."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")

from hub.speech.audio import AudioError, Resampler, read_wav  # noqa: E402


def tone(path: Path, rate: int, channels: int = 1, width: int = 2, seconds: float = 1.0) -> Path:
    n = int(rate * seconds)
    samples = [math.sin(2 * math.pi * 440 * i / rate) * 0.5 for i in range(n)]
    frames = bytearray()
    for s in samples:
        for _ in range(channels):
            if width == 1:
                frames += struct.pack("<B", int(128 + s * 127))
            elif width == 2:
                frames += struct.pack("<h", int(s * 32767))
            elif width == 3:
                frames += struct.pack("<i", int(s * 8388607))[:3]
            else:
                frames += struct.pack("<i", int(s * 2147483647))
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(bytes(frames))
    return path


@pytest.mark.parametrize(
    ("rate", "channels", "width"),
    [(16000, 1, 2), (44100, 2, 2), (48000, 1, 3), (8000, 1, 1), (22050, 2, 4)],
)
def test_any_common_wav_becomes_16k_mono(
    tmp_path: Path, rate: int, channels: int, width: int
) -> None:
    audio = read_wav(tone(tmp_path / "t.wav", rate, channels, width), 16000)
    assert audio.rate == 16000
    assert audio.seconds == pytest.approx(1.0, abs=0.01)
    samples = np.frombuffer(audio.pcm, "<i2").astype(float)
    # a 440 Hz tone at half scale survives: its level, and its pitch (zero crossings)
    rms = math.sqrt(float((samples[500:-500] ** 2).mean()))
    assert rms == pytest.approx(0.5 * 32767 / math.sqrt(2), rel=0.05)
    crossings = int(((samples[:-1] < 0) & (samples[1:] >= 0)).sum())
    assert 430 <= crossings <= 450


def test_downsampling_removes_what_the_model_cannot_hold(tmp_path: Path) -> None:
    """A 12 kHz tone at 48 kHz must not fold into the speech band at 16 kHz."""
    rate = 48000
    x = (np.sin(2 * np.pi * 12000 * np.arange(rate) / rate) * 10000).astype(np.float32)
    out = Resampler(rate, 16000).process(x, final=True)
    assert float(np.abs(out[200:-200]).max()) < 300


def test_streaming_blocks_match_one_pass() -> None:
    rate = 22050
    x = (np.sin(2 * np.pi * 300 * np.arange(rate) / rate) * 8000).astype(np.float32)
    whole = Resampler(rate, 16000).process(x, final=True)
    r = Resampler(rate, 16000)
    parts = np.concatenate([r.process(x[i : i + 1234]) for i in range(0, rate, 1234)])
    assert abs(len(parts) - len(whole)) <= 2
    n = min(len(parts), len(whole)) - 50
    assert float(np.abs(parts[:n] - whole[:n]).max()) < 1.0


def test_broken_files_are_named_with_the_reason(tmp_path: Path) -> None:
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wav at all" * 10)
    with pytest.raises(AudioError, match=r"junk\.wav: not a usable WAV file"):
        read_wav(junk, 16000)
    truncated = tmp_path / "cut.wav"
    truncated.write_bytes(tone(tmp_path / "t.wav", 16000).read_bytes()[:30])
    with pytest.raises(AudioError, match=r"cut\.wav: not a usable WAV file"):
        read_wav(truncated, 16000)
    with pytest.raises(AudioError, match="no such file"):
        read_wav(tmp_path / "absent.wav", 16000)
    with pytest.raises(AudioError, match="is a directory"):
        read_wav(tmp_path, 16000)


def test_an_empty_wav_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
    with pytest.raises(AudioError, match="holds no audio"):
        read_wav(path, 16000)
