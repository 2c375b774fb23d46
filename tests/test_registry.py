from __future__ import annotations

from hub.registry import Area, Device, Floor, Registry, State


def _registry() -> Registry:
    return Registry(
        floors=[Floor("ground", "Ground Floor", ("downstairs",))],
        areas=[
            Area("kitchen", "Kitchen", "ground"),
            Area("cafe", "Café", "ground", ("Coffee Bar",)),
        ],
        devices=[
            Device(
                "light.kitchen",
                "Kitchen Light",
                "kitchen",
                ("Big Light",),
                frozenset({"brightness"}),
            ),
            Device("light.cafe", "Lámpara", "cafe", (), frozenset({"color"})),
            Device("todo.tj", "Trader Joe's", None),
            Device("cover.garage", "Garage Door", None, device_class="garage"),
            Device("fan.desk", "Desk Fan", "cafe"),
            Device("fan.ceiling", "Ceiling Fan", "kitchen", features=frozenset({"oscillate"})),
        ],
    )


def test_lookup_by_name_and_alias_ignores_case_accents_and_apostrophes() -> None:
    registry = _registry()
    assert [d.entity_id for d in registry.find_devices("KITCHEN light")] == ["light.kitchen"]
    assert [d.entity_id for d in registry.find_devices("big light")] == ["light.kitchen"]
    assert [d.entity_id for d in registry.find_devices("lampara")] == ["light.cafe"]
    assert [d.entity_id for d in registry.find_devices("trader joes")] == ["todo.tj"]
    assert [d.entity_id for d in registry.find_devices("Trader Joe’s")] == ["todo.tj"]
    assert registry.find_devices("kitchen") == []


def test_areas_and_floors_by_name_alias_or_id() -> None:
    registry = _registry()
    assert (
        registry.find_area("cafe") is registry.find_area("CAFÉ") is registry.find_area("coffee bar")
    )
    assert registry.find_floor("downstairs") is registry.find_floor("ground")
    assert registry.find_area("attic") is None


def test_lookups_by_area_floor_domain_and_device_class() -> None:
    registry = _registry()
    assert {d.entity_id for d in registry.in_area("kitchen")} == {"light.kitchen", "fan.ceiling"}
    assert {d.entity_id for d in registry.on_floor("ground")} == {
        "light.kitchen",
        "light.cafe",
        "fan.desk",
        "fan.ceiling",
    }
    assert [d.entity_id for d in registry.by_domain("cover")] == ["cover.garage"]
    assert [d.entity_id for d in registry.by_device_class("garage")] == ["cover.garage"]


def test_features_strict_for_lights_and_open_for_others() -> None:
    registry = _registry()
    kitchen, cafe = registry.device("light.kitchen"), registry.device("light.cafe")
    assert kitchen is not None and cafe is not None
    assert kitchen.supports("brightness") and not kitchen.supports("color")
    assert cafe.supports("brightness")  # a colour light can be dimmed
    desk, ceiling = registry.device("fan.desk"), registry.device("fan.ceiling")
    assert desk is not None and ceiling is not None
    assert desk.supports("set_speed")  # lists no features: the whole domain
    assert ceiling.supports("oscillate") and not ceiling.supports("set_speed")


def test_with_states_overrides_only_for_that_view() -> None:
    registry = _registry()
    view = registry.with_states(
        {
            "light.kitchen": {"state": "on", "attributes": {"brightness": 3}},
            "light.nope": {"state": "on"},
        }
    )
    assert view.state("light.kitchen") == State.from_dict(
        {"state": "on", "attributes": {"brightness": 3}}
    )
    assert registry.state("light.kitchen").state is None
    assert view.device("light.nope") is None
    assert view.version == registry.version


def test_version_follows_what_a_request_can_mean() -> None:
    a = _registry()
    b = Registry(a.floors, a.areas, [*a.devices, Device("switch.new", "New", None)])
    assert a.version != b.version
    assert a.version == _registry().version


def test_bare_yaml_on_off_states_read_as_on_off() -> None:
    assert State.from_dict({"state": True}).state == "on"
    assert State.from_dict({"state": False}).state == "off"
