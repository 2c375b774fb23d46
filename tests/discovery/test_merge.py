"""Merging the config's devices, the discovered ones and the overrides into one registry."""

from __future__ import annotations

from types import MappingProxyType

from hub.config.discovery import DeviceOverride, DiscoveryConfig
from hub.discovery.merge import Home
from hub.integrations.zigbee2mqtt.discovery import parse_devices
from hub.integrations.zigbee2mqtt.sim import bridge_devices, family_home
from hub.registry import Area, Device, State

AREAS = (Area("kitchen", "Kitchen"), Area("hall", "Hall"))
CONFIG_DEVICES = (
    Device(
        "light.counter",
        "Counter Lights",
        area="kitchen",
        features=frozenset({"brightness"}),
        state=State("on"),
        binding=MappingProxyType({"type": "zigbee2mqtt", "friendly_name": "Kitchen/Counter"}),
    ),
    Device("light.kitchen_ceiling", "My Ceiling"),  # the id a discovered device would take
)


def home(**overrides: DeviceOverride) -> Home:
    settings = DiscoveryConfig(devices=MappingProxyType(overrides))
    home = Home((), AREAS, CONFIG_DEVICES, settings)
    home.replace_group(
        "zigbee2mqtt:devices", parse_devices(bridge_devices(family_home(20)), settings, AREAS)
    )
    return home


def test_config_devices_win_and_discovered_ones_fill_the_rest() -> None:
    built = home().build()
    registry = built.registry
    assert registry.device("light.kitchen_ceiling").name == "My Ceiling"  # type: ignore[union-attr]
    assert registry.device("light.kitchen_counter") is None  # same friendly name as light.counter
    assert built.origins["light.counter"] == "config"
    assert built.origins["light.living_room_lamp"] == "zigbee2mqtt"
    # the config's twin of a Zigbee2MQTT device (same friendly name) gets its richer state source
    assert "zigbee2mqtt/Kitchen/Counter" in built.sources["light.counter"].topics()
    assert registry.state("light.counter").state == "on"  # the config's state until the bus says
    # another device that takes a config device's entity id gives it nothing: it is refused
    assert "light.kitchen_ceiling" not in built.sources
    [refusal] = [r for r in built.rejected if r.entity_id == "light.kitchen_ceiling"]
    assert refusal.source == "zigbee2mqtt/bridge/devices"
    assert "the config's light.kitchen_ceiling ('My Ceiling')" in refusal.reason


def test_overrides_rename_alias_place_and_hide() -> None:
    built = home(
        **{
            "Living Room/Lamp": DeviceOverride(
                name="Reading Lamp", aliases=("big lamp",), area="hall"
            ),
            "light.bedroom_lamp": DeviceOverride(id="light.bedside", name="Bedside"),
            "Hallway/Motion": DeviceOverride(hide=True),
            "Hallway/Wall Switch/left": DeviceOverride(id="light.wrong_domain"),
        }
    ).build()
    registry = built.registry
    lamp = registry.device("light.living_room_lamp")
    assert lamp is not None and (lamp.name, lamp.aliases, lamp.area) == (
        "Reading Lamp",
        ("big lamp",),
        "hall",
    )
    assert registry.find_devices("big lamp") == [lamp]
    assert registry.device("light.bedroom_lamp") is None
    assert registry.device("light.bedside").name == "Bedside"  # type: ignore[union-attr]
    assert "light.bedside" in built.sources
    assert not [
        d for d in registry.devices if d.entity_id.startswith("binary_sensor.hallway_motion")
    ]
    assert registry.device("switch.hallway_wall_switch_left") is not None  # id change refused


def test_structure_changes_the_version_and_states_do_not() -> None:
    h = home()
    first = h.build().registry
    h.states["light.living_room_lamp"] = State("on")
    restated = h.restate(first, ["light.living_room_lamp"])
    assert restated.version == first.version
    assert restated.state("light.living_room_lamp").state == "on"
    h.available["light.living_room_lamp"] = False
    assert (
        h.restate(first, ["light.living_room_lamp"]).state("light.living_room_lamp").state
        == "unavailable"
    )
    assert not h.replace_group("zigbee2mqtt:devices", list(h.groups["zigbee2mqtt:devices"]))
    assert h.replace_group("zigbee2mqtt:devices", h.groups["zigbee2mqtt:devices"][:-3])
    assert h.build().registry.version != first.version


def test_a_second_device_with_a_taken_name_is_refused_and_the_first_keeps_it() -> None:
    settings = DiscoveryConfig()
    devices = family_home(20)
    devices[1].friendly_name = "Kitchen Ceiling"  # named like "Kitchen/Ceiling" ("Kitchen Ceiling")
    h = Home((), AREAS, (), settings)
    h.replace_group("zigbee2mqtt:devices", parse_devices(bridge_devices(devices), settings, AREAS))
    built = h.build()
    assert built.registry.find_devices("kitchen ceiling") == [
        built.registry.device("light.kitchen_ceiling")
    ]
    [refusal] = [r for r in built.rejected if r.name == "Kitchen Ceiling"]
    assert "is already the name of the discovered light.kitchen_ceiling" in refusal.reason
