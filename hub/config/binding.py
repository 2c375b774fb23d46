"""A device's ``binding:`` in the config: how the device is reached, checked when the config loads.

```yaml
binding: {type: zigbee2mqtt, friendly_name: Kitchen/Ceiling}   # zigbee2mqtt/Kitchen/Ceiling/set
binding: {type: zigbee2mqtt, friendly_name: Hall Switch, endpoint: l2}   # {"state_l2": "ON"}
binding: {type: tasmota, topic: coffee, relay: 1}              # cmnd/coffee/POWER1
binding: {type: custom, topic: "garden/${object_id}/cmd", payload: {turn_on: "1", turn_off: "0"}}
```

Devices without a binding use ``homeassistant``: the command as it is, on
``<prefix>/action/<domain>``.
``parse_binding`` raises BindingSpecError naming the key, which the config loader turns into a
ConfigError with the line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from string import Template
from types import MappingProxyType
from typing import Any

from hub.actions import ACTIONS, actions_for_domain

BINDING_TYPES = ("homeassistant", "zigbee2mqtt", "tasmota", "custom")

# The domains each device-level binding can express (homeassistant and custom: every domain).
ZIGBEE2MQTT_DOMAINS = frozenset({"light", "switch", "fan", "cover", "valve", "lock", "climate"})
TASMOTA_DOMAINS = frozenset({"light", "switch", "fan", "cover", "valve"})

# Placeholders a custom topic or payload template may use, besides the action's data keys.
TEMPLATE_FIELDS = frozenset(
    {"entity_id", "object_id", "domain", "service", "action", "name", "data", "command", "state"}
)
DATA_FIELDS = frozenset(key for spec in ACTIONS.values() for key in spec.params)

_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "homeassistant": ("type",),
        "zigbee2mqtt": ("type", "friendly_name", "base", "setpoint", "endpoint"),
        "tasmota": ("type", "topic", "relay"),
        "custom": ("type", "topic", "payload"),
    }
)


class BindingSpecError(ValueError):
    """A binding that cannot work; ``key`` is relative to the ``binding:`` mapping."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}" if key else reason)
        self.key = key
        self.reason = reason


@dataclass(frozen=True)
class BindingSpec:
    type: str = "homeassistant"
    friendly_name: str | None = None  # zigbee2mqtt
    base: str | None = None  # zigbee2mqtt: overrides mqtt.zigbee2mqtt_base
    setpoint: str = "occupied_heating_setpoint"  # zigbee2mqtt climate
    endpoint: str | None = None  # zigbee2mqtt multi-endpoint devices: state_l1, brightness_l1
    topic: str | None = None  # tasmota: the device's %topic%; custom: a topic template
    relay: int | None = None  # tasmota: POWER<relay>, Shutter*<relay>
    # custom: payload templates by service ("turn_on"), action ("light.turn_on") or "default"
    payloads: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


DEFAULT_SPEC = BindingSpec()


def parse_binding(raw: Mapping[str, Any] | None, entity_id: str) -> BindingSpec:
    """Check one device's ``binding:`` mapping (None: the default) and return it typed."""
    if raw is None:
        return DEFAULT_SPEC
    kind = raw.get("type", "homeassistant")
    if kind not in BINDING_TYPES:
        raise BindingSpecError("type", f"must be one of {', '.join(BINDING_TYPES)}, not {kind!r}")
    for key in raw:
        if key not in _KEYS[kind]:
            allowed = ", ".join(_KEYS[kind])
            raise BindingSpecError(str(key), f"unknown key for a {kind} binding ({allowed})")
    domain = entity_id.split(".", 1)[0]
    if kind == "zigbee2mqtt":
        _domain_ok(kind, domain, ZIGBEE2MQTT_DOMAINS)
        base = _optional_text(raw, "base")
        if base is not None:
            _topic_ok("base", base)
        return BindingSpec(
            kind,
            friendly_name=_topic_ok("friendly_name", _text(raw, "friendly_name")),
            base=base,
            setpoint=_name(raw, "setpoint") or DEFAULT_SPEC.setpoint,
            endpoint=_name(raw, "endpoint"),
        )
    if kind == "tasmota":
        _domain_ok(kind, domain, TASMOTA_DOMAINS)
        topic = _text(raw, "topic")
        if "/" in topic:
            raise BindingSpecError("topic", "is the device's Tasmota topic, without '/'")
        return BindingSpec(kind, topic=_topic_ok("topic", topic), relay=_relay(raw))
    if kind == "custom":
        topic = _template("topic", _text(raw, "topic"))
        return BindingSpec(kind, topic=topic, payloads=_payloads(raw.get("payload"), domain))
    return DEFAULT_SPEC


