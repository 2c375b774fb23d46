"""Tasmota state: ``stat/<topic>/RESULT`` (a command's echo) and ``tele/<topic>/STATE``.

``POWER``/``POWER<n>`` ON/OFF, ``Dimmer`` 0-100 as brightness 0-255, ``CT`` (mireds),
``FanSpeed`` 0-3, ``Shutter<n>.Position``; availability from ``tele/<topic>/LWT``
(``Online``/``Offline``).
"""

from __future__ import annotations

from typing import Any

from hub.integrations.state import json_object, merge_state, number, text
from hub.integrations.units import brightness_255, fan_percentage, kelvin
from hub.registry import State


class TasmotaState:
    def __init__(self, domain: str, topic: str, relay: int | None = None) -> None:
        self.domain = domain
        self.index = str(relay) if relay else ""
        self._topics = (f"stat/{topic}/RESULT", f"tele/{topic}/STATE")
        self.lwt = f"tele/{topic}/LWT"

    def topics(self) -> tuple[str, ...]:
        return self._topics

    def availability_topics(self) -> tuple[str, ...]:
        return (self.lwt,)

    def available(self, topic: str, payload: bytes) -> bool | None:
        if topic != self.lwt:
            return None
        word = text(payload).lower()
        return True if word == "online" else False if word == "offline" else None

    def read(self, topic: str, payload: bytes, current: State) -> State | None:
        if topic not in self._topics:
            return None
        data = json_object(payload)
        if data is None:
            return None
        state: str | None = None
        attrs: dict[str, Any] = {}
        power = data.get(f"POWER{self.index}", data.get("POWER") if not self.index else None)
        if isinstance(power, str):
            on = power.upper() == "ON"
            state = (
                ("open" if on else "closed") if self.domain == "valve" else ("on" if on else "off")
            )
        if self.domain == "light":
            dimmer = number(data.get("Dimmer"))
            if dimmer is not None:
                attrs["brightness"] = brightness_255(dimmer, 100)
            ct = number(data.get("CT"))
            if ct:
                attrs["color_temp_kelvin"] = kelvin(ct)
        if self.domain == "fan":
            speed = number(data.get("FanSpeed"))
            if speed is not None:
                attrs["percentage"] = fan_percentage(speed)
                state = "on" if speed else "off"
        if self.domain == "cover":
            shutter = data.get(f"Shutter{self.index or 1}")
            position = number(shutter.get("Position")) if isinstance(shutter, dict) else None
            if position is not None:
                attrs["current_position"] = position
                state = "open" if position > 0 else "closed"
        if state is None and not attrs:
            return None
        return merge_state(current, state, attrs)
