""" "Turn off the lights downstairs except the hall": the request without its exception, and the
devices the exception names, which are then left out of whatever a tier answers.

Neither Home Assistant's templates nor the model's command language can say "except", so the
pipeline asks the tiers about the rest of the request ("turn off the lights downstairs") and
drops the excepted devices from the answer. The exception must consist of names the home knows
(areas, floors, devices, joined by "and", "or" or commas, with articles and "lights" allowed):
"turn on the lights but dim the kitchen" is not an exception, and is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from hub.messages import Command
from hub.registry import Registry
from hub.text.fold import normalize_name

_SPLIT = re.compile(
    r"^(?P<main>.+?)[\s,]+(?:except(?: for)?|but not|but|apart from|other than|excluding|"
    r"save for|leave out|leaving out)\s+(?P<rest>.+?)[\s.!?]*$",
    re.IGNORECASE,
)
_JOIN = re.compile(r"\s*(?:,|\band\b|\bor\b|\bnor\b)\s*", re.IGNORECASE)
# Words an exception may have around its names: "the hall lights", "the one in the kitchen".
_FILLER = frozenset(
    {"the", "my", "our", "a", "an", "in", "on", "at", "of", "one", "ones", "those", "that"}
    | {"this", "these", "light", "lights", "lamp", "lamps", "room", "rooms", "floor"}
)


@dataclass(frozen=True)
class Excluding:
    text: str  # the request without its exception
    phrase: str  # the exception as said: "the hall"
    entity_ids: frozenset[str]  # the devices it names, and those in the places it names


def split_exclusion(text: str, registry: Registry) -> Excluding | None:
    """The request's exception, when it has one made only of names the home knows."""
    found = _SPLIT.match(text.strip())
    if found is None:
        return None
    main, rest = found["main"].strip(" ,"), found["rest"]
    entity_ids: set[str] = set()
    for part in _JOIN.split(rest):
        words = [w for w in normalize_name(part).split() if w not in _FILLER]
        if not words:
            continue
        named = _named(" ".join(words), registry)
        if not named:
            return None  # not (only) names: "but dim the kitchen", "except on weekends"
        entity_ids |= named
    if not entity_ids or not main:
        return None
    return Excluding(main, rest, frozenset(entity_ids))


def _named(name: str, registry: Registry) -> set[str]:
    floor = registry.find_floor(name)
    if floor is not None:
        return {d.entity_id for d in registry.on_floor(floor.id)}
    area = registry.find_area(name)
    if area is not None:
        return {d.entity_id for d in registry.in_area(area.id)}
    return {d.entity_id for d in registry.find_devices(name)}


def leave_out(commands: Iterable[Command], entity_ids: frozenset[str]) -> tuple[Command, ...]:
    """The commands without the excepted devices; a command left with none goes."""
    kept = []
    for command in commands:
        targets = tuple(e for e in command.entity_ids if e not in entity_ids)
        if targets:
            kept.append(replace(command, entity_ids=targets))
    return tuple(kept)
