"""Speech-to-text for Wyoming: the hub's Vosk recognizer with the home's grammar, behind a small
interface (``Transcriber``), so the service can be tested with a fake.

Home Assistant does the voice activity detection and sends one command's audio (16 kHz,
16-bit mono) between ``AudioStart`` and ``AudioStop``. A ``Stream`` converts each chunk to what
the model wants, 16-bit mono at its rate, as ``hub listen`` converts a WAV file: any sample
width, the channels averaged (``wyoming.audio.AudioChunkConverter`` adds them, which clips
loud stereo), then hub's windowed-sinc ``Resampler``. It feeds the same ``Listener`` that
``hub listen`` uses: the grammar decoder, Vosk's endpointing, the free-form
second pass for an unsure utterance, and the split words joined again (``꺼 줘`` -> ``꺼줘``).

An utterance below ``speech.min_confidence`` is not passed on: the transcript is empty, and
Home Assistant says it did not understand, as the hub's own "say again" would.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from wyoming.audio import AudioChunk

from hub.config import Config
from hub.registry import Registry

if TYPE_CHECKING:
    from hub.speech.audio import Resampler
    from hub.speech.engine import Engine
    from hub.speech.listener import Listener, Utterance
    from hub.speech.service import GrammarCache

_LOGGER = logging.getLogger(__name__)

MAX_SECONDS = 60.0  # audio beyond this in one transcription is dropped


@dataclass(frozen=True)
class Heard:
    """What a transcription gives back."""

    text: str
    confidence: float = 0.0
    seconds: float = 0.0  # of audio received
    utterances: int = 0  # what Vosk's endpointing split the audio into
    unsure: str = ""  # text dropped for its low confidence


class Stream(Protocol):
    """One transcription: audio in, text out. Its methods block (run them off the loop)."""

    def feed(self, chunk: AudioChunk) -> None: ...
    def finish(self) -> Heard: ...


class Transcriber(Protocol):
    """A speech model, loaded once; a stream per transcription."""

    name: str  # the model, as Home Assistant lists it
    language: str
    description: str

    def warm(self) -> None:
        """Prepare what the first transcription would otherwise wait for (blocks)."""
        ...

    def stream(self, rate: int, width: int, channels: int) -> Stream:
        """A stream for audio in this format."""
        ...


class VoskTranscriber:
    """The config's Vosk model with the home's grammar (rebuilt when the registry changes)."""

    def __init__(
        self, config: Config, engine: Engine, grammar: GrammarCache, *, model_name: str
    ) -> None:
        self.config = config
        self.engine = engine
        self.grammar = grammar
        self.name = model_name
        self.language = grammar.language
        self.description = f"Vosk {model_name} with the home's grammar"

    def warm(self) -> None:
        self.grammar()

    def stream(self, rate: int, width: int, channels: int) -> VoskStream:
        from hub.speech.audio import Resampler
        from hub.speech.service import make_listener

        heard: list[Utterance] = []
        listener = make_listener(
            self.config,
            self.engine,
            self.grammar.registry,
            heard.append,
            mode="always",  # Home Assistant decided already that this is a command
            cache=self.grammar,
        )
        return VoskStream(
            listener,
            heard,
            Resampler(rate, self.engine.rate),
            self.config.speech.min_confidence,
            frame=width * channels,
        )


class VoskStream:
    def __init__(
        self,
        listener: Listener,
        heard: list[Utterance],
        resampler: Resampler,
        min_confidence: float,
        *,
        frame: int = 2,
    ) -> None:
        self.listener = listener
        self._heard = heard
        self._resampler = resampler
        self._min_confidence = min_confidence
        self._frame = frame  # bytes per frame (all channels)
        self._rest = b""  # a frame split across two chunks
        self._seconds = 0.0
        self._full = False

    def feed(self, chunk: AudioChunk) -> None:
        from hub.speech.audio import to_float, to_pcm16

        if self._seconds >= MAX_SECONDS:
            if not self._full:
                _LOGGER.warning("Wyoming audio over %.0f s: the rest is dropped", MAX_SECONDS)
                self._full = True
            return
        data = self._rest + chunk.audio
        usable = len(data) - len(data) % self._frame
        self._rest = data[usable:]
        if not usable:
            return
        mono = to_float(data[:usable], chunk.width).reshape(-1, chunk.channels).mean(axis=1)
        self._seconds += len(mono) / chunk.rate
        samples = self._resampler.process(mono.astype("float32"))
        if len(samples):
            self.listener.feed(to_pcm16(samples))

    def finish(self) -> Heard:
        import numpy as np

        from hub.speech.audio import to_pcm16

        tail = self._resampler.process(np.zeros(0, np.float32), final=True)
        if len(tail):
            self.listener.feed(to_pcm16(tail))
        self.listener.finish()
        sure = [u for u in self._heard if u.confidence >= self._min_confidence]
        unsure = " ".join(u.text for u in self._heard if u.confidence < self._min_confidence)
        if unsure:
            _LOGGER.info(
                "wyoming asr: %r is below speech.min_confidence %.2f; not passed on",
                unsure,
                self._min_confidence,
            )
        text = " ".join(u.text for u in sure)
        confidence = min((u.confidence for u in sure), default=0.0)
        return Heard(text, confidence, round(self._seconds, 3), len(self._heard), unsure)


def load_transcriber(
    config: Config, registry: Callable[[], Registry], engine: Engine | None = None
) -> VoskTranscriber:
    """The config's speech model (``engine``, when the microphone already loaded it) with the
    grammar of the home ``registry`` returns (the live one, under the daemon). Raises HubError
    (SpeechError, ModelError) when it cannot be loaded."""
    from hub.speech.service import GrammarCache, load_engine, speech_language

    if engine is None:
        engine = load_engine(config)
    extra = (config.intents_dir,) if config.intents_dir else ()
    grammar = GrammarCache(engine, registry, speech_language(config), config.speech, extra)
    model = config.speech.model  # a name (hub model install --vosk NAME) or a directory
    name = Path(model).name if "/" in model else f"vosk-model-{model}"
    return VoskTranscriber(config, engine, grammar, model_name=name)
