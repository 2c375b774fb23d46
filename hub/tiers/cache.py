"""The cache tier: what was already decided or answered, without the model.

It runs first. A decision the language model made for the same text, area and home returns
the same commands (validated again by the pipeline, like any tier's). An answer to the same
question in the same language returns until it expires. Requests that carry their own device
states are never served from the cache: their meaning may depend on those states.
"""

from __future__ import annotations

from hub.messages import Request
from hub.registry import Registry
from hub.store import AnswerCache, DecisionCache
from hub.text.detect import detect_language
from hub.tiers.base import TierResult


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
            if decision is not None:
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
