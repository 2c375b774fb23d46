"""Target resolution: which devices a request means, the way Home Assistant decides it.

A query names any of: a device name, an area, a floor, domains, device classes. Devices are
filtered by each constraint in turn. A name that fits several devices is narrowed to the
request's own area; if that does not settle it, the result is ambiguous and the hub asks.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from hub.registry import Device, Registry

NO_ENTITY = "no_entity"
NO_AREA = "no_area"
NO_FLOOR = "no_floor"
NO_MATCH_IN_AREA = "no_match_in_area"
NO_MATCH_IN_FLOOR = "no_match_in_floor"
NO_DOMAIN = "no_domain"
AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class TargetQuery:
    name: str | None = None
    area: str | None = None  # an area id or name
    floor: str | None = None  # a floor id or name
    domains: Collection[str] = ()
    device_classes: Collection[str] = ()
    context_area: str | None = None  # the area the request came from
    focus: Collection[str] = ()  # entity ids a follow-up chose ("the bedroom one"): they win


@dataclass(frozen=True)
class Resolution:
    devices: tuple[Device, ...] = ()
    code: str | None = None  # None when devices were found
    reason: str = ""
    choices: tuple[Device, ...] = field(default=())  # for AMBIGUOUS

    @property
    def ok(self) -> bool:
        return self.code is None and bool(self.devices)


def resolve(registry: Registry, query: TargetQuery) -> Resolution:
    candidates: Sequence[Device] = registry.devices
    what = _describe(query)

    if query.domains:
        candidates = [d for d in candidates if d.domain in query.domains]
    if query.device_classes:
        candidates = [d for d in candidates if d.device_class in query.device_classes]

    if query.name:
        named = registry.find_devices(query.name)
        candidates = [d for d in candidates if d in named]
        if not candidates:
            return Resolution(code=NO_ENTITY, reason=f"I don't know a device called {query.name}.")

    if query.area:
        area = registry.find_area(query.area)
        if area is None:
            return Resolution(code=NO_AREA, reason=f"I don't know an area called {query.area}.")
        candidates = [d for d in candidates if d.area == area.id]
        if not candidates:
            return Resolution(
                code=NO_MATCH_IN_AREA, reason=f"There is no {what} in the {area.name}."
            )

    if query.floor:
        floor = registry.find_floor(query.floor)
        if floor is None:
            return Resolution(code=NO_FLOOR, reason=f"I don't know a floor called {query.floor}.")
        area_ids = {a.id for a in registry.areas if a.floor == floor.id}
        candidates = [d for d in candidates if d.area in area_ids]
        if not candidates:
            return Resolution(
                code=NO_MATCH_IN_FLOOR, reason=f"There is no {what} on the {floor.name}."
            )

    if not candidates:
        return Resolution(code=NO_DOMAIN, reason=f"There is no {what} in this home.")

    if query.name and len(candidates) > 1:
        focused = [d for d in candidates if d.entity_id in query.focus]
        if focused:
            return Resolution(devices=tuple(focused))
        if query.context_area:
            here = [d for d in candidates if d.area == query.context_area]
            if len(here) == 1:
                return Resolution(devices=(here[0],))
        return Resolution(
            code=AMBIGUOUS,
            reason=ask_which(registry, candidates),
            choices=tuple(candidates),
        )
    return Resolution(devices=tuple(candidates))


def ask_which(registry: Registry, devices: Sequence[Device]) -> str:
    """ "Which one: X in the Kitchen or X in the Bedroom?" with enough detail to choose."""
    labels = []
    names = [d.name for d in devices]
    for device in devices:
        label = device.name
        area = registry.area(device.area)
        if names.count(device.name) > 1:
            label = (
                f"{device.name} in the {area.name}"
                if area
                else f"{device.name} ({device.entity_id})"
            )
        labels.append(label)
    # Still the same labels (same name, same area): fall back to entity ids.
    if len(set(labels)) < len(labels):
        labels = [f"{d.name} ({d.entity_id})" for d in devices]
    if len(labels) == 2:
        return f"Which one: {labels[0]} or {labels[1]}?"
    return f"Which one: {', '.join(labels[:-1])} or {labels[-1]}?"


def _describe(query: TargetQuery) -> str:
    if query.name:
        return query.name
    if query.device_classes:
        return " or ".join(sorted(query.device_classes))
    if query.domains:
        return " or ".join(sorted(_NOUNS.get(d, d.replace("_", " ")) for d in query.domains))
    return "matching device"


# What a person calls a domain's devices, where the domain's name is not it.
_NOUNS = {
    "climate": "thermostat",
    "media_player": "media player",
    "input_boolean": "switch",
    "todo": "list",
}
