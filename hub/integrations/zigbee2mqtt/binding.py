"""Zigbee2MQTT: ``<base>/<friendly_name>/set`` with Zigbee2MQTT's own payload.

``light.turn_on`` with ``brightness_pct: 50`` becomes ``{"state":"ON","brightness":127}``:
brightness 0-254, ``color_temp`` in mireds, ``color`` as ``{"hex": "#rrggbb"}``, covers
``OPEN``/``CLOSE``/``STOP`` and ``position``, locks ``LOCK``/``UNLOCK``, thermostats a setpoint
property and ``system_mode``. On a multi-endpoint device every property takes the endpoint's
suffix, as Zigbee2MQTT names them: ``{"state_l2":"ON","brightness_l2":127}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.integrations.binding import Binding, OutMessage, compact_json
from hub.integrations.colors import color_hex
from hub.integrations.units import fan_mode, mireds, on_scale
from hub.messages import Command
from hub.registry import Device

_STATES = {"turn_on": "ON", "turn_off": "OFF", "toggle": "TOGGLE"}
_COVER = {"open_cover": "OPEN", "close_cover": "CLOSE", "stop_cover": "STOP"}
_VALVE = {"open_valve": "ON", "close_valve": "OFF"}
_LOCK = {"lock": "LOCK", "unlock": "UNLOCK"}


class Zigbee2MQTTBinding(Binding):
    type = "zigbee2mqtt"

    def __init__(
        self,
        base: str,
        friendly_name: str,
        setpoint: str = "occupied_heating_setpoint",
        endpoint: str | None = None,
    ) -> None:
        self.topic = f"{base}/{friendly_name}/set"
        self.setpoint = setpoint
        self.endpoint = endpoint

    def messages(self, command: Command, device: Device) -> list[OutMessage]:
        payload = self.payload(command)
        if payload is None:
            raise self.unsupported(command, device)
        if self.endpoint:
            payload = {_suffixed(key, self.endpoint): value for key, value in payload.items()}
        return [OutMessage(self.topic, compact_json(payload))]

    def payload(self, command: Command) -> dict[str, Any] | None:
        service, data = command.service, command.data
        match command.domain:
            case "light":
                return _light(service, data)
            case "switch" if service in _STATES:
                return {"state": _STATES[service]}
            case "fan":
                return _fan(service, data)
            case "cover" if service in _COVER:
                return {"state": _COVER[service]}
            case "cover" if service == "set_cover_position":
                return {"position": data["position"]}
            case "valve" if service in _VALVE:
                return {"state": _VALVE[service]}
            case "valve" if service == "set_valve_position":
                return {"position": data["position"]}
            case "lock" if service in _LOCK:
                return {"state": _LOCK[service]}
            case "climate":
                return self._climate(service, data)
        return None

    def _climate(self, service: str, data: Mapping[str, Any]) -> dict[str, Any] | None:
        if service == "set_temperature":
            return {self.setpoint: data["temperature"]}
        if service == "set_hvac_mode":
            return {"system_mode": data["hvac_mode"]}
        if service == "turn_off":
            return {"system_mode": "off"}
        if service == "turn_on":
            return {"system_mode": "heat"}
        return None


def _suffixed(key: str, endpoint: str) -> str:
    """``state`` -> ``state_l1``; the setpoint property already names its endpoint."""
    if key == "transition" or key.endswith(f"_{endpoint}"):
        return key
    return f"{key}_{endpoint}"


def _light(service: str, data: Mapping[str, Any]) -> dict[str, Any] | None:
    if service not in _STATES:
        return None
    out: dict[str, Any] = {"state": _STATES[service]}
    if "brightness_pct" in data:
        if data["brightness_pct"] == 0:  # Home Assistant: brightness 0 turns the light off
            out["state"] = "OFF"
        else:
            out["brightness"] = on_scale(data["brightness_pct"], 254)
    if "brightness_step_pct" in data:
        out["brightness_step"] = on_scale(data["brightness_step_pct"], 254)
    if "color_temp_kelvin" in data:
        out["color_temp"] = mireds(data["color_temp_kelvin"])
    if "color_name" in data:
        hex_value = color_hex(str(data["color_name"]))
        if hex_value is None:
            return None
        out["color"] = {"hex": hex_value}
    if "transition" in data:
        out["transition"] = data["transition"]
    return out


def _fan(service: str, data: Mapping[str, Any]) -> dict[str, Any] | None:
    if service in ("turn_on", "set_percentage") and "percentage" in data:
        return {"fan_mode": fan_mode(int(data["percentage"]))}
    if service in ("turn_on", "turn_off"):
        return {"fan_state": _STATES[service]}
    return None
