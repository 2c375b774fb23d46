"""Zigbee2MQTT's bridge/devices and bridge/groups payloads to entities."""

from __future__ import annotations

import json
import logging
from collections import Counter
from types import MappingProxyType

import pytest

from hub.config.discovery import DiscoveryConfig
from hub.integrations.zigbee2mqtt.discovery import (
    Zigbee2MQTTError,
    member_index,
    parse_devices,
    parse_groups,
)
from hub.integrations.zigbee2mqtt.sim import bridge_devices, bridge_groups, family_home
from hub.registry import Area

SETTINGS = DiscoveryConfig(
    areas=MappingProxyType({"Kitchen/": "kitchen", "Kitchen/Coffee": "cafe"})
)
AREAS = (Area("kitchen", "Kitchen"), Area("cafe", "Cafe"), Area("bedroom", "Bedroom"))


def test_the_family_home_becomes_entities_of_every_kind() -> None:
    found = parse_devices(bridge_devices(family_home(20)), SETTINGS, AREAS)
    by_id = {d.device.entity_id: d for d in found}
    domains = Counter(d.device.domain for d in found)
    assert domains == {
        "light": 8,
        "switch": 6,
        "sensor": 7,
        "binary_sensor": 2,
        "cover": 2,
        "climate": 2,
        "lock": 1,
        "fan": 1,
    }
    assert "switch.coordinator" not in by_id and not any("coordinator" in i for i in by_id)
    lamp = by_id["light.living_room_lamp"].device
    assert lamp.features == {"brightness", "color_temp", "color"}
    assert lamp.origin == "zigbee2mqtt"
    assert dict(lamp.binding or {}) == {"type": "zigbee2mqtt", "friendly_name": "Living Room/Lamp"}
    assert by_id["light.kitchen_counter"].device.features == {"brightness"}


def test_multi_endpoint_devices_become_one_entity_per_endpoint_with_its_property() -> None:
    found = parse_devices(bridge_devices(family_home(20)), SETTINGS, AREAS)
    by_id = {d.device.entity_id: d for d in found}
    left = by_id["switch.hallway_wall_switch_left"]
    assert left.device.name == "Hallway Wall Switch Left"
    assert dict(left.device.binding or {})["endpoint"] == "left"
    assert left.source is not None and left.source.entity.props["state"] == "state_left"  # type: ignore[attr-defined]
    assert {i for i in by_id if i.startswith("switch.office_wall_switch")} == {
        "switch.office_wall_switch_l1",
        "switch.office_wall_switch_l2",
        "switch.office_wall_switch_l3",
    }


def test_ranges_and_property_names_come_from_the_exposes() -> None:
    found = parse_devices(bridge_devices(family_home(20)), SETTINGS, AREAS)
    by_id = {d.device.entity_id: d for d in found}
    trv = by_id["climate.bedroom_radiator"]
    assert dict(trv.device.binding or {})["setpoint"] == "occupied_heating_setpoint"
    static = trv.source.entity.static  # type: ignore[union-attr]
    assert (static["min_temp"], static["max_temp"], static["hvac_modes"]) == (
        5,
        35,
        ["off", "heat"],
    )
    ceiling = by_id["light.kitchen_ceiling"].source.entity.static  # type: ignore[union-attr]
    assert (ceiling["min_color_temp_kelvin"], ceiling["max_color_temp_kelvin"]) == (2203, 6536)
    contact = by_id["binary_sensor.garage_door_contact"]
    assert contact.device.device_class == "door"
    assert by_id["sensor.garden_climate_sensor_temperature"].device.device_class == "temperature"


def test_areas_come_from_the_longest_prefix_or_the_description() -> None:
    devices = family_home(20)
    devices[10].description = "area: Bedroom"  # Bedroom/Lamp
    devices[11].description = "by the window"  # Bedroom/Radiator: names no area
    found = parse_devices(bridge_devices(devices), SETTINGS, AREAS)
    area = {d.device.entity_id: d.device.area for d in found}
    assert area["light.kitchen_ceiling"] == "kitchen"
    assert area["switch.kitchen_coffee_plug"] == "cafe"  # the longer prefix wins
    assert area["light.bedroom_lamp"] == "bedroom"
    assert area["climate.bedroom_radiator"] is None
    off = DiscoveryConfig(area_from_description=False)
    assert {d.device.area for d in parse_devices(bridge_devices(devices), off, AREAS)} == {None}


def test_a_malformed_entry_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    entries = json.loads(bridge_devices(family_home(3)))
    entries[1]["definition"]["exposes"] = "oops"
    del entries[2]["friendly_name"]
    entries.append({"friendly_name": "Dead", "disabled": True, "definition": {"exposes": []}})
    entries.append({"friendly_name": "New", "interview_completed": False, "definition": None})
    with caplog.at_level(logging.WARNING):
        found = parse_devices(json.dumps(entries), SETTINGS, AREAS)
    assert {d.device.entity_id for d in found} == {
        "switch.kitchen_coffee_plug",
        "sensor.kitchen_coffee_plug_power",
        "sensor.kitchen_coffee_plug_energy",
    }
    assert "Kitchen/Ceiling" in caplog.text and "#2" in caplog.text


@pytest.mark.parametrize("payload", ["{not json", '{"devices": []}', "null"])
def test_a_payload_that_is_not_a_list_is_an_error(payload: str) -> None:
    with pytest.raises(Zigbee2MQTTError):
        parse_devices(payload, SETTINGS)


def test_a_bridge_payload_of_several_megabytes_parses() -> None:
    payload = bridge_devices(family_home(1500))
    assert len(payload) > 4_000_000
    found = parse_devices(payload, SETTINGS, AREAS)
    assert len(found) > 2000
    assert len({d.device.entity_id for d in found}) == len(found)  # the names are all distinct
    assert sum(1 for d in found if d.device.domain == "light") > 400


def test_groups_of_lights_become_lights_with_the_features_all_members_share() -> None:
    devices = family_home(20)
    found = parse_devices(bridge_devices(devices), SETTINGS, AREAS)
    [group] = parse_groups(bridge_groups(devices), SETTINGS, member_index(found), AREAS)
    assert group.device.entity_id == "light.downstairs_ceilings"
    assert group.device.features == {"brightness"}  # the ceiling has colour temperature, not both
    mixed = json.dumps(
        [
            {
                "id": 2,
                "friendly_name": "Mixed",
                "members": [
                    {"ieee_address": devices[0].ieee, "endpoint": 1},
                    {"ieee_address": devices[5].ieee, "endpoint": 1},
                ],
            }
        ]
    )
    assert parse_groups(mixed, SETTINGS, member_index(found), AREAS) == []
