"""Verified actions: after a command is published, watch the device's state for its effect.

``expectation`` says what state would show that a command happened (``light.turn_on`` with
``brightness_pct: 50``: on, brightness about 128). The ``Verifier`` holds the open checks of
each reply; every state the bus reports is offered to them. A check ends:

- ``confirmed``: the device reported the expected state within the timeout;
- ``unconfirmed``: it did not (no answer, or another state) before the timeout;
- ``failed``: the device went unavailable while the hub waited;
- ``published``: nothing can be checked (the device reports no state, or the action has no
  visible effect, e.g. ``cover.stop_cover``), so the hub only knows it was sent.

Nothing here blocks: the daemon's worker calls ``observe`` and ``expire`` between messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hub.messages import Command
from hub.registry import State

CONFIRMED, UNCONFIRMED, FAILED, PUBLISHED, UNAVAILABLE = (
    "confirmed",
    "unconfirmed",
    "failed",
    "published",
    "unavailable",
)

Predicate = Callable[[State], bool]


def expectation(command: Command, before: State) -> Predicate | None:
    """What the device's state shows once ``command`` happened; None when nothing can show it."""
    domain, service, data = command.domain, command.service, command.data
    if service == "toggle" and before.state in ("on", "off"):
        flipped = "off" if before.state == "on" else "on"
        return _is(flipped)
    match domain, service:
        case ("light", "turn_on"):
            if data.get("brightness_pct") == 0:
                return _is("off")
            pct = data.get("brightness_pct")
            if pct is None:
                return _is("on")
            target = pct * 255 / 100
            return lambda s: s.state == "on" and _near(s.attributes.get("brightness"), target, 4)
        case ("light" | "switch" | "input_boolean" | "fan", "turn_on"):
            if domain == "fan" and "percentage" in data:
                return _fan(int(data["percentage"]))
            return _is("on")
        case ("light" | "switch" | "input_boolean" | "fan", "turn_off"):
            return _is("off")
        case ("fan", "set_percentage"):
            return _fan(int(data["percentage"]))
        case ("cover", "open_cover") | ("valve", "open_valve"):
            return _is("open")
        case ("cover", "close_cover") | ("valve", "close_valve"):
            return _is("closed")
        case ("cover", "set_cover_position") | ("valve", "set_valve_position"):
            position = int(data["position"])
            return lambda s: (
                _near(s.attributes.get("current_position"), position, 2)
                or (s.state == ("closed" if position == 0 else ""))
            )
        case ("lock", "lock"):
            return _is("locked")
        case ("lock", "unlock") | ("lock", "open"):
            return lambda s: s.state in ("unlocked", "open")
        case ("climate", "set_temperature"):
            target = float(data["temperature"])
            return lambda s: _near(s.attributes.get("temperature"), target, 0.26)
        case ("climate", "set_hvac_mode"):
            return _is(str(data["hvac_mode"]))
        case ("climate", "turn_off"):
            return _is("off")
        case ("climate", "turn_on"):
            return lambda s: s.state not in (None, "off", "unavailable")
    return None


def _is(value: str) -> Predicate:
    return lambda s: s.state == value


def _fan(percentage: int) -> Predicate:
    if percentage == 0:
        return _is("off")
    # Zigbee2MQTT and Tasmota fans have three or four speeds: a third is close enough.
    return lambda s: (
        s.state == "on"
        and (
            s.attributes.get("percentage") is None
            or _near(s.attributes.get("percentage"), percentage, 34)
        )
    )


def _near(value: Any, target: float, tolerance: float) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return abs(value - target) <= tolerance


@dataclass
class Check:
    entity_id: str
    action: str
    predicate: Predicate | None
    status: str = ""  # "" while open

    def to_dict(self) -> dict[str, str]:
        return {
            "entity_id": self.entity_id,
            "action": self.action,
            "status": self.status or "pending",
        }


@dataclass
class Ticket:
    """The checks of one reply, and what the daemon needs to finish it (``context``)."""

    checks: list[Check]
    deadline: float
    context: Any = None
    started: float = field(default_factory=time.monotonic)

    @property
    def done(self) -> bool:
        return all(c.status for c in self.checks)


class Verifier:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.open: list[Ticket] = []

    def start(
        self, checks: Iterable[Check], context: Any = None, *, now: float | None = None
    ) -> Ticket:
        """A ticket for these checks; those without a predicate are ``published`` at once."""
        now = time.monotonic() if now is None else now
        ticket = Ticket(list(checks), now + self.timeout, context)
        for check in ticket.checks:
            if check.predicate is None and not check.status:
                check.status = PUBLISHED
        if not ticket.done:
            self.open.append(ticket)
        return ticket

    def observe(self, entity_id: str, state: State) -> list[Ticket]:
        """A device reported ``state``: the tickets this finished."""
        finished: list[Ticket] = []
        for ticket in self.open:
            for check in ticket.checks:
                if check.status or check.entity_id != entity_id:
                    continue
                if state.state == "unavailable":
                    check.status = FAILED
                elif check.predicate is not None and check.predicate(state):
                    check.status = CONFIRMED
            if ticket.done:
                finished.append(ticket)
        self._drop(finished)
        return finished

    def expire(self, now: float | None = None) -> list[Ticket]:
        """Tickets past their deadline, their open checks ``unconfirmed``."""
        now = time.monotonic() if now is None else now
        finished = [t for t in self.open if t.deadline <= now]
        for ticket in finished:
            for check in ticket.checks:
                if not check.status:
                    check.status = UNCONFIRMED
        self._drop(finished)
        return finished

    def next_deadline(self) -> float | None:
        return min((t.deadline for t in self.open), default=None)

    def _drop(self, finished: list[Ticket]) -> None:
        if finished:
            ids = {id(t) for t in finished}
            self.open = [t for t in self.open if id(t) not in ids]
