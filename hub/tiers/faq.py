"""Answering questions that are not device commands.

``FAQTier`` runs before the language model's command tier: a question about something the
household wrote down (the wifi, the bin days, the alarm code policy) is answered from those
facts only. The model phrases the answer in the asker's language; an answer that brings a
number or a name the facts do not have is replaced by the fact as written.

``ChatTier`` runs last, when the command tier found no device action: a short general answer
from the model. It never answers about the home's own devices (states come from the registry,
never from the model's imagination), never answers what the FAQ should hold, and never asks the
model about the world right now (weather, news: ``hub.faq.live``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Literal, Protocol

from hub.config import FAQEntry
from hub.errors import HubError
from hub.faq.check import grounded
from hub.faq.index import FAQIndex
from hub.faq.live import NO_LIVE_REPLY, asks_for_live_information
from hub.messages import Request
from hub.registry import Registry
from hub.store import AnswerCache
from hub.text.detect import detect_language
from hub.text.fold import names_any
from hub.tiers.base import TierResult

_LOGGER = logging.getLogger(__name__)

LANGUAGE_NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "nl": "Dutch",
    "ko": "Korean",
    "zh": "Chinese",
    "ja": "Japanese",
    "ru": "Russian",
}


class Writer(Protocol):
    """Writes free text (``hub.llm.writer.TextWriter``, or a fake in tests)."""

    def write(
        self,
        system: str,
        user: str,
        *,
        max_tokens: int,
        priority: Literal["request", "background"] = "background",
    ) -> str: ...


WriterFactory = Callable[[], Writer]


class FAQTier:
    name = "faq"

    def __init__(
        self,
        entries: Sequence[FAQEntry],
        languages: tuple[str, ...],
        writer: WriterFactory | None,
        cache: AnswerCache | None,
    ) -> None:
        self.index = FAQIndex(entries)
        self.languages = languages
        self.writer = writer
        self.cache = cache

    def handle(self, request: Request, registry: Registry) -> TierResult | None:
        matches = self.index.match(request.text)
        if not matches:
            return None
        best = matches[0].score
        used = [m.entry for m in matches if m.score >= best - 0.1][:3]
        language = request.language or detect_language(request.text, self.languages)
        if matches[0].entry.private:  # told as written: no model, no cache, nothing mixed in
            entry = matches[0].entry
            return TierResult(
                reply=entry.answer, language=language, detail=f"faq {entry.id}", private=True
            )
        used = [e for e in used if not e.private]
        facts = "\n".join(f"- {e.answer}" for e in used)
        answer = self._phrase(request.text, facts, language)
        if answer is None:
            answer = " ".join(e.answer for e in used)
        if self.cache is not None:
            self.cache.put(
                request.text, language, answer, origin="faq", facts={e.id: e.hash for e in used}
            )
        return TierResult(
            reply=answer, language=language, detail=f"faq {','.join(e.id for e in used)}"
        )

    def _phrase(self, question: str, facts: str, language: str) -> str | None:
        if self.writer is None:
            return None
        system = (
            "You answer a household's question using only the facts below. Do not add anything "
            "that is not in them. Answer in one short sentence in "
            f"{LANGUAGE_NAMES.get(language.split('-')[0], language)}.\nFacts:\n{facts}"
        )
        try:
            text = self.writer().write(system, question, max_tokens=80, priority="request").strip()
        except HubError as exc:
            _LOGGER.warning("Answering from the FAQ without the model: %s", exc)
            return None
        if not text or not grounded(text, facts):
            _LOGGER.info(
                "The model's answer %r strayed from the facts; using them as written", text
            )
            return None
        return text


class ChatTier:
    name = "answer"

    def __init__(
        self,
        languages: tuple[str, ...],
        writer: WriterFactory,
        cache: AnswerCache | None,
        *,
        max_tokens: int = 60,
    ) -> None:
        self.languages = languages
        self.writer = writer
        self.cache = cache
        self.max_tokens = max_tokens

    def handle(self, request: Request, registry: Registry) -> TierResult | None:
        if about_the_home(request.text, registry):
            return None
        language = request.language or detect_language(request.text, self.languages)
        if asks_for_live_information(request.text):  # the model would make it up
            return TierResult(reply=NO_LIVE_REPLY, language=language, detail="no live source")
        system = (
            "You are a home assistant's voice. Answer in one or two short sentences in "
            f"{LANGUAGE_NAMES.get(language.split('-')[0], language)}. If the question is about "
            "this household, its devices or private facts, say that you do not know."
        )
        try:
            answer = self.writer().write(
                system, request.text, max_tokens=self.max_tokens, priority="request"
            )
        except HubError as exc:
            _LOGGER.warning("No general answer: %s", exc)
            return None
        answer = answer.strip()
        if not answer:
            return None
        if self.cache is not None:
            self.cache.put(request.text, language, answer, origin="model", facts={})
        return TierResult(reply=answer, language=language, detail="general answer")


def about_the_home(text: str, registry: Registry) -> bool:
    """Does the text name one of the home's devices, areas or floors?"""
    names = [n for d in registry.devices for n in d.names]
    names += [n for a in registry.areas for n in a.names]
    names += [n for f in registry.floors for n in f.names]
    return names_any(text, names)
