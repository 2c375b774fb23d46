"""Is a line the model wrote about what the request names?

A request that names a device ("the coffee maker") or a place ("the garden", "downstairs")
is about that device or the devices there. A line whose devices are none of those and in none
of those places is the model reaching for something else ("water the garden" -> "start robot
vacuum"): the LLM tier asks the model again without it, and asks the person rather than act on
it. A request that names nothing the home knows is not checked: "I'm cold" may mean any
thermostat.

Names match as whole words after normalization (``hub.normalize.names_any``); a typo is not a
mention, so it is never held against a line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hub.messages import Command
from hub.normalize import names_any
from hub.registry import Device, Registry


@dataclass(frozen=True)
class Mentions:
    """The devices and areas (a floor counts as its areas) a request names."""

    devices: frozenset[str] = frozenset()
    areas: frozenset[str] = frozenset()
    places: bool = False  # the text itself names an area or a floor

    def __bool__(self) -> bool:
        return bool(self.devices or self.areas)

    @classmethod
    def find(
        cls,
        text: str,
        registry: Registry,
        area: str | None = None,
        devices: Iterable[Device] | None = None,
    ) -> Mentions:
        """What ``text`` names of ``devices`` (default: all) and of the places; ``area``, where
        the request was made, counts as named when something else is (a request made in the
        bedroom may mean the bedroom's lamp)."""
        chosen = registry.devices if devices is None else devices
        named = frozenset(d.entity_id for d in chosen if names_any(text, d.names))
        floors = {f.id for f in registry.floors if names_any(text, f.names)}
        areas = {a.id for a in registry.areas if names_any(text, a.names) or (a.floor in floors)}
        places = bool(floors or areas)
        if (named or areas) and area:
            areas.add(area)
        return cls(named, frozenset(areas), places)

    def grounds(self, commands: Iterable[Command], registry: Registry) -> bool:
        """Whether the commands touch a named device, a device in a named place, or a device
        with no place (a scene, a whole-home thermostat: no place can speak against it)."""
        if not self:
            return True
        for command in commands:
            for entity_id in command.entity_ids:
                device = registry.device(entity_id)
                if device is None or device.area is None:
                    return True
                if entity_id in self.devices or device.area in self.areas:
                    return True
        return False
