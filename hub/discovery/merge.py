"""The home as the config and the bus describe it together, with live states.

``Home`` keeps the config's devices and what each discovery message announced (by message, so a
new ``bridge/devices`` or an emptied HA config replaces exactly what it said before), applies the
config's overrides (rename, aliases, area, hide), and builds a Registry from it. Config devices
win: a Zigbee2MQTT entity of the bridge that is a config device (the same friendly name and
endpoint, so the same topics) gives it its richer state source; any other discovered entity
that would replace, shadow or command a config device is refused (``hub.discovery.guard``),
and so is one that would do so to a discovered entity accepted before it. The order is fixed:
the config, then Zigbee2MQTT's bridge, then Home Assistant configs in the order they came.
What was refused is in ``Built.rejected`` and logged once, when it is first refused.

Live states and availability are kept here by entity id and folded into each Registry built.
The structure changes the registry's version; states do not.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from hub.config.binding import BindingSpecError, parse_binding
from hub.config.discovery import DeviceOverride, DiscoveryConfig
from hub.discovery.guard import Guard
from hub.integrations.binding import Binding
from hub.integrations.discovered import Discovered, Rejection
from hub.integrations.state import StateSource
from hub.integrations.tasmota.state import TasmotaState
from hub.integrations.zigbee2mqtt.state import Z2MEntity, Z2MState
from hub.registry import Area, Device, Floor, Registry, State

_LOGGER = logging.getLogger(__name__)

UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Built:
    """One consistent view of the home: the registry and, by entity id, how to reach and read
    each device."""

    registry: Registry
    bindings: Mapping[str, Binding]
    sources: Mapping[str, StateSource]
    origins: Mapping[str, str]
    rejected: tuple[Rejection, ...] = ()  # discovered entities refused, and why

    def topics(self) -> dict[str, list[tuple[str, StateSource]]]:
        """State and availability topics -> the (entity id, source) pairs that read them."""
        index: dict[str, list[tuple[str, StateSource]]] = {}
        for entity_id, source in self.sources.items():
            for topic in (*source.topics(), *source.availability_topics()):
                index.setdefault(topic, []).append((entity_id, source))
        return index


class Home:
    def __init__(
        self,
        floors: Iterable[Floor],
        areas: Iterable[Area],
        devices: Iterable[Device],
        settings: DiscoveryConfig,
        zigbee2mqtt_base: str = "zigbee2mqtt",
        own_prefix: str = "hub",
    ) -> None:
        self.floors = tuple(floors)
        self.areas = tuple(areas)
        self.config_devices = tuple(devices)
        self.settings = settings
        self.zigbee2mqtt_base = zigbee2mqtt_base
        self.own_prefix = own_prefix
        self.groups: dict[str, list[Discovered]] = {}
        self.states: dict[str, State] = {}  # live states by entity id
        self.available: dict[str, bool] = {}
        self._reported: set[Rejection] = set()  # refusals logged already (and still standing)

    # -- discovery ---------------------------------------------------------------------------
    def replace_group(self, group: str, items: list[Discovered]) -> bool:
        """What one discovery message announces now; True when that changed anything."""
        before = self.groups.get(group, [])
        if [_fingerprint(d) for d in before] == [_fingerprint(d) for d in items]:
            return False
        if items:
            self.groups[group] = items
        else:
            self.groups.pop(group, None)
        return True

    def discovered(self) -> list[Discovered]:
        """Every discovered entity, in the order they may claim names and topics: Zigbee2MQTT's
        bridge (devices, then groups) before Home Assistant configs, which keep their order of
        arrival (a config that changes keeps its place; one removed and sent again comes last)."""
        first = ("zigbee2mqtt:devices", "zigbee2mqtt:groups")
        order = [g for g in first if g in self.groups]
        order += [g for g in self.groups if g not in first]
        return [item for group in order for item in self.groups[group]]

    # -- building ----------------------------------------------------------------------------
    def build(self) -> Built:
        devices: dict[str, Device] = {}
        bindings: dict[str, Binding] = {}
        sources: dict[str, StateSource] = {}
        origins: dict[str, str] = {}
        z2m_names: dict[tuple[str, str | None], str] = {}
        guard = Guard(self.settings, self.own_prefix, self.floors, self.areas, self.config_devices)
        rejected: list[Rejection] = []
        for device in self.config_devices:
            devices[device.entity_id] = device
            origins[device.entity_id] = "config"
            source, z2m = self._config_source(device)
            if source is not None:
                sources[device.entity_id] = source
            if z2m is not None:
                z2m_names[z2m] = device.entity_id
        for item in self.discovered():
            device = item.device
            z2m = _z2m_key(device.binding) if item.origin == "zigbee2mqtt" else None
            if z2m is not None and z2m in z2m_names:
                self._attach(item, z2m_names[z2m], sources)  # the same device: its topics
                continue
            override = self._override(item)
            if override is not None and override.hide:
                continue
            duplicate = guard.duplicate(item)
            if duplicate is not None:
                _LOGGER.debug("Skipped %s from %s: %s", device.entity_id, item.group, duplicate)
                continue
            if override is not None:
                device = _apply(device, override)
            refusal = guard.check(item, device, override)
            if refusal is not None:
                rejected.append(refusal)
                continue
            entity_id = _free_id(device.entity_id, devices)
            if entity_id != device.entity_id:
                device = replace(device, entity_id=entity_id)
            guard.accept(item, device)
            devices[entity_id] = device
            origins[entity_id] = item.origin
            if item.binding is not None:
                bindings[entity_id] = item.binding
            if item.source is not None:
                sources[entity_id] = item.source
            if z2m is not None:
                z2m_names[z2m] = entity_id
        self._report(rejected)
        states = {eid: self._state(device) for eid, device in devices.items()}
        registry = Registry(
            self.floors,
            self.areas,
            (replace(d, state=states[d.entity_id]) for d in devices.values()),
        )
        return Built(
            registry,
            MappingProxyType(bindings),
            MappingProxyType(sources),
            origins,
            tuple(rejected),
        )

    def _report(self, rejected: list[Rejection]) -> None:
        """One warning per refusal, when it is first made (a refusal that stands through later
        rebuilds is not logged again; one that went away and comes back is)."""
        for refusal in rejected:
            if refusal not in self._reported:
                _LOGGER.warning("Refused the discovered %s", refusal.text())
        self._reported = set(rejected)

    def _state(self, device: Device) -> State:
        state = self.states.get(device.entity_id, device.state)
        if self.available.get(device.entity_id) is False:
            return State(UNAVAILABLE, state.attributes)
        return state

    def restate(self, registry: Registry, entity_ids: Iterable[str]) -> Registry:
        """``registry`` with the live states of these devices (the structure unchanged)."""
        changes: dict[str, State] = {}
        for entity_id in entity_ids:
            device = registry.device(entity_id)
            if device is not None:
                changes[entity_id] = self._state(device)
        return registry.with_live_states(changes)

    def _attach(self, item: Discovered, entity_id: str, sources: dict[str, StateSource]) -> None:
        """A Zigbee2MQTT entity that the config already has (same friendly name and endpoint,
        so it reads the same topics): keep its richer state source (the exposes say which
        properties carry the state)."""
        if item.source is not None:
            sources[entity_id] = item.source

    def _override(self, item: Discovered) -> DeviceOverride | None:
        overrides = self.settings.devices
        for key in (item.device.entity_id, *item.names, item.key):
            if key in overrides:
                return overrides[key]
        for key in item.parent:
            if key in overrides:
                whole = overrides[key]
                return DeviceOverride(area=whole.area, hide=whole.hide)
        return None

    def _config_source(
        self, device: Device
    ) -> tuple[StateSource | None, tuple[str, str | None] | None]:
        if device.binding is None:
            return None, None
        try:
            spec = parse_binding(device.binding, device.entity_id)
        except BindingSpecError:
            return None, None
        if spec.type == "zigbee2mqtt" and spec.friendly_name:
            base = spec.base or self.zigbee2mqtt_base
            entity = default_z2m_entity(device.domain, spec.endpoint, spec.setpoint)
            source = Z2MState(base, spec.friendly_name, entity)
            return source, (spec.friendly_name, spec.endpoint)
        if spec.type == "tasmota" and spec.topic:
            return TasmotaState(device.domain, spec.topic, spec.relay), None
        return None, None


def default_z2m_entity(domain: str, endpoint: str | None, setpoint: str) -> Z2MEntity:
    """The properties a Zigbee2MQTT device of this domain reports, when no exposes are known."""
    roles = {
        "light": ("state", "brightness", "color_temp", "color"),
        "switch": ("state",),
        "cover": ("state", "position", "moving"),
        "lock": ("state", "lock_state"),
        "climate": ("system_mode", "local_temperature", "running_state"),
        "fan": (),
        "valve": ("state", "position"),
    }.get(domain, ())
    suffix = f"_{endpoint}" if endpoint else ""
    props: dict[str, str] = {role: role + suffix for role in roles}
    if domain == "climate":
        props["setpoint"] = setpoint
    if domain == "fan":
        props = {"state": "fan_state", "mode": "fan_mode"}
    value_on: Any = "LOCK" if domain == "lock" else "ON"
    value_off: Any = "UNLOCK" if domain == "lock" else "OFF"
    return Z2MEntity(domain, MappingProxyType(props), value_on, value_off)


def _apply(device: Device, override: DeviceOverride) -> Device:
    entity_id = device.entity_id
    if override.id:
        domain = device.domain
        entity_id = override.id if override.id.startswith(f"{domain}.") else device.entity_id
        if entity_id != override.id:
            _LOGGER.warning(
                "discovery.devices: %s cannot become %s (another domain); kept its id",
                device.entity_id,
                override.id,
            )
    return replace(
        device,
        entity_id=entity_id,
        name=override.name or device.name,
        aliases=override.aliases or device.aliases,
        area=override.area or device.area,
    )


def _free_id(entity_id: str, taken: Mapping[str, Device]) -> str:
    if entity_id not in taken:
        return entity_id
    n = 2
    while f"{entity_id}_{n}" in taken:
        n += 1
    return f"{entity_id}_{n}"


def _z2m_key(binding: Mapping[str, Any] | None) -> tuple[str, str | None] | None:
    if not binding or binding.get("type") != "zigbee2mqtt":
        return None
    endpoint = binding.get("endpoint")
    return str(binding.get("friendly_name")), str(endpoint) if endpoint else None


def _fingerprint(item: Discovered) -> tuple[Any, ...]:
    d = item.device
    binding = getattr(item.binding, "config", None)
    return (
        item.key,
        d.entity_id,
        d.name,
        d.area,
        d.aliases,
        tuple(sorted(d.features)),
        d.device_class,
        tuple(sorted((d.binding or {}).items())),
        repr(binding),
        repr(getattr(item.source, "entity", None)),
        repr(getattr(item.source, "config", None)),  # a sensor's topics (it has no binding)
        item.announcer,
    )
