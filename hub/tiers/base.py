"""The small interface every tier implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hub.messages import Command, ErrorInfo, Request
from hub.registry import Registry


@dataclass(frozen=True)
class TierResult:
    """A tier's answer. ``commands`` are unvalidated; the pipeline validates them.

    ``question`` marks a reply that asks the user to choose (ambiguous names): no command.
    ``no_action`` marks a tier that understood no device action is wanted (a question, small
    talk): the tiers after it may still answer; if none does, this reply stands.
    """

    commands: tuple[Command, ...] = ()
    reply: str = ""
    question: bool = False
    language: str | None = None
    detail: str = ""  # what the tier understood (intent name, model output), for logs
    error: ErrorInfo | None = None  # the tier could not work (model missing, server down)
    no_action: bool = False
    # With ``question``: what "yes" would do ("Did you mean ...?"), or the entity ids a
    # "Which one" question offers, in the order it named them (hub.dialogue reads the answer)
    suggested: tuple[Command, ...] = ()
    choices: tuple[str, ...] = ()
    private: bool = False  # a private FAQ answer (hub.pipeline decides who may hear it)


class Tier(Protocol):
    name: str

    def handle(self, request: Request, registry: Registry) -> TierResult | None:
        """Answer the request, or None when this tier cannot (the next tier tries)."""
        ...
