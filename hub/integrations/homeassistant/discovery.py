"""Home Assistant MQTT discovery: retained ``<prefix>/<component>/[<node>/]<object>/config`` and
device-based ``<prefix>/device/<id>/config`` messages to entities with their own bindings.

An empty payload removes what that topic announced. Abbreviated keys (``cmd_t``) and ``~`` are
expanded. The entity id is ``<component>.<object_id>`` (``object_id``, else the name, else the
unique_id); the area is the device's ``suggested_area`` when it names an area of the home.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from hub.config.discovery import DiscoveryConfig
from hub.integrations.discovered import Discovered
from hub.integrations.homeassistant.abbreviations import expand
from hub.integrations.homeassistant.entity import MQTTEntityBinding
from hub.integrations.homeassistant.state import HAState
from hub.registry import Area, Device
from hub.text.fold import normalize_name, slugify

_LOGGER = logging.getLogger(__name__)

ORIGIN = "homeassistant"
COMPONENTS = frozenset(
    {"light", "switch", "cover", "lock", "climate", "fan", "valve", "sensor", "binary_sensor"}
)
ACTIONABLE = COMPONENTS - {"sensor", "binary_sensor"}


class DiscoveryPayloadError(ValueError):
    """A discovery config that cannot be used."""


def is_config_topic(topic: str, prefix: str) -> bool:
    parts = topic.split("/")
    return parts[0] == prefix and parts[-1] == "config" and len(parts) in (4, 5)


def parse_config(
    topic: str, payload: bytes, settings: DiscoveryConfig, areas: tuple[Area, ...] = ()
) -> list[Discovered]:
    """The entities one discovery message announces ([] for a removal or another component).

    Raises DiscoveryPayloadError for a payload that is not a usable config.
    """
    parts = topic.split("/")
    component = parts[1] if len(parts) > 1 else ""
    if not payload.strip():
        return []
    try:
        raw = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise DiscoveryPayloadError(f"not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise DiscoveryPayloadError("a discovery config must be a JSON object")
    if component == "device":
        return _device_based(topic, raw, settings, areas)
    if component not in COMPONENTS:
        return []
    object_id = parts[-2]
    config = expand(raw)
    return [_entity(topic, component, config, object_id, settings, areas, _announcer(config))]


def _device_based(
    topic: str, raw: Mapping[str, Any], settings: DiscoveryConfig, areas: tuple[Area, ...]
) -> list[Discovered]:
    config = expand(raw)
    components = config.get("components")
    if not isinstance(components, Mapping):
        raise DiscoveryPayloadError("a device config needs 'cmps' (components)")
    shared = {
        k: v
        for k, v in raw.items()
        if k not in ("dev", "device", "o", "origin", "cmps", "components")
    }
    announcer = _announcer(config)
    out: list[Discovered] = []
    for object_id, component_raw in components.items():
        if not isinstance(component_raw, Mapping):
            raise DiscoveryPayloadError(f"component {object_id!r} is not an object")
        merged = expand({**shared, **component_raw, "dev": raw.get("dev", raw.get("device"))})
        platform = str(merged.get("platform", ""))
        if platform not in COMPONENTS:
            _LOGGER.debug("%s: component %s (%s) is not one hub uses", topic, object_id, platform)
            continue
        out.append(_entity(topic, platform, merged, str(object_id), settings, areas, announcer))
    return out


def _entity(
    topic: str,
    component: str,
    config: dict[str, Any],
    topic_object_id: str,
    settings: DiscoveryConfig,
    areas: tuple[Area, ...],
    announcer: str,
) -> Discovered:
    if component in ACTIONABLE and not config.get("command_topic") and not _any_command(config):
        raise DiscoveryPayloadError(f"a {component} needs a command_topic")
    if component in ("sensor", "binary_sensor") and not config.get("state_topic"):
        raise DiscoveryPayloadError(f"a {component} needs a state_topic")
    raw_device = config.get("device")
    device_info: Mapping[str, Any] = raw_device if isinstance(raw_device, Mapping) else {}
    device_name = device_info.get("name") if isinstance(device_info.get("name"), str) else None
    name = config.get("name")
    if not isinstance(name, str) or not name.strip():
        name = device_name or topic_object_id.replace("_", " ").title()
    elif device_name and normalize_name(device_name) not in normalize_name(name):
        name = f"{device_name} {name}"
    unique_id = str(config.get("unique_id") or "")
    object_id = slugify(str(config.get("object_id") or name or unique_id or topic_object_id))
    area = _area(device_info.get("suggested_area"), areas) or settings.area_for(name)
    device = Device(
        entity_id=f"{component}.{object_id}",
        name=name,
        area=area,
        features=_features(component, config),
        device_class=str(config["device_class"]) if config.get("device_class") else None,
        origin=ORIGIN,
    )
    key = f"{ORIGIN}:{unique_id}" if unique_id else f"{ORIGIN}:{topic}:{topic_object_id}"
    return Discovered(
        key,
        device,
        names=tuple(n for n in (unique_id, topic) if n),
        binding=MQTTEntityBinding(component, config) if component in ACTIONABLE else None,
        source=HAState(component, config),
        group=topic,
        announcer=announcer,
    )


def _announcer(config: Mapping[str, Any]) -> str:
    """Who the config says announced it: its ``origin`` name, else the device's manufacturer."""
    for block, key in (("origin", "name"), ("device", "manufacturer")):
        value = config.get(block)
        if isinstance(value, Mapping) and isinstance(value.get(key), str) and value[key].strip():
            return str(value[key]).strip()
    return ""


def _any_command(config: Mapping[str, Any]) -> bool:
    return any(k.endswith("command_topic") and config.get(k) for k in config)


def _features(component: str, config: Mapping[str, Any]) -> frozenset[str]:
    features: set[str] = set()
    if component == "light":
        modes = config.get("supported_color_modes")
        modes = {str(m) for m in modes} if isinstance(modes, list) else set()
        if config.get("brightness") or config.get("brightness_command_topic") or modes - {"onoff"}:
            features.add("brightness")
        if (
            "color_temp" in modes
            or config.get("color_temp")
            or config.get("color_temp_command_topic")
        ):
            features.add("color_temp")
        if (
            modes & {"rgb", "rgbw", "rgbww", "hs", "xy"}
            or config.get("rgb")
            or config.get("rgb_command_topic")
        ):
            features.add("color")
    elif component == "fan":
        if config.get("percentage_command_topic"):
            features.add("set_speed")
        if config.get("oscillation_command_topic"):
            features.add("oscillate")
    elif (component == "cover" and config.get("set_position_topic")) or (
        component == "valve" and config.get("reports_position")
    ):
        features.add("position")
    return frozenset(features)


def _area(suggested: Any, areas: tuple[Area, ...]) -> str | None:
    if not isinstance(suggested, str) or not suggested.strip():
        return None
    wanted = normalize_name(suggested)
    for area in areas:
        if wanted in (normalize_name(area.id), *(normalize_name(n) for n in area.names)):
            return area.id
    return None
