"""The action table: every domain's actions, their data keys, types and ranges.

One place, read by every tier (to build commands and the LLM's grammar) and by the validator
(to check them). Names and units are Home Assistant's (shared/bench/FORMAT.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import webcolors

Kind = Literal["int", "number", "string", "bool"]

# The colour names Home Assistant accepts as light.turn_on color_name: CSS3's, and navyblue.
COLOR_NAMES: frozenset[str] = frozenset(webcolors.names("css3")) | {"navyblue"}

# Domain constants every tier shares: the thermostat modes (in the order the model is offered
# them), and the brightness step of "dim"/"brighten" said without a number.
HVAC_MODES: tuple[str, ...] = ("off", "heat", "cool", "auto", "heat_cool", "dry", "fan_only")
LIGHT_STEP_PCT = 20


@dataclass(frozen=True)
class Param:
    """One data key of an action."""

    name: str
    kind: Kind
    minimum: float | None = None
    maximum: float | None = None
    choices: frozenset[str] | None = None
    feature: str | None = None  # the device feature this key needs
    max_length: int | None = None


@dataclass(frozen=True)
class ActionSpec:
    domain: str
    service: str
    params: Mapping[str, Param] = field(default_factory=lambda: MappingProxyType({}))
    required: frozenset[str] = frozenset()
    feature: str | None = None  # a device feature the action itself needs

    @property
    def action(self) -> str:
        return f"{self.domain}.{self.service}"


def _spec(
    domain: str,
    service: str,
    *params: Param,
    required: tuple[str, ...] = (),
    feature: str | None = None,
) -> ActionSpec:
    return ActionSpec(
        domain,
        service,
        MappingProxyType({p.name: p for p in params}),
        frozenset(required),
        feature,
    )


_ON_OFF = ("turn_on", "turn_off", "toggle")

_SPECS: list[ActionSpec] = [
    _spec(
        "light",
        "turn_on",
        Param("brightness_pct", "int", 0, 100, feature="brightness"),
        Param("brightness_step_pct", "int", -100, 100, feature="brightness"),
        Param("color_name", "string", choices=COLOR_NAMES, feature="color"),
        Param("color_temp_kelvin", "int", 1500, 9000, feature="color_temp"),
        Param("transition", "number", 0, 300),
    ),
    _spec("light", "turn_off", Param("transition", "number", 0, 300)),
    _spec("light", "toggle"),
    *(_spec(domain, s) for domain in ("switch", "input_boolean") for s in _ON_OFF),
    _spec("fan", "turn_on", Param("percentage", "int", 0, 100, feature="set_speed")),
    _spec("fan", "turn_off"),
    _spec("fan", "toggle"),
    _spec(
        "fan",
        "set_percentage",
        Param("percentage", "int", 0, 100),
        required=("percentage",),
        feature="set_speed",
    ),
    _spec("fan", "increase_speed", feature="set_speed"),
    _spec("fan", "decrease_speed", feature="set_speed"),
    _spec(
        "fan",
        "oscillate",
        Param("oscillating", "bool"),
        required=("oscillating",),
        feature="oscillate",
    ),
    _spec("cover", "open_cover"),
    _spec("cover", "close_cover"),
    _spec("cover", "stop_cover"),
    _spec("cover", "toggle"),
    _spec(
        "cover",
        "set_cover_position",
        Param("position", "int", 0, 100),
        required=("position",),
        feature="position",
    ),
    _spec("valve", "open_valve"),
    _spec("valve", "close_valve"),
    _spec(
        "valve",
        "set_valve_position",
        Param("position", "int", 0, 100),
        required=("position",),
        feature="position",
    ),
    # Without min_temp/max_temp in the device's state, 0-100 covers both °C and °F setpoints.
    _spec(
        "climate",
        "set_temperature",
        Param("temperature", "number", 0, 100),
        required=("temperature",),
    ),
    _spec(
        "climate",
        "set_hvac_mode",
        Param("hvac_mode", "string", choices=frozenset(HVAC_MODES)),
        required=("hvac_mode",),
    ),
    _spec("climate", "turn_on"),
    _spec("climate", "turn_off"),
    _spec("lock", "lock"),
    _spec("lock", "unlock"),
    _spec("lock", "open"),
    *(
        _spec("media_player", s)
        for s in (
            "turn_on",
            "turn_off",
            "media_play",
            "media_pause",
            "media_stop",
            "media_next_track",
            "media_previous_track",
            "volume_up",
            "volume_down",
        )
    ),
    _spec(
        "media_player",
        "volume_set",
        Param("volume_level", "number", 0, 1),
        required=("volume_level",),
    ),
    _spec(
        "media_player",
        "volume_mute",
        Param("is_volume_muted", "bool"),
        required=("is_volume_muted",),
    ),
    *(_spec("vacuum", s) for s in ("start", "stop", "pause", "return_to_base")),
    _spec("scene", "turn_on"),
    _spec("script", "turn_on"),
    _spec("todo", "add_item", Param("item", "string", max_length=255), required=("item",)),
]

ACTIONS: Mapping[str, ActionSpec] = MappingProxyType({s.action: s for s in _SPECS})
DOMAINS: frozenset[str] = frozenset(s.domain for s in _SPECS)


def action_spec(action: str) -> ActionSpec | None:
    return ACTIONS.get(action)


def actions_for_domain(domain: str) -> list[ActionSpec]:
    return [s for s in _SPECS if s.domain == domain]
