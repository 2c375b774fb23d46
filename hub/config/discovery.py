"""The discovery section: learn the home from the MQTT bus, keep states live, check actions.

```yaml
discovery:
  zigbee2mqtt: true                 # <base>/bridge/devices and bridge/groups (retained)
  homeassistant: true               # <prefix>/<component>/.../config, <prefix>/device/<id>/config
  areas:                            # Z2M friendly name, or a prefix of it, -> area id
    "Kitchen/": kitchen             # the longest matching prefix wins; an exact name beats all
  area_from_description: true       # a Z2M description naming an area ("Kitchen", "area: kitchen")
  devices:                          # by discovered entity id, Z2M friendly name or HA unique_id
    "Kitchen/Ceiling": {name: Ceiling Light, aliases: [big light], area: kitchen}
    light.hall_strip: {hide: true}
  verify_timeout: 3                 # seconds to wait for a device's state to show an action
  statestream: homeassistant_statestream   # HA's mqtt_statestream base_topic (absent: off)
```

Without the section nothing is discovered, no state is followed and actions are not checked.
``statestream`` gives the devices bound to Home Assistant their real state
(``hub.integrations.homeassistant.statestream``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from paho.mqtt.client import topic_matches_sub

from hub.config.binding import topic_problem
from hub.config.mqtt import MQTTConfig
from hub.config.reader import Reader
from hub.text.fold import slugify

# A 300-device home from the simulator's Zigbee2MQTT (hub.sim) is 0.9 MB of bridge/devices, a
# 1000-device one 3.0 MB; real firmware describes a device in up to a few times more bytes.
DEFAULT_MAX_PAYLOAD = 4 * 1024 * 1024


@dataclass(frozen=True)
class DeviceOverride:
    """What the config changes about one discovered device."""

    id: str | None = None  # a new entity id (same domain)
    name: str | None = None
    aliases: tuple[str, ...] = ()
    area: str | None = None
    hide: bool = False


@dataclass(frozen=True)
class DiscoveryConfig:
    zigbee2mqtt: bool = True
    homeassistant: bool = True
    zigbee2mqtt_base: str = "zigbee2mqtt"
    discovery_prefix: str = "homeassistant"
    areas: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    area_from_description: bool = True
    devices: Mapping[str, DeviceOverride] = field(default_factory=lambda: MappingProxyType({}))
    verify_timeout: float = 3.0
    # discovered security entities (locks, alarm panels, garage/door/gate covers) to accept
    allow_security: frozenset[str] = frozenset()
    # None: any command topic that is not forbidden; else MQTT topic filters, one must match
    command_topics: tuple[str, ...] | None = None
    max_payload: int = DEFAULT_MAX_PAYLOAD
    rebuild_interval: float = 1.0
    # the base_topic of Home Assistant's mqtt_statestream; None: its states are not read
    statestream: str | None = None

    def command_topic_allowed(self, topic: str) -> bool:
        """Whether ``command_topics`` (when given) lets a discovered entity publish to ``topic``."""
        if self.command_topics is None:
            return True
        return any(topic_matches_sub(pattern, topic) for pattern in self.command_topics)

    def area_for(self, friendly_name: str) -> str | None:
        """The configured area of a Z2M friendly name: exact name, else the longest prefix."""
        if friendly_name in self.areas:
            return self.areas[friendly_name]
        best = ""
        for prefix in self.areas:
            if friendly_name.startswith(prefix) and len(prefix) > len(best):
                best = prefix
        return self.areas[best] if best else None


_KEYS = (
    "zigbee2mqtt",
    "homeassistant",
    "zigbee2mqtt_base",
    "discovery_prefix",
    "areas",
    "area_from_description",
    "devices",
    "verify_timeout",
    "allow_security",
    "command_topics",
    "max_payload",
    "rebuild_interval",
    "statestream",
)


def parse_discovery(
    r: Reader, base: Path, *, mqtt: MQTTConfig | None, area_ids: set[str] | None
) -> DiscoveryConfig:
    """``area_ids`` None: the areas: list has problems, and references to it are not checked."""
    r.only(*_KEYS)
    if mqtt is None:
        r.fail("", "needs an mqtt: section (discovery reads the MQTT bus)")
        mqtt = MQTTConfig()  # to check the rest of the section against the defaults
    topics = {}
    for key, default in (
        ("zigbee2mqtt_base", mqtt.zigbee2mqtt_base),
        ("discovery_prefix", mqtt.discovery_prefix),
    ):
        value = r.text(key, default) or default
        problem = topic_problem(value)
        if problem:
            r.fail(key, problem)
        topics[key] = value
    areas = _areas(r, area_ids)
    return DiscoveryConfig(
        zigbee2mqtt=r.get("zigbee2mqtt", bool, True),
        homeassistant=r.get("homeassistant", bool, True),
        zigbee2mqtt_base=topics["zigbee2mqtt_base"],
        discovery_prefix=topics["discovery_prefix"],
        areas=MappingProxyType(areas),
        area_from_description=r.get("area_from_description", bool, True),
        devices=MappingProxyType(_overrides(r, area_ids)),
        verify_timeout=r.number("verify_timeout", 3.0, 0.1, 120.0),
        allow_security=frozenset(_entity_ids(r, "allow_security")),
        command_topics=_filters(r, "command_topics"),
        max_payload=r.integer("max_payload", DEFAULT_MAX_PAYLOAD, 65536, 256 * 1024 * 1024),
        rebuild_interval=r.number("rebuild_interval", 1.0, 0.0, 300.0),
        statestream=_statestream(r, mqtt, topics["zigbee2mqtt_base"]),
    )


def _statestream(r: Reader, mqtt: MQTTConfig, zigbee2mqtt_base: str) -> str | None:
    """The base topic of HA's mqtt_statestream, as its ``base_topic`` says (a trailing '/' is
    HA's separator); it may be the discovery prefix, as in HA's docs, but not where hub's own or
    Zigbee2MQTT's messages are, which would be read as states."""
    key = "statestream"
    if isinstance(r.data.get(key), bool):
        r.fail(
            key,
            "is the base_topic of Home Assistant's mqtt_statestream (such as "
            "homeassistant_statestream), not true/false; leave it out to read no states",
        )
        return None
    value = r.text(key)
    if value is None:
        return None
    base = value.removesuffix("/")
    problem = topic_problem(base)
    if problem:
        r.fail(key, problem)
    for other, whose in ((mqtt.prefix, "hub's own"), (zigbee2mqtt_base, "Zigbee2MQTT's")):
        if _nested(base, other):
            r.fail(
                key, f"{base!r} overlaps {whose} topics ({other}/...), whose messages are no states"
            )
    return base


