"""Audio in: WAV files of any common rate, mono or stereo, and a streaming resampler.

Everything the recognizer sees is 16-bit mono PCM at the model's rate. Downsampling low-passes
first (a windowed-sinc filter), so 44.1 or 48 kHz input does not fold into the speech band.
"""

from __future__ import annotations

import struct
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hub.errors import SpeechError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Samples = npt.NDArray[np.float32]

_TAPS = 63


class AudioError(SpeechError):
    """An audio file that cannot be used, with the reason."""

    code = "audio"


@dataclass(frozen=True)
class Audio:
    pcm: bytes  # 16-bit little-endian mono
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / self.rate


def read_wav(path: str | Path, rate: int) -> Audio:
    """A WAV file as 16-bit mono at ``rate``; AudioError names what is wrong with a bad file."""
    import numpy as np

    file = Path(path)
    try:
        with wave.open(str(file), "rb") as wav:
            channels, width, source_rate = (
                wav.getnchannels(),
                wav.getsampwidth(),
                wav.getframerate(),
            )
            frames = wav.readframes(wav.getnframes())
    except FileNotFoundError:
        raise AudioError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise AudioError(f"{file}: is a directory, not a WAV file") from None
    except (wave.Error, EOFError, RuntimeError, struct.error) as exc:
        reason = str(exc) or "truncated or malformed"
        raise AudioError(f"{file}: not a usable WAV file ({reason})") from None
    except OSError as exc:
        raise AudioError(f"{file}: cannot read ({exc.strerror or exc})") from None
    if width not in (1, 2, 3, 4):
        raise AudioError(f"{file}: {8 * width}-bit samples are not supported")
    if channels < 1 or source_rate < 1000:
        raise AudioError(f"{file}: {channels} channel(s) at {source_rate} Hz is not audio")
    usable = len(frames) - len(frames) % (width * channels)
    samples = to_float(frames[:usable], width).reshape(-1, channels).mean(axis=1)
    if not len(samples):
        raise AudioError(f"{file}: holds no audio")
    out = Resampler(source_rate, rate).process(samples.astype(np.float32), final=True)
    return Audio(to_pcm16(out), rate)


def to_float(frames: bytes, width: int) -> Samples:
    """PCM bytes as float samples on the 16-bit scale."""
    import numpy as np

    if width == 1:  # unsigned 8-bit
        return (np.frombuffer(frames, np.uint8).astype(np.float32) - 128.0) * 256.0
    if width == 2:
        return np.frombuffer(frames, "<i2").astype(np.float32)
    if width == 3:
        raw = np.frombuffer(frames, np.uint8).reshape(-1, 3).astype(np.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return (value / 256.0).astype(np.float32)
    return (np.frombuffer(frames, "<i4").astype(np.float64) / 65536.0).astype(np.float32)


def to_pcm16(samples: Samples) -> bytes:
    import numpy as np

    return np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()


def pcm16_to_float(pcm: bytes) -> Samples:
    import numpy as np

    return np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], "<i2").astype(np.float32)


class Resampler:
    """Streaming rate conversion: feed blocks, get blocks (state carries across them)."""

    def __init__(self, source: int, target: int) -> None:
        import numpy as np

        self.source, self.target = source, target
        self.step = source / target
        self._pos = 0.0  # where the next output sample lies, in input samples of _buffer
        self._buffer = np.zeros(0, np.float32)
        self._filter = None
        if target < source:
            cutoff = 0.45 * target / source  # of the source rate
            n = np.arange(_TAPS) - (_TAPS - 1) / 2
            taps = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(_TAPS)
            self._filter = (taps / taps.sum()).astype(np.float32)
            self._history = np.zeros(_TAPS - 1, np.float32)

    def process(self, block: Samples, *, final: bool = False) -> Samples:
        import numpy as np

        if self.source == self.target:
            return block
        if self._filter is not None:
            padded = np.concatenate([self._history, block])
            self._history = padded[-(_TAPS - 1) :]
            block = np.convolve(padded, self._filter, mode="valid").astype(np.float32)
        data = np.concatenate([self._buffer, block])
        last = len(data) - (1 if not final else 0)
        if last < 1:
            self._buffer = data
            return np.zeros(0, np.float32)
        positions = np.arange(self._pos, last - 1e-9 if not final else len(data), self.step)
        positions = positions[positions <= len(data) - 1]
        out: Samples = np.interp(positions, np.arange(len(data)), data).astype(np.float32)
        next_pos = positions[-1] + self.step if len(positions) else self._pos
        keep = int(next_pos)  # keep from the sample just before the next position
        keep = min(max(keep - 1, 0), len(data))
        self._buffer = data[keep:]
        self._pos = next_pos - keep
        return out
