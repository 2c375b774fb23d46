"""The pipeline: a request goes through the tiers in order; every command is validated.

The first tier that answers wins. Its commands are checked by the validator; a rejected command
is never returned as a command, only as a rejection with its reason. A tier that crashes is
logged and skipped, so one bad tier never takes the hub down. A request with an exception
("... except the hall") is asked without it, and the excepted devices are left out of the answer
(``hub.excluding``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from hub.dialogue.turns import Dialogue
from hub.excluding import leave_out, split_exclusion
from hub.messages import Command, ErrorInfo, Rejection, Reply, Request
from hub.registry import Registry
from hub.replies import describe
from hub.text.closing import is_closing
from hub.tiers.base import Tier, TierResult
from hub.validator import validate_all

_LOGGER = logging.getLogger(__name__)

MAX_TEXT_CHARS = 1000
NOT_UNDERSTOOD = "Sorry, I didn't understand that."
CLOSING_REPLY = "You're welcome."
# Tiers that run the language model (or may): a fast ask stops before them
SLOW_TIERS = frozenset({"faq", "llm", "answer"})


class NeedsModel(Exception):
    """``ask(..., fast=True)`` reached a tier that runs the model, or one that would first
    load something slow (another language's templates): ask again without ``fast`` where
    waiting is allowed (the daemon's model thread)."""


class Recorder(Protocol):
    """Remembers each request and its reply (``hub.store.memory.Memory``)."""

    def remember(self, request: Request, reply: Reply, registry: Registry) -> None: ...


class Pipeline:
    def __init__(
        self,
        registry: Registry,
        tiers: Sequence[Tier],
        *,
        memory: Recorder | None = None,
        dialogue: Dialogue | None = None,
    ) -> None:
        self.registry = registry
        self.tiers = list(tiers)
        self.memory = memory
        self.dialogue = dialogue or Dialogue()

    def warm(self, *, llm: bool = True, fast: bool = True) -> None:
        """Prepare the tiers now so that no request pays for it: the fast ones (the matcher,
        the FAQ index) and, with ``llm``, the model's tries and prompt."""
        for tier in self.tiers:
            warm = getattr(tier, "warm", None)
            if warm is None or (tier.name == "llm" and not llm):
                continue
            if tier.name != "llm" and not fast:
                continue
            started = time.perf_counter()
            try:
                warm(self.registry)
            except Exception as exc:  # a tier that cannot warm still gets its chance per request
                _LOGGER.error("Could not prepare the %s tier: %s", tier.name, exc)
                continue
            _LOGGER.info("Prepared the %s tier in %.1f s", tier.name, time.perf_counter() - started)

    def load(self) -> None:
        """Load the tiers' models, not yet their prompts (llama.cpp silences stdout and stderr
        while it loads a model: the daemon calls this before it starts its threads)."""
        for tier in self.tiers:
            load = getattr(tier, "load", None)
            if load is None:
                continue
            try:
                load()
            except Exception as exc:  # reported again, as an error reply, on each request
                _LOGGER.error("Could not load the %s tier's model: %s", tier.name, exc)

    def ask(self, request: Request, *, fast: bool = False) -> Reply:
        """The reply to ``request``. ``fast``: raise NeedsModel instead of running a tier
        that needs the model (nothing is recorded then; the request is asked again)."""
        start = time.perf_counter()
        registry = self.registry  # one home for the whole request, even if it changes meanwhile
        reply = self._ask(request, registry, fast)
        ms = (time.perf_counter() - start) * 1000
        _LOGGER.info(
            "%s %r -> %s [%s, %.0f ms]%s",
            request.source,
            request.text[:200],
            "; ".join(_brief(c) for c in reply.commands)
            or (reply.error.code if reply.error else "no command"),
            reply.tier,
            ms,
            f" rejected: {'; '.join(r.reason for r in reply.rejected)}" if reply.rejected else "",
        )
        reply = replace(reply, ms=ms)
        if self.memory is not None:
            try:
                self.memory.remember(request, reply, registry)
            except Exception:  # memory is a help, never a reason to fail a request
                _LOGGER.exception("Could not remember the request %r", request.text[:200])
        return reply

    def _ask(self, request: Request, home: Registry, fast: bool) -> Reply:
        problem = check_request(request, home)
        if problem is not None:
            return Reply(text=request.text, reply=problem.message, error=problem, outcome="error")
        return self.dialogue.respond(request, home, self._fast_tiers if fast else self._tiers)

    def _fast_tiers(self, request: Request, home: Registry) -> Reply:
        return self._tiers(request, home, fast=True)

    def _tiers(self, request: Request, home: Registry, *, fast: bool = False) -> Reply:
        """The first tier's answer, validated (the dialogue guards it and reads follow-ups)."""
        registry = home.with_states(request.states)
        excluding = split_exclusion(request.text, registry)
        asked = request
        if excluding is not None:
            _LOGGER.debug("%r: leaving out %s", request.text, sorted(excluding.entity_ids))
            asked = replace(request, text=excluding.text)
        if is_closing(asked.text):  # "thanks, that's all": nothing to do, for any tier
            return Reply(text=request.text, reply=CLOSING_REPLY, tier="none", outcome="answered")
        fallback: Reply | None = None
        for tier in self.tiers:
            if fast and (tier.name in SLOW_TIERS or _defers(tier, asked)):
                raise NeedsModel(tier.name)
            try:
                result = tier.handle(asked, registry)
            except Exception:
                _LOGGER.exception(
                    "The %s tier failed on %r; trying the next tier", tier.name, request.text
                )
                continue
            if result is None:
                continue
            proposed = result.commands
            if excluding is not None and proposed:
                proposed = leave_out(proposed, excluding.entity_ids)
                if not proposed:
                    result = replace(
                        result, reply=f"Nothing is left once {excluding.phrase} is left out."
                    )
            commands, rejected = validate_all(proposed, registry)
            reply = result.reply
            if commands:
                reply = describe(commands, registry)
            elif proposed:
                reply = f"I can't do that: {rejected[0].reason}."
            answer = Reply(
                text=request.text,
                commands=commands,
                reply=reply,
                tier=tier.name,
                rejected=rejected,
                error=result.error,
                language=result.language,
                outcome=_outcome(result, commands, rejected),
                private=result.private,
                pending=result.suggested if result.question else (),
                choices=result.choices if result.question else (),
            )
            if result.no_action and not result.commands:
                fallback = fallback or answer  # a later tier may answer the question
                continue
            return answer
        return fallback or Reply(text=request.text, reply=NOT_UNDERSTOOD, tier="none")


def _outcome(
    result: TierResult, commands: tuple[Command, ...], rejected: tuple[Rejection, ...]
) -> str:
    if commands:
        return "acted"
    if result.error is not None:
        return "error"
    if rejected:
        return "refused"
    if result.question:
        return "asked"
    if result.no_action:
        return "not_understood"
    return "answered"


def _brief(command: Command) -> str:
    data = ",".join(f"{k}={v}" for k, v in command.data.items())
    return f"{command.action} {','.join(command.entity_ids)}" + (f" {data}" if data else "")


def check_request(request: Request, registry: Registry) -> ErrorInfo | None:
    """A request the tiers should never see: empty, too long, or from an unknown area."""
    text = request.text.strip()
    if not text:
        return ErrorInfo("empty_request", "The request is empty.")
    if len(text) > MAX_TEXT_CHARS:
        return ErrorInfo(
            "too_long", f"The request is {len(text)} characters; the limit is {MAX_TEXT_CHARS}."
        )
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
        return ErrorInfo("bad_text", "The request contains control characters.")
    if request.area is not None and registry.area(request.area) is None:
        return ErrorInfo("unknown_area", f"Unknown area {request.area!r}.")
    return None


def make_request(
    registry: Registry,
    text: str,
    *,
    area: str | None = None,
    source: str = "cli",
    states: Mapping[str, Mapping[str, Any]] | None = None,
    request_id: str | None = None,
) -> Request:
    """A Request, with the area given by name or id turned into the area's id."""
    area_id = area
    if area:
        found = registry.find_area(area)
        area_id = found.id if found else area  # unknown areas are reported by the pipeline
    return Request(text=text, area=area_id, source=source, states=dict(states or {}), id=request_id)


def _defers(tier: Tier, request: Request) -> bool:
    """Whether ``tier`` would load something slow before it could answer ``request`` (see
    ``TemplateTier.defers``)."""
    defers = getattr(tier, "defers", None)
    return bool(defers(request)) if callable(defers) else False