def _nested(a: str, b: str) -> bool:
    """Whether one topic is the other or lies under it."""
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _areas(r: Reader, area_ids: set[str] | None) -> dict[str, str]:
    raw = r.get("areas", dict, {})
    out: dict[str, str] = {}
    section = r.section("areas")
    for key in raw:
        area = section.text(str(key), required=True)
        if area is None:
            continue  # a problem recorded already
        if area_ids is not None and area not in area_ids:
            section.fail(str(key), f"unknown area {area!r} (areas: {_known(area_ids)})")
        out[str(key)] = area
    return out


def _entity_ids(r: Reader, key: str) -> tuple[str, ...]:
    ids = r.strings(key)
    for i, entity_id in enumerate(ids):
        if not _is_entity_id(entity_id):
            r.fail(f"{key}[{i}]", f"{entity_id!r} is not an entity id like 'lock.shed'")
    return ids


def _filters(r: Reader, key: str) -> tuple[str, ...] | None:
    """MQTT topic filters (``zigbee2mqtt/+/set``, ``shellies/#``); None when the key is unset."""
    if not r.has(key):
        return None
    filters = r.strings(key)
    if r.data.get(key) == []:
        r.fail(key, "lists no topic; leave the key out to allow every command topic")
    for i, pattern in enumerate(filters):
        problem = filter_problem(pattern)
        if problem:
            r.fail(f"{key}[{i}]", problem)
    return filters


def filter_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not an MQTT topic filter, or None."""
    if not pattern or "\0" in pattern:
        return "an MQTT topic filter must not be empty or contain NUL"
    levels = pattern.split("/")
    for i, level in enumerate(levels):
        if "#" in level and (level != "#" or i != len(levels) - 1):
            return f"{pattern!r}: '#' must be a whole level, and the last one"
        if "+" in level and level != "+":
            return f"{pattern!r}: '+' must be a whole level"
    return None


def _is_entity_id(text: str) -> bool:
    domain, _, object_id = text.partition(".")
    return bool(object_id) and slugify(object_id) == object_id and slugify(domain) == domain


def _overrides(r: Reader, area_ids: set[str] | None) -> dict[str, DeviceOverride]:
    raw = r.get("devices", dict, {})
    section = r.section("devices")
    out: dict[str, DeviceOverride] = {}
    for key in raw:
        item = section.section(str(key))
        item.only("id", "name", "aliases", "area", "hide")
        new_id = item.text("id")
        if new_id is not None and not _is_entity_id(new_id):
            item.fail("id", f"{new_id!r} is not an entity id like 'light.kitchen'")
        area = item.text("area")
        if area is not None and area_ids is not None and area not in area_ids:
            item.fail("area", f"unknown area {area!r} (areas: {_known(area_ids)})")
        out[str(key)] = DeviceOverride(
            id=new_id,
            name=item.text("name"),
            aliases=item.strings("aliases"),
            area=area,
            hide=item.get("hide", bool, False),
        )
    return out


def _known(area_ids: set[str]) -> str:
    return ", ".join(sorted(area_ids)) or "none"
