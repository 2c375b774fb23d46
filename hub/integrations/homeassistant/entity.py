"""An entity announced by Home Assistant MQTT discovery: its own command topics and payloads.

The discovery config (abbreviations expanded, ``~`` resolved) says where each command goes:
``command_topic`` with ``payload_on``/``payload_off`` (or a ``command_template``),
``brightness_command_topic`` (scaled to ``brightness_scale``), ``color_temp_command_topic``,
``rgb_command_topic``, the JSON schema for lights, ``set_position_topic`` for covers,
``percentage_command_topic`` for fans, ``temperature_command_topic`` and ``mode_command_topic``
for climate. Tasmota devices announced this way come with the same keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.integrations.binding import Binding, BindingError, OutMessage, compact_json
from hub.integrations.colors import color_hex
from hub.integrations.homeassistant.templates import TemplateError, render_command
from hub.integrations.units import mireds
from hub.messages import Command
from hub.registry import Device

# The config keys that name a topic the binding publishes to (a suffix of each key)
COMMAND_TOPIC_KEYS = ("command_topic", "set_position_topic")


class MQTTEntityBinding(Binding):
    type = "homeassistant-discovery"

    def __init__(self, domain: str, config: Mapping[str, Any]) -> None:
        self.domain = domain
        self.config = config

    def command_topics(self) -> tuple[str, ...]:
        """Every topic this binding can publish to: what ``hub.discovery.guard`` checks before
        the entity is accepted (``_send`` publishes only to these config keys)."""
        return tuple(
            dict.fromkeys(
                str(value)
                for key, value in self.config.items()
                if key.endswith(COMMAND_TOPIC_KEYS) and value
            )
        )

    def messages(self, command: Command, device: Device) -> list[OutMessage]:
        try:
            out = self._messages(command)
        except TemplateError as exc:
            raise BindingError(f"{device.name}: {exc}") from None
        if not out:
            raise self.unsupported(command, device)
        return out

    # -- per domain -------------------------------------------------------------------------
    def _messages(self, command: Command) -> list[OutMessage]:
        c, service, data = self.config, command.service, command.data
        match self.domain:
            case "light":
                return self._light(service, data)
            case "switch" | "fan" if service in ("turn_on", "turn_off"):
                out = self._power(service == "turn_on")
                if self.domain == "fan" and "percentage" in data:
                    out = self._percentage(int(data["percentage"]))
                return out
            case "fan" if service == "set_percentage":
                return self._percentage(int(data["percentage"]))
            case "fan" if service == "oscillate" and c.get("oscillation_command_topic"):
                on = bool(data["oscillating"])
                payload = c.get("payload_oscillation_on" if on else "payload_oscillation_off")
                return self._send(
                    "oscillation_command_topic",
                    payload or ("oscillate_on" if on else "oscillate_off"),
                )
            case "cover" | "valve":
                return self._opening(service, data)
            case "lock":
                payloads = {"lock": "LOCK", "unlock": "UNLOCK", "open": "OPEN"}
                if service in payloads:
                    return self._send(
                        "command_topic", c.get(f"payload_{service}", payloads[service])
                    )
            case "climate":
                return self._climate(service, data)
        return []

    def _power(self, on: bool) -> list[OutMessage]:
        default = "ON" if on else "OFF"
        return self._send(
            "command_topic", self.config.get("payload_on" if on else "payload_off", default)
        )

    def _light(self, service: str, data: Mapping[str, Any]) -> list[OutMessage]:
        c = self.config
        if service not in ("turn_on", "turn_off"):
            return []
        on = service == "turn_on" and data.get("brightness_pct") != 0
        scale = float(c.get("brightness_scale", 255))
        if c.get("schema") == "json":
            body: dict[str, Any] = {"state": "ON" if on else "OFF"}
            if on and "brightness_pct" in data:
                body["brightness"] = round(data["brightness_pct"] * scale / 100)
            if on and "color_temp_kelvin" in data:
                kelvin = int(data["color_temp_kelvin"])
                body["color_temp"] = kelvin if c.get("color_temp_kelvin") else mireds(kelvin)
            if on and "color_name" in data:
                body["color"] = _rgb(str(data["color_name"]))
            if "transition" in data:
                body["transition"] = data["transition"]
            return [OutMessage(str(c["command_topic"]), compact_json(body))]
        out: list[OutMessage] = []
        if on and "brightness_pct" in data and c.get("brightness_command_topic"):
            value = round(data["brightness_pct"] * scale / 100)
            out += self._send("brightness_command_topic", value, "brightness_command_template")
            if c.get("on_command_type") == "brightness":
                return out
        if c.get("command_topic") and not (on and out and c.get("on_command_type") == "last"):
            out = [*self._power(on), *out]
        if on and "color_temp_kelvin" in data and c.get("color_temp_command_topic"):
            kelvin = int(data["color_temp_kelvin"])
            value = kelvin if c.get("color_temp_kelvin") else mireds(kelvin)
            out += self._send("color_temp_command_topic", value, "color_temp_command_template")
        if on and "color_name" in data and c.get("rgb_command_topic"):
            rgb = _rgb(str(data["color_name"]))
            value_text = f"{rgb['r']},{rgb['g']},{rgb['b']}"
            out += self._send("rgb_command_topic", value_text, "rgb_command_template")
        return out

    def _percentage(self, percentage: int) -> list[OutMessage]:
        c = self.config
        if not c.get("percentage_command_topic"):
            return self._power(percentage > 0)
        low, high = int(c.get("speed_range_min", 1)), int(c.get("speed_range_max", 100))
        value = 0 if percentage == 0 else round(low + (high - low) * (percentage - 1) / 99)
        return self._send("percentage_command_topic", value, "percentage_command_template")

    def _opening(self, service: str, data: Mapping[str, Any]) -> list[OutMessage]:
        c = self.config
        words = {
            "open_cover": "OPEN",
            "close_cover": "CLOSE",
            "stop_cover": "STOP",
            "open_valve": "OPEN",
            "close_valve": "CLOSE",
        }
        if service in words:
            key = f"payload_{words[service].lower()}"
            return self._send("command_topic", c.get(key, words[service]))
        if service in ("set_cover_position", "set_valve_position"):
            closed, opened = int(c.get("position_closed", 0)), int(c.get("position_open", 100))
            value = round(closed + (opened - closed) * int(data["position"]) / 100)
            topic = "set_position_topic" if self.domain == "cover" else "command_topic"
            return self._send(topic, value, "set_position_template")
        return []

    def _climate(self, service: str, data: Mapping[str, Any]) -> list[OutMessage]:
        c = self.config
        if service == "set_temperature":
            return self._send(
                "temperature_command_topic", data["temperature"], "temperature_command_template"
            )
        if service == "set_hvac_mode":
            return self._send("mode_command_topic", data["hvac_mode"], "mode_command_template")
        if service == "turn_off":
            return self._send("mode_command_topic", "off", "mode_command_template")
        if service == "turn_on":
            modes = [str(m) for m in c.get("modes", ["heat"]) if m != "off"]
            return self._send(
                "mode_command_topic", modes[0] if modes else "heat", "mode_command_template"
            )
        return []

    def _send(
        self, topic_key: str, value: Any, template_key: str = "command_template"
    ) -> list[OutMessage]:
        topic = self.config.get(topic_key)
        if not topic:
            return []
        template = self.config.get(template_key)
        payload = render_command(str(template), value) if template else _plain(value)
        return [OutMessage(str(topic), payload)]


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _rgb(name: str) -> dict[str, int]:
    hex_value = color_hex(name)
    if hex_value is None:
        raise TemplateError(f"{name!r} is not a colour")
    return {
        "r": int(hex_value[1:3], 16),
        "g": int(hex_value[3:5], 16),
        "b": int(hex_value[5:7], 16),
    }
