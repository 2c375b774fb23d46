"""One turn of a conversation: answer the hub's open question, or a new request (which may
point back at the devices just used), then guard it (``hub.security.gate``) and remember.

- "Say 'yes' to confirm: Opening Garage Door." -- "yes" (and the PIN, if one is set) does it,
  once, within ``security.confirm_seconds``; "no" does nothing; anything else is a new request
  and the question is gone. A wrong PIN ends the question too.
- "Did you mean: Turning on Kitchen Light?" -- "yes" does it (guarded like any answer, so a
  security action still asks to be confirmed), "no" does nothing.
- "Which one: Lamp in the Bedroom or Lamp in the Office?" -- "the bedroom one", "the office",
  "the second", "both" answer the first request again with those devices.
- After acting: "turn it off again", "a bit brighter" act on the same devices; "and the kitchen
  too" does the same to the devices of that kind in the kitchen.
An answer is never read as a new request, and a request without a conversation id is never
read as an answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from hub.dialogue.followup import (
    bare_answer,
    chosen,
    places_named,
    points_back,
    says_pin,
    with_target,
    yes_or_no,
)
from hub.dialogue.store import (
    CHOOSE,
    CONFIRM,
    SUGGEST,
    Conversations,
    Question,
    Turn,
    conversation_key,
)
from hub.messages import Command, ErrorInfo, Rejection, Reply, Request
from hub.registry import Registry
from hub.replies import describe
from hub.security.gate import guard
from hub.security.policy import SecurityPolicy
from hub.validator import validate_all

_LOGGER = logging.getLogger(__name__)

Ask = Callable[[Request, Registry], Reply]  # the tiers, validated: the pipeline's own answer
NOTHING_DONE = "OK, nothing was done."
MAX_POINTED = 4  # devices "it" or "them" may stand for (each is asked about on its own)
NO_QUESTION = "There is no question of mine to answer; nothing was done."


class Dialogue:
    def __init__(
        self, policy: SecurityPolicy | None = None, conversations: Conversations | None = None
    ) -> None:
        self.policy = policy or SecurityPolicy()
        self.conversations = conversations or Conversations()

    def respond(self, request: Request, registry: Registry, ask: Ask) -> Reply:
        key = conversation_key(request)
        turn = self.conversations.get(key)
        if turn is not None and turn.question is not None:
            answered = self._answer(request, turn.question, registry, ask)
            if answered is not None:
                self.conversations.settled(key)  # answered: a second "yes" does nothing
                reply, asked = answered
                final = reply if asked is None else self._guard(reply, asked, registry, key)
                self._remember(key, request, final)
                return final
            self.conversations.settled(key)  # a new request takes the question's place
        elif bare_answer(request.text):
            # "yes" with no question open is no request: the model would read one into it
            return Reply(text=request.text, reply=NO_QUESTION, tier="dialogue", outcome="answered")
        reply = ask(request, registry)
        back = turn is not None and bool(turn.commands) and points_back(request.text)
        if turn is not None and back and not reply.commands:
            reply = self._refer_back(request, turn, registry, ask) or reply
        reply = self._guard(reply, request, registry, key)
        self._remember(key, request, reply)
        return reply

    # -- answering the hub's question -------------------------------------------------------
    def _answer(
        self, request: Request, question: Question, registry: Registry, ask: Ask
    ) -> tuple[Reply, Request | None] | None:
        """The reply to an answer, and the request to guard it as (None: already guarded);
        None when the text is no answer to ``question``."""
        said = yes_or_no(request.text)
        if question.kind == CHOOSE and question.request is not None:
            picked = chosen(request.text, question.choices, registry)
            if picked:
                again = replace(question.request, focus=picked)
                reply = replace(ask(again, registry), text=request.text)
                return reply, replace(question.request, source=request.source)
        if said == "no":
            return Reply(
                text=request.text, reply=NOTHING_DONE, tier="dialogue", outcome="answered"
            ), None
        if said != "yes" or question.kind == CHOOSE:
            return None
        commands, rejected = validate_all(question.commands, registry)  # the home may have changed
        if question.kind == SUGGEST:
            return self._done(request, commands, rejected, registry, question.tier), request
        pin = self.policy.config.pin
        if question.pin and pin and not says_pin(request.text, pin):
            message = "That is not the PIN, so nothing was done."
            _LOGGER.warning("%s: a confirmation with a wrong PIN; nothing was done", request.source)
            reply = Reply(
                text="(confirmation)",
                reply=message,
                tier="dialogue",
                outcome="refused",
                error=ErrorInfo("wrong_pin", message),
            )
            return reply, None
        _LOGGER.info("%s confirmed %s", request.source, "; ".join(c.action for c in commands))
        done = self._done(request, commands, rejected, registry, "confirmed")
        return replace(done, secure=True), None

    def _done(
        self,
        request: Request,
        commands: tuple[Command, ...],
        rejected: tuple[Rejection, ...],
        registry: Registry,
        tier: str,
    ) -> Reply:
        if not commands:
            reason = rejected[0].reason if rejected else "nothing is left to do"
            return Reply(
                text=request.text,
                reply=f"I can't do that now: {reason}.",
                tier=tier,
                rejected=rejected,
                outcome="refused",
            )
        return Reply(
            text=request.text,
            commands=commands,
            reply=describe(commands, registry),
            tier=tier,
            rejected=rejected,
            outcome="acted",
        )

    # -- pointing back ----------------------------------------------------------------------
    def _refer_back(
        self, request: Request, turn: Turn, registry: Registry, ask: Ask
    ) -> Reply | None:
        """A request about what the conversation just did: the same devices ("turn it off
        again", "a bit brighter"), or the same action elsewhere ("and the kitchen too")."""
        areas, devices = places_named(request.text, registry)
        if areas or devices:
            return self._same_elsewhere(request, turn, registry, areas, devices)
        last = tuple(dict.fromkeys(e for c in turn.commands for e in c.entity_ids))
        if len(last) > MAX_POINTED:  # "turn them off" after a whole floor: too vague to guess
            return None
        merged: list[Command] = []
        tier = "none"
        for entity_id in last:
            device = registry.device(entity_id)
            if device is None:
                continue
            for text in with_target(request.text, device.name):
                again = replace(request, text=text, conversation_id=None, focus=(entity_id,))
                reply = ask(again, registry)
                mine = [c for c in reply.commands if set(c.entity_ids) <= {entity_id}]
                if mine and len(mine) == len(reply.commands):
                    merged.extend(mine)
                    tier = reply.tier
                    break
        if not merged:
            return None
        commands = _merge(merged)
        return Reply(
            text=request.text,
            commands=commands,
            reply=describe(commands, registry),
            tier=tier,
            outcome="acted",
        )

    def _same_elsewhere(
        self,
        request: Request,
        turn: Turn,
        registry: Registry,
        areas: tuple[str, ...],
        devices: tuple[str, ...],
    ) -> Reply | None:
        out: list[Command] = []
        for command in turn.commands:
            domain = command.domain
            targets = [
                d.entity_id
                for d in registry.devices
                if d.domain == domain
                and (d.entity_id in devices or (not devices and d.area in areas))
                and d.entity_id not in command.entity_ids
            ]
            if targets:
                out.append(Command(command.action, tuple(targets), command.data))
        commands, rejected = validate_all(out, registry)
        if not commands:
            return None
        return Reply(
            text=request.text,
            commands=commands,
            reply=describe(commands, registry),
            tier="dialogue",
            rejected=rejected,
            outcome="acted",
        )

    # -- guarding and remembering -----------------------------------------------------------
    def _guard(self, reply: Reply, request: Request, registry: Registry, key: str | None) -> Reply:
        return guard(self.policy, reply, request, registry, conversation=key is not None)

    def _remember(self, key: str | None, request: Request, reply: Reply) -> None:
        if key is None:
            return
        if reply.commands:
            self.conversations.acted(key, reply.commands, request.area)
            return
        if reply.outcome != "asked" and not reply.choices:
            return
        if reply.choices:
            question = Question(CHOOSE, request=_first(request), choices=reply.choices)
        elif reply.secure and reply.pending:
            expires = self.conversations.now() + self.policy.config.confirm_seconds
            question = Question(
                CONFIRM,
                commands=reply.pending,
                tier=reply.tier,
                pin=self.policy.config.pin is not None,
                expires=expires,
            )
        elif reply.pending:
            question = Question(SUGGEST, commands=reply.pending, tier=reply.tier)
        else:
            return
        self.conversations.asked(key, question)


def _first(request: Request) -> Request:
    """The request a "Which one" question answers again: without its conversation, so that
    answering it runs the tiers, not this dialogue."""
    return replace(request, conversation_id=None, focus=())


def _merge(commands: list[Command]) -> tuple[Command, ...]:
    """One command per action and data: "turn them off" is one turn_off of both lamps."""
    grouped: dict[tuple[str, str], list[str]] = {}
    data: dict[tuple[str, str], Command] = {}
    for command in commands:
        key = (command.action, repr(sorted(command.data.items())))
        grouped.setdefault(key, []).extend(command.entity_ids)
        data.setdefault(key, command)
    return tuple(
        Command(action, tuple(dict.fromkeys(ids)), data[(action, k)].data)
        for (action, k), ids in grouped.items()
    )
