"""Is a line the model wrote about what the request names?

A request that names a device ("the coffee maker") or a place ("the garden", "downstairs")
is about that device or the devices there. A line whose devices are none of those and in none
of those places is the model reaching for something else ("water the garden" -> "start robot
vacuum"): the LLM tier asks the model again without it, and asks the person rather than act on
it. A request that names nothing the home knows is not checked: "I'm cold" may mean any
thermostat.

Names match as whole words after normalization (``hub.normalize.names_any``); a typo is not a
mention, so it is never held against a line.

Values are grounded too: a line that sets a level ("set TV volume to 30") when the request says
no such number ("turn the telly down") is a number the model made up. ``said_values`` reads the
numbers a request says (digits, English number words, "half", "a quarter"); an extreme ("max",
"the lowest") may mean any value, so it lets every value through.
"""

from __future__ import annotations

import re
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


# Settings a person says as a number, and the scale they say it in (volume 0.3 is "30").
SETTINGS = {
    "brightness_pct": 1, "volume_level": 100, "temperature": 1, "position": 1, "percentage": 1,
}  # fmt: skip
_EXTREME = re.compile(
    r"\b(max|maximum|highest|full|fully|all the way|min|minimum|lowest|least|most)\b", re.I
)
_DIGITS = re.compile(r"\d+(?:[.,]\d+)?")
_UNITS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_WORDS = {w: i for i, w in enumerate(_UNITS)} | {w: i * 10 for i, w in enumerate(_TENS) if i > 1}
_WORDS |= {"hundred": 100, "half": 50, "halfway": 50, "quarter": 25, "three quarters": 75}
_WORD = re.compile(
    r"\b(three quarters|" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")"
    r"(?:[ -](one|two|three|four|five|six|seven|eight|nine))?\b",
    re.I,
)


def said_values(text: str) -> frozenset[float] | None:
    """The numbers ``text`` says; None when it names an extreme (any value may be meant)."""
    if _EXTREME.search(text):
        return None
    values = {float(m.group(0).replace(",", ".")) for m in _DIGITS.finditer(text)}
    for match in _WORD.finditer(text):
        value = _WORDS[match.group(1).lower()]
        if match.group(2) and value >= 20:
            value += _WORDS[match.group(2).lower()]
        values.add(float(value))
    return frozenset(values)


def invents(commands: Iterable[Command], said: frozenset[float] | None) -> bool:
    """Whether a command sets a level to a number the request did not say."""
    if said is None:
        return False
    for command in commands:
        for key, scale in SETTINGS.items():
            value = command.data.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if not any(abs(value * scale - s) <= 0.5 for s in said):
                return True
    return False
