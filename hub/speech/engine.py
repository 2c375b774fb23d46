"""The speech engine behind a small interface: a model that makes decoders, one utterance at a
time. ``VoskEngine`` is the real one; tests of the listener may use any other.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from hub.errors import SpeechError

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float
    start: float
    end: float


@dataclass(frozen=True)
class Transcript:
    """What the recognizer heard in one utterance."""

    text: str
    words: tuple[Word, ...] = ()
    grammar: bool = True  # decoded with the home's grammar (False: free-form)

    @property
    def confidence(self) -> float:
        """The mean of the words' confidences (0 when nothing was heard)."""
        if not self.words:
            return 0.0
        return sum(w.confidence for w in self.words) / len(self.words)

    @classmethod
    def from_vosk(cls, raw: str, *, grammar: bool) -> Transcript:
        data = json.loads(raw or "{}")
        words = tuple(
            Word(
                str(w.get("word", "")),
                float(w.get("conf", 1.0)),
                w.get("start", 0.0),
                w.get("end", 0.0),
            )
            for w in data.get("result") or ()
            if w.get("word") and w.get("word") not in ("[unk]", "<UNK>")
        )
        text = " ".join(w.text for w in words) if words else str(data.get("text") or "").strip()
        return cls(text, words, grammar)


class Decoder(Protocol):
    """Decodes a stream of 16-bit mono PCM at the engine's rate, one utterance at a time."""

    def accept(self, pcm: bytes) -> bool:
        """Feed audio; True when the engine heard the utterance end (then call ``result``)."""
        ...

    def result(self) -> Transcript:
        """The utterance heard so far, ended; the decoder is ready for the next one."""
        ...

    def partial(self) -> str: ...


class Engine(Protocol):
    rate: int
    language: str | None

    def vocabulary(self) -> frozenset[str] | None: ...
    def decoder(self, words: Sequence[str] | None = None) -> Decoder:
        """A decoder limited to ``words`` (a grammar), or free-form when None."""
        ...


class VoskDecoder:
    def __init__(self, recognizer: Any, *, grammar: bool) -> None:
        self._rec = recognizer
        self._grammar = grammar
        self._ended = False

    def accept(self, pcm: bytes) -> bool:
        self._ended = bool(self._rec.AcceptWaveform(pcm))
        return self._ended

    def result(self) -> Transcript:
        raw = self._rec.Result() if self._ended else self._rec.FinalResult()
        self._ended = False
        return Transcript.from_vosk(raw, grammar=self._grammar)

    def partial(self) -> str:
        return str(json.loads(self._rec.PartialResult() or "{}").get("partial", ""))


class VoskEngine:
    """A Vosk model directory, loaded once; decoders share it."""

    def __init__(self, model_dir: Path, language: str | None = None) -> None:
        try:
            import vosk
        except ImportError:
            raise SpeechError("speech needs the vosk package: pip install 'hub[speech]'") from None
        if not (model_dir / "am").is_dir() and not (model_dir / "conf").is_dir():
            raise SpeechError(f"{model_dir} is not a Vosk model (no am/ or conf/ directory)")
        vosk.SetLogLevel(-1)
        try:
            self._model = vosk.Model(str(model_dir))
        except Exception as exc:  # vosk raises a bare Exception on a broken model
            raise SpeechError(f"cannot load the Vosk model in {model_dir}: {exc}") from None
        self._vosk = vosk
        self.model_dir = model_dir
        self.language = language
        self.rate = model_rate(model_dir)
        self._vocabulary: frozenset[str] | None = None
        self._vocabulary_read = False
        self._lock = threading.Lock()

    def vocabulary(self) -> frozenset[str] | None:
        with self._lock:
            if not self._vocabulary_read:
                from hub.speech.vocab import load_vocabulary

                self._vocabulary = load_vocabulary(self.model_dir)
                self._vocabulary_read = True
            return self._vocabulary

    def decoder(self, words: Sequence[str] | None = None) -> VoskDecoder:
        if words is None:
            rec = self._vosk.KaldiRecognizer(self._model, self.rate)
        else:
            grammar = json.dumps(list(words), ensure_ascii=False)
            rec = self._vosk.KaldiRecognizer(self._model, self.rate, grammar)
        rec.SetWords(True)
        return VoskDecoder(rec, grammar=words is not None)


def model_rate(model_dir: Path) -> int:
    """The sample rate the model was trained on (``--sample-frequency`` in conf/mfcc.conf)."""
    conf = model_dir / "conf" / "mfcc.conf"
    try:
        found = re.search(r"--sample-frequency=(\d+)", conf.read_text(encoding="utf-8"))
    except OSError:
        found = None
    return int(found.group(1)) if found else 16000
