"""The registry: the floors, areas and devices of the home, and their current states.

It is the only source of truth for what exists. Every tier and the validator read it; nothing
else invents entity ids. The structure (floors, areas, devices) is immutable; states can be
overridden per request (``with_states``) without touching the shared registry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from hub.text.fold import normalize_name

# Domains whose devices support only the features they list (a light without "brightness"
# is on/off only). Devices of other domains that list no features support the whole domain.
STRICT_FEATURE_DOMAINS = frozenset({"light", "cover", "valve"})
# A feature that implies others: a colour light can be dimmed.
IMPLIED_FEATURES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "color": frozenset({"brightness"}),
        "color_temp": frozenset({"brightness"}),
    }
)


@dataclass(frozen=True)
class Floor:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    level: int | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    floor: str | None = None  # a Floor id
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class State:
    """A state in Home Assistant's shape: ``{"state": "on", "attributes": {...}}``."""

    state: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> State:
        raw = raw or {}
        value = raw.get("state")
        if isinstance(value, bool):  # YAML 1.1 reads a bare on/off as true/false
            value = "on" if value else "off"
        attributes = raw.get("attributes") or {}
        return cls(None if value is None else str(value), MappingProxyType(dict(attributes)))

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "attributes": dict(self.attributes)}


@dataclass(frozen=True)
class Device:
    entity_id: str
    name: str
    area: str | None = None  # an Area id
    aliases: tuple[str, ...] = ()
    features: frozenset[str] = frozenset()
    device_class: str | None = None
    state: State = field(default_factory=State)
    binding: Mapping[str, Any] | None = None
    # Where the device came from: "config", "zigbee2mqtt" or "homeassistant" (discovery)
    origin: str = "config"

    @property
    def domain(self) -> str:
        return self.entity_id.split(".", 1)[0]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def supports(self, feature: str) -> bool:
        """Whether the device can do what ``feature`` names (see STRICT_FEATURE_DOMAINS)."""
        if feature in self.features:
            return True
        if any(feature in IMPLIED_FEATURES.get(f, ()) for f in self.features):
            return True
        if self.domain in STRICT_FEATURE_DOMAINS:
            return False
        return not self.features


class Registry:
    """Floors, areas and devices with the lookups the tiers need."""

    def __init__(
        self,
        floors: Iterable[Floor] = (),
        areas: Iterable[Area] = (),
        devices: Iterable[Device] = (),
    ) -> None:
        self.floors: tuple[Floor, ...] = tuple(floors)
        self.areas: tuple[Area, ...] = tuple(areas)
        self.devices: tuple[Device, ...] = tuple(devices)
        self._floors = {f.id: f for f in self.floors}
        self._areas = {a.id: a for a in self.areas}
        self._devices = {d.entity_id: d for d in self.devices}
        self._by_name: dict[str, list[Device]] = {}
        for device in self.devices:
            for name in dict.fromkeys(normalize_name(n) for n in device.names):
                self._by_name.setdefault(name, []).append(device)
        self._area_names = _name_index(self.areas)
        self._floor_names = _name_index(self.floors)
        self.version = self._compute_version()

    # -- identity -----------------------------------------------------------------------
    def _compute_version(self) -> str:
        """A short hash of everything that changes what a request can mean."""
        payload = {
            "floors": [(f.id, f.name, f.aliases) for f in self.floors],
            "areas": [(a.id, a.name, a.floor, a.aliases) for a in self.areas],
            "devices": [
                (d.entity_id, d.name, d.area, d.aliases, sorted(d.features), d.device_class)
                for d in self.devices
            ],
        }
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        return digest[:12]

    # -- lookups ------------------------------------------------------------------------
    def device(self, entity_id: str) -> Device | None:
        return self._devices.get(entity_id)

    def area(self, area_id: str | None) -> Area | None:
        return self._areas.get(area_id) if area_id else None

    def floor(self, floor_id: str | None) -> Floor | None:
        return self._floors.get(floor_id) if floor_id else None

    def find_devices(self, name: str) -> list[Device]:
        """Devices whose name or an alias is ``name`` (case- and accent-insensitive)."""
        return list(self._by_name.get(normalize_name(name), ()))

    def find_area(self, name_or_id: str) -> Area | None:
        return self._areas.get(name_or_id) or self._area_names.get(normalize_name(name_or_id))

    def find_floor(self, name_or_id: str) -> Floor | None:
        return self._floors.get(name_or_id) or self._floor_names.get(normalize_name(name_or_id))

    def in_area(self, area_id: str) -> list[Device]:
        return [d for d in self.devices if d.area == area_id]

    def on_floor(self, floor_id: str) -> list[Device]:
        area_ids = {a.id for a in self.areas if a.floor == floor_id}
        return [d for d in self.devices if d.area in area_ids]

    def by_domain(self, domain: str) -> list[Device]:
        return [d for d in self.devices if d.domain == domain]

    def by_device_class(self, device_class: str) -> list[Device]:
        return [d for d in self.devices if d.device_class == device_class]

    def floor_of(self, device: Device) -> str | None:
        area = self.area(device.area)
        return area.floor if area else None

    # -- state --------------------------------------------------------------------------
    def state(self, entity_id: str) -> State:
        device = self._devices.get(entity_id)
        return device.state if device else State()

    def with_live_states(self, states: Mapping[str, State]) -> Registry:
        """The same home with these devices' states replaced (live state from the bus).

        The structure is unchanged, so the version is too: the tiers keep what they built.
        """
        if not states:
            return self
        new = Registry.__new__(Registry)
        new.floors, new.areas = self.floors, self.areas
        new.devices = tuple(
            replace(d, state=states[d.entity_id]) if d.entity_id in states else d
            for d in self.devices
        )
        new._floors, new._areas = self._floors, self._areas
        new._devices = {d.entity_id: d for d in new.devices}
        new._by_name = {
            name: [new._devices[d.entity_id] for d in found]
            for name, found in self._by_name.items()
        }
        new._area_names, new._floor_names = self._area_names, self._floor_names
        new.version = self.version
        return new

    def with_states(self, overrides: Mapping[str, Mapping[str, Any]]) -> Registry:
        """A registry whose devices carry these states (Home Assistant shape) instead.

        Unknown entity ids are ignored: a state cannot create a device.
        """
        if not overrides:
            return self
        devices = [
            replace(
                d,
                state=State.from_dict(overrides[d.entity_id]),
                device_class=d.device_class
                or (overrides[d.entity_id].get("attributes") or {}).get("device_class"),
            )
            if d.entity_id in overrides
            else d
            for d in self.devices
        ]
        return Registry(self.floors, self.areas, devices)


def _name_index(items: Iterable[Area] | Iterable[Floor]) -> dict[str, Any]:
    index: dict[str, Any] = {}
    for item in items:
        for name in (item.id, *item.names):
            index.setdefault(normalize_name(name), item)
    return index