def _domain_ok(kind: str, domain: str, allowed: frozenset[str]) -> None:
    if domain not in allowed:
        raise BindingSpecError(
            "type",
            f"a {kind} binding cannot drive a {domain} (it can: {', '.join(sorted(allowed))})",
        )


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = _optional_text(raw, key)
    if value is None:
        raise BindingSpecError(key, "is required")
    return value


def _optional_text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BindingSpecError(key, "must be a string")
    text = str(value).strip()
    if not text:
        raise BindingSpecError(key, "must not be empty")
    return text


def _name(raw: Mapping[str, Any], key: str) -> str | None:
    value = _optional_text(raw, key)
    if value is not None and not value.replace("_", "").isalnum():
        raise BindingSpecError(
            key, f"{value!r} is not a property name like 'current_heating_setpoint'"
        )
    return value


def _relay(raw: Mapping[str, Any]) -> int | None:
    value = raw.get("relay")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 32:
        raise BindingSpecError("relay", "must be a whole number from 1 to 32")
    return value


def _topic_ok(key: str, topic: str) -> str:
    problem = topic_problem(topic)
    if problem:
        raise BindingSpecError(key, problem)
    return topic


def topic_problem(topic: str) -> str | None:
    """Why ``topic`` cannot be published to, or None."""
    if not topic:
        return "an MQTT topic must not be empty"
    if "+" in topic or "#" in topic:
        return f"{topic!r} contains an MQTT wildcard (+ or #)"
    if "\0" in topic:
        return "an MQTT topic must not contain NUL"
    if topic.startswith("/") or topic.endswith("/") or "//" in topic:
        return f"{topic!r} has an empty level (a leading, trailing or double '/')"
    if len(topic.encode("utf-8")) > 65535:
        return "an MQTT topic is at most 65535 bytes"
    return None


def _template(key: str, text: str) -> str:
    template = Template(text)
    if not template.is_valid():
        raise BindingSpecError(key, "is not a valid template (write $$ for a literal $)")
    for name in template.get_identifiers():
        if name not in TEMPLATE_FIELDS and name not in DATA_FIELDS:
            known = ", ".join(sorted(TEMPLATE_FIELDS))
            raise BindingSpecError(
                key, f"unknown placeholder ${{{name}}} (known: {known}, or a data key)"
            )
    return text


def _payloads(raw: Any, domain: str) -> Mapping[str, str]:
    if raw is None:
        raise BindingSpecError(
            "payload", "is required (a template, or a mapping of action to template)"
        )
    if isinstance(raw, str):
        return MappingProxyType({"default": _template("payload", raw)})
    if not isinstance(raw, Mapping) or not raw:
        raise BindingSpecError("payload", "must be a template or a mapping of action to template")
    services = {s.service for s in actions_for_domain(domain)}
    out: dict[str, str] = {}
    for key, value in raw.items():
        name = str(key)
        service = name.split(".", 1)[1] if name.startswith(f"{domain}.") else name
        if service != "default" and service not in services:
            known = ", ".join(sorted(services)) or "none"
            raise BindingSpecError(f"payload.{name}", f"{domain} has no action {name!r} ({known})")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise BindingSpecError(f"payload.{name}", "must be a template string")
        out[service] = _template(f"payload.{name}", str(value))
    return MappingProxyType(out)
