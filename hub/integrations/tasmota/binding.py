"""Tasmota: one command a topic, ``cmnd/<topic>/<Command>`` with the value as the payload.

``POWER`` (``POWER<relay>`` for multi-relay devices) ON/OFF/TOGGLE, ``Dimmer`` 0-100, ``CT`` in
mireds (153-500), ``Color`` as ``#rrggbb``, ``FanSpeed`` 0-3, and the shutter commands
``ShutterOpen``/``ShutterClose``/``ShutterStop``/``ShutterToggle``/``ShutterPosition``.
A relative brightness step becomes ``Dimmer +``/``Dimmer -`` (Tasmota's ``DimmerStep``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.integrations.binding import Binding, OutMessage
from hub.integrations.colors import color_hex
from hub.integrations.units import fan_step, mireds
from hub.messages import Command
from hub.registry import Device

_POWER = {"turn_on": "ON", "turn_off": "OFF", "toggle": "TOGGLE"}
_SHUTTER = {
    "open_cover": "ShutterOpen",
    "close_cover": "ShutterClose",
    "stop_cover": "ShutterStop",
    "toggle": "ShutterToggle",
}
_VALVE = {"open_valve": "ON", "close_valve": "OFF"}


class TasmotaBinding(Binding):
    type = "tasmota"

    def __init__(self, topic: str, relay: int | None = None) -> None:
        self.prefix = f"cmnd/{topic}/"
        self.index = str(relay) if relay else ""

    def messages(self, command: Command, device: Device) -> list[OutMessage]:
        pairs = self.commands(command)
        if not pairs:
            raise self.unsupported(command, device)
        return [OutMessage(self.prefix + name, value) for name, value in pairs]

    def commands(self, command: Command) -> list[tuple[str, str]]:
        """(Tasmota command, payload) pairs; empty when the command cannot be expressed."""
        service, data = command.service, command.data
        power = f"POWER{self.index}"
        match command.domain:
            case "light":
                return self._light(service, data)
            case "switch" if service in _POWER:
                return [(power, _POWER[service])]
            case "fan":
                return _fan(power, service, data)
            case "cover" if service in _SHUTTER:
                return [(_SHUTTER[service] + self.index, "")]
            case "cover" if service == "set_cover_position":
                return [(f"ShutterPosition{self.index}", str(data["position"]))]
            case "valve" if service in _VALVE:
                return [(power, _VALVE[service])]
            case "valve" if service == "set_valve_position" and data["position"] in (0, 100):
                return [(power, "ON" if data["position"] == 100 else "OFF")]
        return []

    def _light(self, service: str, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        power = f"POWER{self.index}"
        if service != "turn_on":
            return [(power, _POWER[service])] if service in _POWER else []
        if data.get("brightness_pct") == 0:
            return [(power, "OFF")]
        out: list[tuple[str, str]] = []
        if "brightness_pct" in data:
            out.append(("Dimmer", str(data["brightness_pct"])))  # a Dimmer value turns it on
        else:
            out.append((power, "ON"))
        step = data.get("brightness_step_pct")
        if step:
            out.append(("Dimmer", "+" if step > 0 else "-"))
        if "color_temp_kelvin" in data:
            ct = mireds(data["color_temp_kelvin"])
            out.append(("CT", str(min(500, max(153, ct)))))
        if "color_name" in data:
            hex_value = color_hex(str(data["color_name"]))
            if hex_value is None:
                return []
            out.append(("Color", hex_value))
        return out


def _fan(power: str, service: str, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    if service in ("turn_on", "set_percentage") and "percentage" in data:
        return [("FanSpeed", str(fan_step(int(data["percentage"]))))]
    if service == "increase_speed":
        return [("FanSpeed", "+")]
    if service == "decrease_speed":
        return [("FanSpeed", "-")]
    if service in _POWER:
        return [(power, _POWER[service])]
    return []
