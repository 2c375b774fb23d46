"""The listener: audio blocks in, finished utterances out.

It feeds the home's grammar decoder, lets Vosk's endpointing end an utterance (or cuts it at
``max_seconds``), gives an unsure one a second, free-form pass over the same audio, and applies
the listening mode: ``always``; ``wake`` (the utterance must start with the wake phrase, or come
within ``wake_window`` seconds of a lone wake phrase); ``push`` (audio counts only after
``trigger()``, e.g. an MQTT message on ``<prefix>/listen``, for one utterance). While the hub
speaks (``mute``), audio is dropped, so it never listens to itself.

``ListenerThread`` runs one in its own thread behind a queue; ``Listener`` itself is synchronous,
so ``hub listen --wav`` and the tests drive it directly.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from hub.speech.engine import Decoder, Engine, Transcript
from hub.speech.grammar import Grammar

_LOGGER = logging.getLogger(__name__)

NOISE_CONFIDENCE = 0.3  # an utterance below this is taken for noise and dropped quietly


@dataclass(frozen=True)
class ListenSettings:
    mode: str = "always"  # always | wake | push
    wake_phrase: str = ""
    wake_window: float = 5.0
    max_seconds: float = 8.0
    min_confidence: float = 0.6
    free_form: bool = True


@dataclass(frozen=True)
class Utterance:
    """One thing said, ready for the pipeline."""

    text: str  # as the templates spell it
    confidence: float
    heard: str  # the recognizer's words
    seconds: float  # length of the utterance's audio
    free_form: bool = False  # from the second, free-form pass
    decode_ms: float = 0.0  # from the end of the audio to the result (streaming: the last block)
    cut: bool = False  # ended by max_seconds, not by a pause


class Listener:
    def __init__(
        self,
        engine: Engine,
        grammar: Callable[[], Grammar | None],
        settings: ListenSettings,
        on_utterance: Callable[[Utterance], None],
    ) -> None:
        self.engine = engine
        self.settings = settings
        self._grammar_source = grammar
        self._on_utterance = on_utterance
        self._grammar: Grammar | None = None
        self._decoder: Decoder | None = None
        self._free: Decoder | None = None
        self._audio = bytearray()  # the current utterance, for the free-form pass
        self._speech_at: int | None = None  # where in _audio the first words were heard
        self._bytes_per_second = engine.rate * 2
        self._clock = 0.0  # seconds of audio seen
        self._armed_until = -1.0  # wake: a lone wake phrase opens this window
        self._open_until = -1.0 if settings.mode == "push" else float("inf")
        self._muted_until = 0.0  # monotonic time
        self._lock = threading.Lock()
        self._wake = settings.wake_phrase.split()

    # -- control, from any thread -----------------------------------------------------------
    @property
    def open(self) -> bool:
        """Whether audio now counts (push mode: only after ``trigger``)."""
        with self._lock:
            return self._clock <= self._open_until

    def trigger(self) -> None:
        """Push-to-talk: take the next utterance (within max_seconds)."""
        with self._lock:
            self._open_until = self._clock + self.settings.max_seconds + 1.0
        _LOGGER.info("Listening (push-to-talk)")

    def mute(self, seconds: float) -> None:
        """Drop audio for ``seconds`` (while the hub speaks, and a little after)."""
        with self._lock:
            self._muted_until = max(self._muted_until, time.monotonic() + seconds)

    def unmute(self) -> None:
        with self._lock:
            self._muted_until = 0.0

    # -- audio ------------------------------------------------------------------------------
    def feed(self, pcm: bytes) -> None:
        """16-bit mono PCM at the engine's rate."""
        self._clock += len(pcm) / self._bytes_per_second
        with self._lock:
            muted = time.monotonic() < self._muted_until
            gated = self._clock > self._open_until
        if muted or gated:
            if self._audio:
                self._drop()
            return
        decoder = self._current_decoder()
        self._audio += pcm
        ended = decoder.accept(pcm)
        if not ended and self._speech_at is None and decoder.partial():
            self._speech_at = max(0, len(self._audio) - len(pcm))  # words began in this block
        since = len(self._audio) - (self._speech_at or 0)
        too_long = since >= self.settings.max_seconds * self._bytes_per_second
        if ended or too_long:
            self._finish(decoder, started=time.perf_counter(), cut=too_long and not ended)

    def finish(self) -> None:
        """The end of the stream (a WAV file's end): the utterance in progress ends here."""
        if self._decoder is not None and self._audio:
            self._finish(self._decoder, started=time.perf_counter(), cut=False)

    # -- internals --------------------------------------------------------------------------
    def _current_decoder(self) -> Decoder:
        if self._decoder is not None and not self._audio:
            grammar = self._grammar_source()
            if grammar is not self._grammar:
                self._decoder = None  # the home changed: a new grammar for the next utterance
        if self._decoder is None:
            self._grammar = self._grammar_source()
            words = self._grammar.words if self._grammar is not None else None
            self._decoder = self.engine.decoder(words)
        return self._decoder

    def _drop(self) -> None:
        if self._decoder is not None:
            self._decoder.result()
        self._audio.clear()
        self._speech_at = None

    def _finish(self, decoder: Decoder, *, started: float, cut: bool) -> None:
        heard = decoder.result()
        audio = bytes(self._audio[max(0, (self._speech_at or 0) - self._bytes_per_second) :])
        self._audio.clear()
        self._speech_at = None
        seconds = len(audio) / self._bytes_per_second
        if not heard.text:
            return  # silence, or sound with no words in it
        grammar = self._grammar
        text = grammar.restore(heard.text) if grammar is not None and heard.grammar else heard.text
        transcript, free = heard, False
        s = self.settings
        if s.free_form and heard.grammar and heard.confidence < s.min_confidence:
            second = self._free_pass(audio)
            if second.text and second.confidence >= max(s.min_confidence, heard.confidence):
                transcript, text, free = second, second.text, True
        decode_ms = (time.perf_counter() - started) * 1000
        if transcript.confidence < NOISE_CONFIDENCE:
            _LOGGER.debug("Ignored %r (confidence %.2f): noise", text, transcript.confidence)
            return
        gated = self._gate(text)
        if gated is None:
            return
        utterance = Utterance(
            text=gated,
            confidence=round(transcript.confidence, 3),
            heard=transcript.text,
            seconds=round(seconds, 3),
            free_form=free,
            decode_ms=round(decode_ms, 1),
            cut=cut,
        )
        if self.settings.mode == "push":
            with self._lock:
                self._open_until = -1.0
        self._on_utterance(utterance)

    def _free_pass(self, audio: bytes) -> Transcript:
        if self._free is None:
            self._free = self.engine.decoder(None)
        step = self._bytes_per_second // 5
        for i in range(0, len(audio), step):
            self._free.accept(audio[i : i + step])
        return self._free.result()

    def _gate(self, text: str) -> str | None:
        """The text to act on under the listening mode, or None."""
        if self.settings.mode != "wake":
            return text
        words = text.split()
        n = len(self._wake)
        if [w.lower() for w in words[:n]] == [w.lower() for w in self._wake]:
            rest = " ".join(words[n:])
            if not rest:
                self._armed_until = self._clock + self.settings.wake_window
                _LOGGER.info("Heard the wake phrase; listening for a command")
                return None
            return rest
        if self._clock <= self._armed_until:
            self._armed_until = -1.0
            return text
        _LOGGER.debug("Ignored %r: no wake phrase", text)
        return None


class ListenerThread:
    """Runs a Listener in its own thread; audio producers call ``put`` (never blocks)."""

    def __init__(
        self,
        listener: Listener,
        *,
        convert: Callable[[bytes], bytes] | None = None,
        max_blocks: int = 200,
    ) -> None:
        self.listener = listener
        self._convert = convert
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=max_blocks)
        self._thread = threading.Thread(target=self._run, name="hub-speech", daemon=True)
        self._dropped = 0

    def start(self) -> None:
        self._thread.start()

    def put(self, pcm: bytes) -> None:
        try:
            self._queue.put_nowait(pcm)
        except queue.Full:
            self._dropped += 1
            if self._dropped in (1, 100) or self._dropped % 1000 == 0:
                _LOGGER.warning(
                    "Speech recognition falls behind the microphone: %d blocks dropped",
                    self._dropped,
                )

    def stop(self, timeout: float = 5.0) -> None:
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=timeout)
        self._thread.join(timeout)

    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while True:
            block = self._queue.get()
            if block is None:
                self.listener.finish()
                return
            try:
                self.listener.feed(self._convert(block) if self._convert else block)
            except Exception:  # the audio thread must survive one bad block or result
                _LOGGER.exception("Speech recognition failed on a block; going on")
