"""Spoken replies: espeak-ng (or piper, when installed) writes a WAV, a player plays it.

The listener is muted while the voice speaks and half a second after, so the hub never hears
itself. A voice that cannot speak (no player, no sound card) logs why once and stays quiet; it
never stops the hub.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

_LOGGER = logging.getLogger(__name__)

ECHO_GUARD = 0.5  # seconds the listener stays muted after speaking


class Voice(Protocol):
    def say(self, text: str, language: str | None) -> None: ...


class Silent:
    def say(self, text: str, language: str | None) -> None:
        return None


def play_with_aplay(wav: Path) -> None:
    subprocess.run(["aplay", "-q", str(wav)], check=True, capture_output=True, timeout=120)


class CommandVoice:
    """Synthesizes with espeak-ng or piper into a WAV and hands it to ``play``."""

    def __init__(
        self,
        engine: str,
        voice: str | None,
        *,
        play: Callable[[Path], None] = play_with_aplay,
        mute: Callable[[float], None] | None = None,
        unmute: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.voice = voice
        self._play = play
        self._mute = mute
        self._unmute = unmute
        self._failed = False

    def say(self, text: str, language: str | None) -> None:
        if not text.strip() or self._failed:
            return
        if self._mute is not None:
            self._mute(120.0)  # until we are done
        try:
            with tempfile.TemporaryDirectory() as tmp:
                wav = Path(tmp) / "reply.wav"
                self._synthesize(text, language, wav)
                self._play(wav)
        except (OSError, subprocess.SubprocessError) as exc:
            self._failed = True
            detail = getattr(exc, "stderr", None) or b""
            reason = detail.decode(errors="replace").strip().splitlines()[-1:] or [str(exc)]
            _LOGGER.error(
                "Cannot speak replies (%s): %s; replies stay silent", self.engine, reason[0]
            )
        finally:
            if self._unmute is not None and self._mute is not None:
                self._unmute()
                self._mute(ECHO_GUARD)

    def _synthesize(self, text: str, language: str | None, wav: Path) -> None:
        if self.engine == "piper" and self.voice:
            subprocess.run(
                ["piper", "--model", self.voice, "--output_file", str(wav)],
                input=text.encode("utf-8"),
                check=True,
                capture_output=True,
                timeout=60,
            )
            return
        voice = self.voice or espeak_voice(text, language)
        subprocess.run(
            ["espeak-ng", "-v", voice, "-w", str(wav), text],
            check=True,
            capture_output=True,
            timeout=60,
        )


def espeak_voice(text: str, language: str | None) -> str:
    """The espeak-ng voice for a reply: its language, unless the text is plainly English."""
    if text.isascii():
        return "en"
    return language or "en"


def make_voice(
    engine: str,
    voice: str | None,
    *,
    mute: Callable[[float], None] | None = None,
    unmute: Callable[[], None] | None = None,
    play: Callable[[Path], None] | None = None,
) -> Voice:
    if engine == "off":
        return Silent()
    if engine == "piper" and (not shutil.which("piper") or not voice):
        _LOGGER.warning("piper is not installed or speech.voice names no model; using espeak-ng")
        engine, voice = "espeak-ng", None
    if engine == "espeak-ng" and not shutil.which("espeak-ng"):
        _LOGGER.error("espeak-ng is not installed (apt install espeak-ng); replies stay silent")
        return Silent()
    if play is None and not shutil.which("aplay"):
        _LOGGER.error("aplay is not installed (apt install alsa-utils); replies stay silent")
        return Silent()
    return CommandVoice(engine, voice, play=play or play_with_aplay, mute=mute, unmute=unmute)
