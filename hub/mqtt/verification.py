"""Actions checked by their echo: after the actions of an answer are published, the answer waits
(without blocking the worker) until every device has confirmed its new state, or the verify
timeout, and then carries ``verified`` per entity (``hub.verify`` decides what counts)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace

from hub.messages import Command
from hub.mqtt.envelopes import Answer
from hub.mqtt.inbound import Inbound
from hub.mqtt.outcomes import checked_reply
from hub.registry import Registry, State
from hub.verify import Check, Ticket, Verifier, expectation


@dataclass(frozen=True)
class Pending:
    """An answer waiting for its devices to confirm."""

    inbound: Inbound
    kind: str
    answer: Answer


class Verification:
    def __init__(
        self,
        verifier: Verifier,
        *,
        registry: Callable[[], Registry],
        sources: Callable[[], Collection[str]],
        on_verified: Callable[[Answer, list[Check]], None],
        deliver: Callable[[Inbound, str, Answer], None],
    ) -> None:
        """``registry``: the home now; ``sources``: the devices that report their state (only
        theirs can be confirmed); ``on_verified``: the answer and its checks, recorded before
        ``deliver`` tells the requester."""
        self.verifier = verifier
        self._registry = registry
        self._sources = sources
        self._on_verified = on_verified
        self._deliver = deliver

    def start(self, pending: Pending) -> None:
        """Wait for the devices of ``pending``'s actions (answered at once if none can tell)."""
        checks = self._checks(pending.answer.reply.commands)
        ticket = self.verifier.start(checks, pending)
        if ticket.done:
            self._finish(ticket)

    def observe(self, states: Mapping[str, State]) -> None:
        """Devices reported ``states``: finish the answers they complete."""
        for entity_id, state in states.items():
            for ticket in self.verifier.observe(entity_id, state):
                self._finish(ticket)

    def expire(self, now: float) -> None:
        """Finish the answers whose time is up at ``now`` (inf: all of them)."""
        for ticket in self.verifier.expire(now):
            self._finish(ticket)

    def next_deadline(self) -> float | None:
        return self.verifier.next_deadline()

    def _checks(self, commands: tuple[Command, ...]) -> list[Check]:
        registry = self._registry()
        sources = self._sources()
        checks: list[Check] = []
        for command in commands:
            for entity_id in command.entity_ids:
                device = registry.device(entity_id)
                single = Command(command.action, (entity_id,), command.data)
                before = device.state if device is not None else State()
                predicate = expectation(single, before) if entity_id in sources else None
                checks.append(Check(entity_id, command.action, predicate))
        return checks

    def _finish(self, ticket: Ticket) -> None:
        pending = ticket.context
        if not isinstance(pending, Pending):
            return
        answer = pending.answer
        reply = checked_reply(answer.reply, ticket.checks, self._registry())
        verified = (*answer.verified, *(c.to_dict() for c in ticket.checks))
        final = replace(answer, reply=reply, verified=verified)
        self._on_verified(final, ticket.checks)  # recorded before the requester hears of it
        self._deliver(pending.inbound, pending.kind, final)
