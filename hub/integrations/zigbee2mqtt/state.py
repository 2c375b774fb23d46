"""Zigbee2MQTT state: ``<base>/<friendly_name>`` JSON into Home Assistant's shape.

Brightness 0-254 becomes 0-255, ``color_temp`` (mireds) ``color_temp_kelvin``, a cover's
``position`` ``current_position`` (and open/closed), a lock's ``LOCK`` ``locked``, a thermostat's
``system_mode`` its state with the setpoint as ``temperature`` and ``local_temperature`` as
``current_temperature``. Availability: ``<base>/<friendly_name>/availability``
(``{"state": "online"}``, or the legacy plain ``online``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from hub.integrations.state import json_object, merge_state, number, text
from hub.integrations.units import FAN_MODE_PERCENT, brightness_255, kelvin
from hub.registry import State


@dataclass(frozen=True)
class Z2MEntity:
    """One entity of a Zigbee2MQTT device: its domain and the properties that carry its state."""

    domain: str
    props: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # role -> prop
    value_on: Any = "ON"
    value_off: Any = "OFF"
    static: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))  # attributes


class Z2MState:
    """The state source of one Zigbee2MQTT entity (a device, an endpoint, a sensor, a group)."""

    def __init__(self, base: str, friendly_name: str, entity: Z2MEntity) -> None:
        self.base, self.friendly_name = base, friendly_name
        self.topic = f"{base}/{friendly_name}"
        self.availability_topic = f"{self.topic}/availability"
        self.entity = entity

    def topics(self) -> tuple[str, ...]:
        return (self.topic,)

    def availability_topics(self) -> tuple[str, ...]:
        return (self.availability_topic,)

    def read(self, topic: str, payload: bytes, current: State) -> State | None:
        if topic != self.topic:
            return None
        data = json_object(payload)
        if data is None:
            return None
        return convert(self.entity, data, current)

    def available(self, topic: str, payload: bytes) -> bool | None:
        if topic != self.availability_topic:
            return None
        data = json_object(payload)
        word = str(data.get("state", "")) if data is not None else text(payload)
        word = word.lower()
        return True if word == "online" else False if word == "offline" else None


def convert(entity: Z2MEntity, data: Mapping[str, Any], current: State) -> State | None:
    """The entity's state after a Zigbee2MQTT state message; None when it names none of its
    properties (a message about another endpoint)."""
    props = entity.props
    seen = {role: data[prop] for role, prop in props.items() if prop in data}
    if not seen:
        return None
    attrs: dict[str, Any] = dict(entity.static)
    state: str | None = None
    match entity.domain:
        case "light" | "switch":
            if "state" in seen:
                state = _on_off(seen["state"], entity)
            if entity.domain == "light":
                brightness = number(seen.get("brightness"))
                if brightness is not None:
                    attrs["brightness"] = brightness_255(brightness, 254)
                mireds = number(seen.get("color_temp"))
                if mireds:
                    attrs["color_temp_kelvin"] = kelvin(mireds)
                if "color" in seen and isinstance(seen["color"], dict):
                    attrs["color"] = dict(seen["color"])
        case "cover":
            position = number(seen.get("position"))
            if position is not None:
                attrs["current_position"] = position
                state = "open" if position > 0 else "closed"
            elif "state" in seen:
                word = str(seen["state"]).upper()
                state = {"OPEN": "open", "CLOSE": "closed", "CLOSED": "closed"}.get(word)
            moving = str(seen.get("moving", "")).upper()
            if moving in ("UP", "DOWN"):
                state = "opening" if moving == "UP" else "closing"
        case "lock":
            if "lock_state" in seen:
                word = str(seen["lock_state"]).lower()
                state = {"locked": "locked", "unlocked": "unlocked"}.get(word, "jammed")
            elif "state" in seen:
                state = "locked" if seen["state"] == entity.value_on else "unlocked"
        case "climate":
            if "system_mode" in seen:
                state = str(seen["system_mode"]).lower()
            setpoint = number(seen.get("setpoint"))
            if setpoint is not None:
                attrs["temperature"] = setpoint
            local = number(seen.get("local_temperature"))
            if local is not None:
                attrs["current_temperature"] = local
            if "running_state" in seen:
                attrs["hvac_action"] = str(seen["running_state"]).lower()
        case "fan":
            if "state" in seen:
                state = _on_off(seen["state"], entity)
            mode = str(seen.get("mode", "")).lower()
            if mode in FAN_MODE_PERCENT:
                attrs["percentage"] = FAN_MODE_PERCENT[mode]
                if "state" not in seen:
                    state = "off" if mode == "off" else "on"
        case "binary_sensor":
            state = "on" if seen.get("value") == entity.value_on else "off"
        case _:  # sensor
            value = seen.get("value")
            state = None if value is None else str(value)
    return merge_state(current, state, attrs)


def _on_off(value: Any, entity: Z2MEntity) -> str:
    if value == entity.value_on or str(value).upper() == "ON":
        return "on"
    return "off"
