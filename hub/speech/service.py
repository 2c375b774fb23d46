"""Speech wiring: the engine, the home's grammar (rebuilt when the registry changes), the
listener, and turning an utterance into a request with ``source: speech``.

An utterance the recognizer is not sure of (confidence below ``speech.min_confidence``) is not
acted on: it gets a "say again" reply instead.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from hub.config import Config
from hub.config.speech import SpeechConfig
from hub.errors import SpeechError
from hub.messages import ErrorInfo, Reply, Request
from hub.registry import Registry
from hub.speech.engine import Engine, VoskEngine
from hub.speech.grammar import Grammar, build_grammar
from hub.speech.listener import Listener, ListenSettings, Utterance

_LOGGER = logging.getLogger(__name__)

SPEECH_CONVERSATION = "microphone"

SAY_AGAIN = {
    "en": "Sorry, I didn't catch that. Please say it again.",
    "ko": "잘 못 들었어요. 다시 말씀해 주세요.",
    "de": "Entschuldigung, das habe ich nicht verstanden. Bitte noch einmal.",
    "fr": "Désolé, je n'ai pas bien entendu. Pouvez-vous répéter ?",
}


def speech_language(config: Config) -> str:
    return config.speech.language or config.languages[0]


def load_engine(config: Config) -> VoskEngine:
    """The configured Vosk model, loaded (a few seconds); SpeechError or ModelError if not."""
    from hub.modelstore.vosk import resolve_vosk_model

    path = resolve_vosk_model(config.speech.model, config.data_dir)
    started = time.perf_counter()
    engine = VoskEngine(path, speech_language(config))
    _LOGGER.info(
        "Loaded the speech model %s (%d Hz) in %.1f s",
        path,
        engine.rate,
        time.perf_counter() - started,
    )
    return engine


class GrammarCache:
    """The grammar for the current registry; rebuilt (and its unknown words reported) when the
    registry's version changes."""

    def __init__(
        self,
        engine: Engine,
        registry: Callable[[], Registry],
        language: str,
        settings: SpeechConfig,
        intent_dirs: tuple[Path, ...] = (),
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.language = language
        self.settings = settings
        self.intent_dirs = intent_dirs
        self._intents: Any = None
        self._grammar: Grammar | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Grammar:
        registry = self.registry()
        with self._lock:
            if self._grammar is None or self._grammar.registry_version != registry.version:
                self._grammar = self._build(registry)
            return self._grammar

    def _build(self, registry: Registry) -> Grammar:
        started = time.perf_counter()
        wake = [self.settings.wake_phrase] if self.settings.wake_phrase else []
        grammar = build_grammar(
            registry,
            self.language,
            vocabulary=self.engine.vocabulary(),
            intents=self._load_intents(),
            extra_phrases=wake,
            number_step=self.settings.number_step,
        )
        _LOGGER.info(
            "Speech grammar for %s: %d words for %d devices, built in %.2f s",
            self.language,
            len(grammar.words),
            len(registry.devices),
            time.perf_counter() - started,
        )
        if grammar.unknown_home_words:
            _LOGGER.warning(
                "The speech model does not know these words of the home, so it cannot hear "
                "them: %s (give those devices or areas an alias the model knows)",
                ", ".join(grammar.unknown_home_words),
            )
        if grammar.unknown_template_words:
            _LOGGER.info(
                "The speech model does not know %d template words; sentences with them are "
                "heard without them: %s",
                len(grammar.unknown_template_words),
                ", ".join(grammar.unknown_template_words[:20]),
            )
        if self.settings.wake_phrase:
            missing = [w for w in self.settings.wake_phrase.split() if w not in grammar.words]
            missing = [w for w in missing if w.lower() not in grammar.words]
            if missing:
                raise SpeechError(
                    f"speech.wake_phrase: the speech model does not know {', '.join(missing)}; "
                    "choose a wake phrase of words it knows"
                )
        return grammar

    def _load_intents(self) -> Any:
        if self._intents is None:
            from hub.tiers.templates import PROJECT_INTENTS_DIR, load_intents

            intents = copy.copy(
                load_intents(self.language, [PROJECT_INTENTS_DIR, *self.intent_dirs])
            )
            wanted = set(self.settings.grammar_intents)
            intents.intents = {k: v for k, v in intents.intents.items() if k in wanted}
            self._intents = intents
        return self._intents


def listen_settings(settings: SpeechConfig, *, free_form: bool | None = None) -> ListenSettings:
    return ListenSettings(
        mode=settings.mode,
        wake_phrase=settings.wake_phrase,
        wake_window=settings.wake_window,
        max_seconds=settings.max_seconds,
        min_confidence=settings.min_confidence,
        free_form=settings.free_form if free_form is None else free_form,
    )


def make_listener(
    config: Config,
    engine: Engine,
    registry: Callable[[], Registry],
    on_utterance: Callable[[Utterance], None],
    *,
    grammar: bool = True,
    mode: str | None = None,
    cache: GrammarCache | None = None,
) -> Listener:
    """A listener for the config's speech settings; ``grammar=False`` decodes free-form only.
    Listeners may share one ``cache`` (one grammar build for many WAV files)."""
    settings = config.speech if mode is None else replace(config.speech, mode=mode)
    if cache is None:
        extra = (config.intents_dir,) if config.intents_dir else ()
        cache = GrammarCache(engine, registry, speech_language(config), settings, extra)
    if grammar:
        cache()  # build it now: unknown words are reported at start
    source: Callable[[], Grammar | None] = cache if grammar else (lambda: None)
    free_form = settings.free_form if grammar else False
    return Listener(engine, source, listen_settings(settings, free_form=free_form), on_utterance)


def to_request(
    utterance: Utterance, registry: Registry, language: str, min_confidence: float
) -> Request | Reply:
    """The request for an utterance, or a "say again" reply when the recognizer is unsure."""
    if utterance.confidence < min_confidence:
        message = SAY_AGAIN.get(language, SAY_AGAIN["en"])
        _LOGGER.info(
            "speech %r: confidence %.2f is below %.2f; asking to say it again",
            utterance.text,
            utterance.confidence,
            min_confidence,
        )
        return Reply(
            text=utterance.text,
            reply=message,
            error=ErrorInfo(
                "low_confidence",
                f"heard {utterance.text!r} with confidence {utterance.confidence:.2f}",
            ),
            language=language,
        )
    return Request(
        text=utterance.text,
        source="speech",
        language=language,
        confidence=utterance.confidence,
        # one microphone, one conversation: "yes" answers the hub's last question to it
        conversation_id=SPEECH_CONVERSATION,
    )
