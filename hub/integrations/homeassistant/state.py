"""State of an entity announced by Home Assistant MQTT discovery, read from its own topics.

Each state topic of the config (``state_topic``, ``brightness_state_topic``,
``position_topic``, ``mode_state_topic``, ``temperature_state_topic``, ...) is read with its
value template and turned into Home Assistant's state shape. A Tasmota device's command echo
(``stat/<topic>/RESULT``) is read too, with the state topic's template, so actions confirm at
once instead of at the next telemetry period.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from hub.integrations.homeassistant.templates import TemplateError, render
from hub.integrations.state import json_object, merge_state, number, text
from hub.integrations.units import brightness_255, kelvin
from hub.registry import State

_LOGGER = logging.getLogger(__name__)

# (role, topic key, template key) per domain
_READS: Mapping[str, tuple[tuple[str, str, str], ...]] = MappingProxyType(
    {
        "light": (
            ("state", "state_topic", "state_value_template"),
            ("brightness", "brightness_state_topic", "brightness_value_template"),
            ("color_temp", "color_temp_state_topic", "color_temp_value_template"),
        ),
        "switch": (("state", "state_topic", "value_template"),),
        "fan": (
            ("state", "state_topic", "state_value_template"),
            ("percentage", "percentage_state_topic", "percentage_value_template"),
        ),
        "cover": (
            ("state", "state_topic", "value_template"),
            ("position", "position_topic", "position_template"),
        ),
        "valve": (("state", "state_topic", "value_template"),),
        "lock": (("state", "state_topic", "value_template"),),
        "climate": (
            ("mode", "mode_state_topic", "mode_state_template"),
            ("temperature", "temperature_state_topic", "temperature_state_template"),
            ("current_temperature", "current_temperature_topic", "current_temperature_template"),
        ),
        "sensor": (("state", "state_topic", "value_template"),),
        "binary_sensor": (("state", "state_topic", "value_template"),),
    }
)


class HAState:
    """The state source of one discovered entity (``config``: keys expanded, ``~`` resolved)."""

    def __init__(self, domain: str, config: Mapping[str, Any]) -> None:
        self.domain = domain
        self.config = config
        self.json_schema = domain == "light" and config.get("schema") == "json"
        self._reads: dict[str, list[tuple[str, str | None]]] = {}
        for role, topic_key, template_key in _READS.get(domain, ()):
            topic = config.get(topic_key)
            if isinstance(topic, str) and topic:
                template = config.get(template_key)
                self._reads.setdefault(topic, []).append((role, template or None))
        result = _tasmota_result(config.get("command_topic"))
        if result and "state_topic" in config and result not in self._reads:
            self._reads[result] = [
                ("state", config.get("value_template") or config.get("state_value_template"))
            ]
        self._availability: dict[str, tuple[str, str, str | None]] = {}
        items = config.get("availability")
        if isinstance(items, list):
            for item in items:
                if isinstance(item, Mapping):
                    topic = item.get("topic", item.get("t"))
                    if isinstance(topic, str) and topic:
                        self._availability[topic] = (
                            str(item.get("payload_available", item.get("pl_avail", "online"))),
                            str(
                                item.get(
                                    "payload_not_available", item.get("pl_not_avail", "offline")
                                )
                            ),
                            item.get("value_template", item.get("val_tpl")),
                        )
        topic = config.get("availability_topic")
        if isinstance(topic, str) and topic:
            self._availability[topic] = (
                str(config.get("payload_available", "online")),
                str(config.get("payload_not_available", "offline")),
                config.get("availability_template"),
            )
        self.static = _static(domain, config)

    def topics(self) -> tuple[str, ...]:
        return tuple(self._reads)

    def availability_topics(self) -> tuple[str, ...]:
        return tuple(self._availability)

    def available(self, topic: str, payload: bytes) -> bool | None:
        spec = self._availability.get(topic)
        if spec is None:
            return None
        on, off, template = spec
        value = text(payload)
        if template:
            try:
                value = render(template, value)
            except TemplateError:
                return None
        return True if value == on else False if value == off else None

    def read(self, topic: str, payload: bytes, current: State) -> State | None:
        reads = self._reads.get(topic)
        if not reads:
            return None
        raw = text(payload)
        state: str | None = None
        attrs: dict[str, Any] = dict(self.static)
        changed = False
        for role, template in reads:
            if self.json_schema and role == "state" and template is None:
                parsed = self._json_light(raw)
                if parsed is None:
                    continue
                state, more = parsed
                attrs.update(more)
                changed = True
                continue
            try:
                value = render(template, raw) if template else raw
            except TemplateError as exc:
                _LOGGER.debug("%s: %s", topic, exc)
                continue
            new_state, more = self._role(role, value.strip())
            if new_state is not None:
                state = new_state
            attrs.update(more)
            changed = changed or new_state is not None or bool(more)
        return merge_state(current, state, attrs) if changed else None

    def _json_light(self, raw: str) -> tuple[str | None, dict[str, Any]] | None:
        data = json_object(raw.encode())
        if data is None:
            return None
        attrs: dict[str, Any] = {}
        state = None
        if "state" in data:
            state = "on" if str(data["state"]).upper() == "ON" else "off"
        brightness = number(data.get("brightness"))
        if brightness is not None:
            attrs["brightness"] = brightness_255(brightness, self._brightness_scale)
        ct = number(data.get("color_temp"))
        if ct:
            attrs["color_temp_kelvin"] = kelvin(ct, in_mireds=self._mireds)
        return state, attrs

    @property
    def _brightness_scale(self) -> float:
        return float(self.config.get("brightness_scale", 255))

    @property
    def _mireds(self) -> bool:
        """Whether the light's colour temperature comes in mireds (not ``color_temp_kelvin``)."""
        return not self.config.get("color_temp_kelvin")

    def _role(self, role: str, value: str) -> tuple[str | None, dict[str, Any]]:
        c = self.config
        match self.domain, role:
            case ("light" | "switch" | "fan" | "binary_sensor", "state"):
                on = str(c.get("state_on", c.get("payload_on", "ON")))
                off = str(c.get("state_off", c.get("payload_off", "OFF")))
                return ("on" if value == on else "off" if value == off else None), {}
            case ("light", "brightness"):
                level = number(value)
                if level is None:
                    return None, {}
                return None, {"brightness": brightness_255(level, self._brightness_scale)}
            case ("light", "color_temp"):
                ct = number(value)
                if not ct:
                    return None, {}
                return None, {"color_temp_kelvin": kelvin(ct, in_mireds=self._mireds)}
            case ("fan", "percentage"):
                pct = number(value)
                return None, {} if pct is None else {"percentage": pct}
            case ("cover" | "valve", "state"):
                words = {
                    str(c.get("state_open", "open")): "open",
                    str(c.get("state_opening", "opening")): "opening",
                    str(c.get("state_closed", "closed")): "closed",
                    str(c.get("state_closing", "closing")): "closing",
                    str(c.get("payload_open", "OPEN")): "open",
                    str(c.get("payload_close", "CLOSE")): "closed",
                }
                if value in words:
                    return words[value], {}
                position = number(value)  # a valve that reports its position on state_topic
                if position is not None:
                    return ("open" if position > 0 else "closed"), {"current_position": position}
                return None, {}
            case ("cover", "position"):
                position = number(value)
                if position is None:
                    return None, {}
                closed, opened = (
                    float(c.get("position_closed", 0)),
                    float(c.get("position_open", 100)),
                )
                pct = round((position - closed) * 100 / ((opened - closed) or 100))
                return ("open" if pct > 0 else "closed"), {"current_position": pct}
            case ("lock", "state"):
                words = {
                    str(c.get("state_locked", "LOCKED")): "locked",
                    str(c.get("state_unlocked", "UNLOCKED")): "unlocked",
                    str(c.get("state_locking", "LOCKING")): "locking",
                    str(c.get("state_unlocking", "UNLOCKING")): "unlocking",
                    str(c.get("state_jammed", "JAMMED")): "jammed",
                }
                return words.get(value), {}
            case ("climate", "mode"):
                return (value.lower() or None), {}
            case ("climate", "temperature" | "current_temperature"):
                degrees = number(value)
                return None, {} if degrees is None else {role: degrees}
            case ("sensor", "state"):
                return value, {}
        return None, {}


def _static(domain: str, config: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if config.get("device_class"):
        out["device_class"] = str(config["device_class"])
    if domain == "sensor" and config.get("unit_of_measurement"):
        out["unit_of_measurement"] = str(config["unit_of_measurement"])
    if domain == "climate":
        for key in ("min_temp", "max_temp"):
            if isinstance(config.get(key), int | float):
                out[key] = config[key]
        if isinstance(config.get("modes"), list):
            out["hvac_modes"] = [str(m) for m in config["modes"]]
    return out


def _tasmota_result(command_topic: Any) -> str | None:
    """``cmnd/plug/POWER`` -> ``stat/plug/RESULT`` (Tasmota's echo of a command)."""
    if not isinstance(command_topic, str) or "cmnd/" not in command_topic:
        return None
    head, _, tail = command_topic.rpartition("/")
    if not head or not tail.upper().startswith(("POWER", "DIMMER")):
        return None
    return head.replace("cmnd/", "stat/", 1) + "/RESULT"
