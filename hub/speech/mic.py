"""The microphone, through sounddevice (PortAudio on ALSA): 16-bit mono blocks to a callback.

Opening it checks that the device exists and takes the configured rate, so a missing or busy
microphone is one clear SpeechError at start, never a crash later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from hub.errors import SpeechError

_LOGGER = logging.getLogger(__name__)


class Microphone:
    def __init__(
        self,
        on_block: Callable[[bytes], None],
        *,
        device: str | int | None = None,
        samplerate: int = 16000,
        blocksize: int = 4000,
    ) -> None:
        self.device = device
        self.samplerate = samplerate
        self.blocksize = blocksize
        self._on_block = on_block
        self._stream: Any = None
        self._overflows = 0

    def start(self) -> None:
        sd = _sounddevice()
        where = _where(self.device)
        info = check_microphone(self.device)
        try:
            self._stream = sd.RawInputStream(
                samplerate=self.samplerate,
                blocksize=self.blocksize,
                device=self.device,
                channels=1,
                dtype="int16",
                callback=self._callback,
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            self._stream = None
            raise SpeechError(
                f"cannot open the microphone {info.get('name', where)!r} at "
                f"{self.samplerate} Hz: {exc}"
            ) from None
        _LOGGER.info(
            "Listening on %s at %d Hz, %d frames a block",
            info.get("name", where),
            self.samplerate,
            self.blocksize,
        )

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception as exc:  # closing a device that went away
                _LOGGER.warning("Closing the microphone: %s", exc)

    def _callback(self, indata: Any, frames: int, time: Any, status: Any) -> None:
        if status and getattr(status, "input_overflow", False):
            self._overflows += 1
            if self._overflows in (1, 100):
                _LOGGER.warning("The microphone overflowed (%d times)", self._overflows)
        self._on_block(bytes(indata))


def check_microphone(device: str | int | None) -> dict[str, Any]:
    """The input device's description; SpeechError when there is no such microphone."""
    sd = _sounddevice()
    try:
        info: dict[str, Any] = dict(sd.query_devices(device, kind="input"))
    except (sd.PortAudioError, ValueError) as exc:
        raise SpeechError(f"no microphone: {_where(device)} is not there ({exc})") from None
    if int(info.get("max_input_channels", 0)) < 1:
        raise SpeechError(f"no microphone: {info.get('name', _where(device))!r} has no input")
    return info


def _where(device: str | int | None) -> str:
    return f"input device {device!r}" if device is not None else "the default input device"


def _sounddevice() -> Any:
    try:
        import sounddevice  # type: ignore[import-untyped]
    except ImportError:
        raise SpeechError("the microphone needs sounddevice: pip install 'hub[speech]'") from None
    except OSError as exc:  # PortAudio's shared library is missing
        raise SpeechError(
            f"the microphone needs PortAudio (apt install libportaudio2): {exc}"
        ) from None
    return sounddevice
