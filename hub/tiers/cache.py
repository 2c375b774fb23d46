"""The cache tier: what was already decided or answered, without the model.

It runs first. A decision the language model made for the same text, area and home returns
the same commands (validated again by the pipeline, like any tier's), unless what the request
says now speaks against them (``hub.tiers.said``): a decision cached by an older hub, before a
check that refuses it, is not replayed but asked of the model again. An answer to the same
question in the same language returns until it expires. Requests that carry their own device
states are never served from the cache: their meaning may depend on those states.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.llm import glossary
from hub.messages import Command, Request
from hub.registry import Registry
from hub.store import AnswerCache, DecisionCache
from hub.text.detect import detect_language
from hub.tiers.base import TierResult
from hub.tiers.said import contradicts, ignores


class CacheTier:
    name = "cache"

    def __init__(
        self,
        decisions: DecisionCache | None,
        answers: AnswerCache | None,
        languages: tuple[str, ...],
    ) -> None:
        self.decisions = decisions
        self.answers = answers
        self.languages = languages

    def handle(self, request: Request, registry: Registry) -> TierResult | None:
        if request.states:
            return None
        if self.decisions is not None:
            decision = self.decisions.get(request.text, request.area, registry.version)
            if decision is not None and not refused_now(decision.commands, request.text, registry):
                return TierResult(
                    commands=decision.commands,
                    reply=decision.reply,
                    language=decision.language,
                    detail="decision",
                )
        if self.answers is not None:
            language = request.language or detect_language(request.text, self.languages)
            answer = self.answers.get(request.text, language)
            if answer is not None:
                return TierResult(
                    reply=answer.answer,
                    language=language,
                    detail=f"{answer.origin} answer",
                )
        return None


def refused_now(commands: Sequence[Command], text: str, registry: Registry) -> bool:
    """Whether the checks of what a request says refuse ``commands`` today ("it is rather
    gloomy, sort that out" cached with the lamp switched off)."""
    english = glossary.gloss(text)
    words = f"{text} {english}" if english else text
    return contradicts(commands, words, registry) or ignores(commands, words, registry)
