from __future__ import annotations

from hub.registry import Registry
from hub.targets import AMBIGUOUS, NO_AREA, NO_ENTITY, NO_MATCH_IN_AREA, TargetQuery, resolve


def ids(registry: Registry, **kw: object) -> set[str]:
    resolution = resolve(registry, TargetQuery(**kw))  # type: ignore[arg-type]
    assert resolution.ok, resolution.reason
    return {d.entity_id for d in resolution.devices}


def test_by_name_alias_area_floor_domain_and_class(registry: Registry) -> None:
    assert ids(registry, name="big light") == {"light.living_room_ceiling"}
    assert ids(registry, area="kitchen", domains={"light"}) == {
        "light.kitchen_ceiling",
        "light.kitchen_counter",
    }
    assert ids(registry, area="lounge", domains={"cover"}) == {"cover.living_room_blinds"}
    assert ids(registry, floor="upstairs", domains={"fan"}) == {"fan.bedroom", "fan.office"}
    assert ids(registry, device_classes={"garage"}) == {"cover.garage_door"}


def test_a_shared_name_is_settled_by_the_request_area(registry: Registry) -> None:
    assert ids(registry, name="lamp", context_area="bedroom") == {"light.bedroom_reading"}
    resolution = resolve(registry, TargetQuery(name="lamp", context_area="kitchen"))
    assert resolution.code == AMBIGUOUS
    assert {d.entity_id for d in resolution.choices} == {
        "light.bedroom_reading",
        "light.office_reading",
    }
    assert resolution.reason.startswith("Which one:")


def test_failures_say_why(registry: Registry) -> None:
    assert resolve(registry, TargetQuery(name="jacuzzi")).code == NO_ENTITY
    assert resolve(registry, TargetQuery(area="attic", domains={"light"})).code == NO_AREA
    miss = resolve(registry, TargetQuery(area="kitchen", domains={"fan"}))
    assert miss.code == NO_MATCH_IN_AREA and "Kitchen" in miss.reason
