"""Zigbee2MQTT discovery: the retained ``<base>/bridge/devices`` (and ``bridge/groups``).

Each device's ``definition.exposes`` says what it is. A ``light``/``switch``/``cover``/``lock``/
``climate``/``fan`` expose becomes one entity of that domain, with its features (brightness,
color_temp, color, position) and its property names (``state_l1`` on a multi-endpoint device,
which becomes one entity per endpoint). Read-only readings (temperature, humidity, contact,
occupancy, ...) become ``sensor``/``binary_sensor`` entities. A device that is disabled, not
interviewed or unsupported is skipped; a malformed entry is logged and skipped, never fatal.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from hub.config.discovery import DiscoveryConfig
from hub.integrations.discovered import Discovered
from hub.integrations.units import kelvin
from hub.integrations.zigbee2mqtt.state import Z2MEntity, Z2MState
from hub.registry import Area, Device
from hub.text.fold import normalize_name, slugify

_LOGGER = logging.getLogger(__name__)

ORIGIN = "zigbee2mqtt"
DOMAINS = ("light", "switch", "cover", "lock", "climate", "fan")
# Read-only readings that become sensors: property name -> (device_class, unit if none given)
SENSORS: Mapping[str, str] = MappingProxyType(
    {
        "temperature": "temperature",
        "humidity": "humidity",
        "pressure": "pressure",
        "illuminance": "illuminance",
        "illuminance_lux": "illuminance",
        "co2": "carbon_dioxide",
        "pm25": "pm25",
        "power": "power",
        "energy": "energy",
    }
)
BINARY_SENSORS: Mapping[str, str] = MappingProxyType(
    {
        "contact": "door",
        "occupancy": "occupancy",
        "presence": "occupancy",
        "water_leak": "moisture",
        "smoke": "smoke",
        "vibration": "vibration",
    }
)
SETPOINTS = (
    "occupied_heating_setpoint",
    "current_heating_setpoint",
    "occupied_cooling_setpoint",
)


class Zigbee2MQTTError(ValueError):
    """A bridge payload that is not what Zigbee2MQTT publishes."""


def parse_devices(
    payload: bytes | str, settings: DiscoveryConfig, areas: tuple[Area, ...] = ()
) -> list[Discovered]:
    """Every entity of a ``bridge/devices`` payload; raises Zigbee2MQTTError if it is no list."""
    entries = _list(payload, "bridge/devices")
    found: list[Discovered] = []
    for i, entry in enumerate(entries):
        try:
            found.extend(_device(entry, settings, areas))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            name = entry.get("friendly_name") if isinstance(entry, dict) else None
            _LOGGER.warning(
                "Skipped Zigbee2MQTT device #%d (%s): malformed entry (%s)", i, name or "?", exc
            )
    return found


def parse_groups(
    payload: bytes | str,
    settings: DiscoveryConfig,
    members: Mapping[str, Discovered],
    areas: tuple[Area, ...] = (),
) -> list[Discovered]:
    """Groups whose members are all lights (or all switches) become one entity each.

    ``members``: the discovered devices by ``<ieee>`` or ``<ieee>:<endpoint>``.
    """
    found: list[Discovered] = []
    for i, entry in enumerate(_list(payload, "bridge/groups")):
        try:
            group = _group(entry, settings, members, areas)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            _LOGGER.warning("Skipped Zigbee2MQTT group #%d: malformed entry (%s)", i, exc)
            continue
        if group is not None:
            found.append(group)
    return found


def _list(payload: bytes | str, what: str) -> list[Any]:
    try:
        value = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise Zigbee2MQTTError(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(value, list):
        raise Zigbee2MQTTError(f"{what} must be a JSON list, not {type(value).__name__}")
    return value


def _device(
    entry: Mapping[str, Any], settings: DiscoveryConfig, areas: tuple[Area, ...]
) -> list[Discovered]:
    name = entry["friendly_name"]
    if not isinstance(name, str) or not name.strip():
        raise ValueError("no friendly_name")
    if entry.get("type") == "Coordinator" or entry.get("disabled"):
        return []
    definition = entry.get("definition")
    if not isinstance(definition, dict) or entry.get("interview_completed") is False:
        _LOGGER.info("Zigbee2MQTT device %r is not interviewed or unsupported; skipped", name)
        return []
    exposes = definition.get("exposes") or []
    if not isinstance(exposes, list):
        raise ValueError("exposes is not a list")
    ieee = str(entry.get("ieee_address") or name)
    area = settings.area_for(name) or _area_from(entry.get("description"), settings, areas)
    model = str(definition.get("model") or "")
    out: list[Discovered] = []
    for expose in exposes:
        if not isinstance(expose, dict):
            raise ValueError("an expose is not an object")
        kind = expose.get("type")
        if kind in DOMAINS:
            out.append(_entity(kind, expose, name, ieee, area, settings, model))
        elif kind in ("numeric", "binary") and _readable(expose):
            sensor = _sensor(expose, name, ieee, area, settings)
            if sensor is not None:
                out.append(sensor)
    return out


def _readable(expose: Mapping[str, Any]) -> bool:
    access = expose.get("access", 1)
    return isinstance(access, int) and bool(access & 1) and not access & 2


def _entity(
    domain: str,
    expose: Mapping[str, Any],
    name: str,
    ieee: str,
    area: str | None,
    settings: DiscoveryConfig,
    model: str,
) -> Discovered:
    endpoint = expose.get("endpoint")
    endpoint = str(endpoint) if endpoint else None
    features: set[str] = set()
    props: dict[str, str] = {}
    static: dict[str, Any] = {}
    value_on: Any = "ON"
    value_off: Any = "OFF"
    for feature in expose.get("features") or []:
        fname, prop = str(feature.get("name", "")), str(feature.get("property", ""))
        if not prop:
            continue
        if fname == "state":
            props["state"] = prop
            value_on = feature.get("value_on", "ON")
            value_off = feature.get("value_off", "OFF")
        elif fname == "brightness":
            features.add("brightness")
            props["brightness"] = prop
        elif fname == "color_temp":
            features.add("color_temp")
            props["color_temp"] = prop
            low, high = feature.get("value_min"), feature.get("value_max")
            if isinstance(low, int | float) and isinstance(high, int | float) and low > 0:
                static["min_color_temp_kelvin"] = kelvin(high)
                static["max_color_temp_kelvin"] = kelvin(low)
        elif fname in ("color_xy", "color_hs"):
            features.add("color")
            props["color"] = prop
        elif fname == "position":
            features.add("position")
            props["position"] = prop
        elif fname == "lock_state":
            props["lock_state"] = prop
        elif fname in SETPOINTS and "setpoint" not in props:
            props["setpoint"] = prop
            if isinstance(feature.get("value_min"), int | float):
                static["min_temp"] = feature["value_min"]
            if isinstance(feature.get("value_max"), int | float):
                static["max_temp"] = feature["value_max"]
        elif fname == "local_temperature":
            props["local_temperature"] = prop
        elif fname == "system_mode":
            props["system_mode"] = prop
            values = feature.get("values")
            if isinstance(values, list):
                static["hvac_modes"] = [str(v).lower() for v in values]
        elif fname == "running_state":
            props["running_state"] = prop
        elif fname == "mode" and domain == "fan":
            features.add("set_speed")
            props["mode"] = prop
    if domain == "cover" and "state" in props:
        props.setdefault("moving", "moving")
    entity = Z2MEntity(
        domain, MappingProxyType(props), value_on, value_off, MappingProxyType(static)
    )
    object_id = slugify(name) + (f"_{slugify(endpoint)}" if endpoint else "")
    label = _label(name) + (f" {_endpoint_label(endpoint)}" if endpoint else "")
    binding: dict[str, Any] = {"type": "zigbee2mqtt", "friendly_name": name}
    if settings.zigbee2mqtt_base != "zigbee2mqtt":
        binding["base"] = settings.zigbee2mqtt_base
    if endpoint:
        binding["endpoint"] = endpoint
    if domain == "climate" and "setpoint" in props:
        binding["setpoint"] = props["setpoint"]
    device = Device(
        entity_id=f"{domain}.{object_id}",
        name=label,
        area=area,
        features=frozenset(features),
        device_class=_cover_class(model) if domain == "cover" else None,
        binding=MappingProxyType(binding),
        origin=ORIGIN,
    )
    key = f"{ORIGIN}:{ieee}" + (f":{endpoint}" if endpoint else f":{domain}")
    return Discovered(
        key,
        device,
        names=(name, ieee) if not endpoint else (f"{name}/{endpoint}", f"{ieee}/{endpoint}"),
        source=Z2MState(settings.zigbee2mqtt_base, name, entity),
        group="zigbee2mqtt:devices",
        parent=(name, ieee) if endpoint else (),
    )


def _sensor(
    expose: Mapping[str, Any], name: str, ieee: str, area: str | None, settings: DiscoveryConfig
) -> Discovered | None:
    prop = str(expose.get("property", ""))
    base_prop = str(expose.get("name", prop))
    if expose.get("type") == "numeric" and base_prop in SENSORS:
        domain, device_class = "sensor", SENSORS[base_prop]
        static: dict[str, Any] = {"device_class": device_class}
        if expose.get("unit"):
            static["unit_of_measurement"] = str(expose["unit"])
        entity = Z2MEntity(
            domain, MappingProxyType({"value": prop}), static=MappingProxyType(static)
        )
    elif expose.get("type") == "binary" and base_prop in BINARY_SENSORS:
        domain, device_class = "binary_sensor", BINARY_SENSORS[base_prop]
        entity = Z2MEntity(
            domain,
            MappingProxyType({"value": prop}),
            expose.get("value_on", True),
            expose.get("value_off", False),
            MappingProxyType({"device_class": device_class}),
        )
    else:
        return None
    reading = base_prop.removesuffix("_lux").replace("_", " ").title()
    label = _label(name)
    if not normalize_name(label).endswith(normalize_name(reading)):
        label = f"{label} {reading}"
    device = Device(
        entity_id=f"{domain}.{slugify(label)}",
        name=label,
        area=area,
        device_class=device_class,
        origin=ORIGIN,
    )
    return Discovered(
        f"{ORIGIN}:{ieee}:{prop}",
        device,
        names=(f"{name}/{prop}",),
        source=Z2MState(settings.zigbee2mqtt_base, name, entity),
        group="zigbee2mqtt:devices",
        parent=(name, ieee),
    )


def _group(
    entry: Mapping[str, Any],
    settings: DiscoveryConfig,
    members: Mapping[str, Discovered],
    areas: tuple[Area, ...],
) -> Discovered | None:
    name = entry["friendly_name"]
    if not isinstance(name, str) or not name.strip():
        raise ValueError("no friendly_name")
    found: list[Discovered] = []
    for member in entry.get("members") or []:
        ieee, endpoint = str(member["ieee_address"]), member.get("endpoint")
        hit = members.get(f"{ieee}:{endpoint}") or members.get(ieee)
        if hit is not None:
            found.append(hit)
    domains = {d.device.domain for d in found}
    if not found or len(domains) != 1 or next(iter(domains)) not in ("light", "switch"):
        return None
    domain = next(iter(domains))
    features = frozenset.intersection(*(d.device.features for d in found))
    area = settings.area_for(name) or _area_from(entry.get("description"), settings, areas)
    if area is None and len({d.device.area for d in found}) == 1:
        area = found[0].device.area
    entity = Z2MEntity(
        domain,
        MappingProxyType(
            {
                k: k
                for k in ("state", "brightness", "color_temp", "color")
                if k == "state" or k in features
            }
        ),
    )
    device = Device(
        entity_id=f"{domain}.{slugify(name)}",
        name=_label(name),
        area=area,
        features=features,
        binding=MappingProxyType(
            {"type": "zigbee2mqtt", "friendly_name": name}
            | (
                {"base": settings.zigbee2mqtt_base}
                if settings.zigbee2mqtt_base != "zigbee2mqtt"
                else {}
            )
        ),
        origin=ORIGIN,
    )
    return Discovered(
        f"{ORIGIN}:group:{entry.get('id', name)}",
        device,
        names=(name,),
        source=Z2MState(settings.zigbee2mqtt_base, name, entity),
        group="zigbee2mqtt:groups",
    )


def member_index(found: list[Discovered]) -> dict[str, Discovered]:
    """Discovered devices by ``<ieee>`` and ``<ieee>:<endpoint>``, for groups."""
    index: dict[str, Discovered] = {}
    for item in found:
        parts = item.key.split(":")
        if len(parts) >= 3 and item.device.domain not in ("sensor", "binary_sensor"):
            index.setdefault(parts[1], item)
            index.setdefault(f"{parts[1]}:{parts[2]}", item)
    return index


def _area_from(description: Any, settings: DiscoveryConfig, areas: tuple[Area, ...]) -> str | None:
    """The area a Z2M description names: ``"Kitchen"``, ``"area: kitchen"``, ``"room=Kitchen"``."""
    if not settings.area_from_description or not isinstance(description, str) or not areas:
        return None
    text = description.strip()
    for sep in (":", "="):
        head, found, tail = text.partition(sep)
        if found and normalize_name(head) in ("area", "room"):
            text = tail
            break
    wanted = normalize_name(text)
    for area in areas:
        if wanted in (normalize_name(area.id), *(normalize_name(n) for n in area.names)):
            return area.id
    return None


def _label(friendly_name: str) -> str:
    """``"Kitchen/Ceiling"`` -> ``"Kitchen Ceiling"``; ``"hall_light"`` -> ``"Hall Light"``."""
    words = friendly_name.replace("/", " ").replace("_", " ").split()
    return " ".join(w if any(c.isupper() for c in w) else w.capitalize() for w in words)


def _endpoint_label(endpoint: str) -> str:
    return endpoint.upper() if len(endpoint) <= 3 else endpoint.replace("_", " ").title()


def _cover_class(model: str) -> str | None:
    lowered = model.lower()
    for word, device_class in (("garage", "garage"), ("curtain", "curtain"), ("blind", "blind")):
        if word in lowered:
            return device_class
    return None
