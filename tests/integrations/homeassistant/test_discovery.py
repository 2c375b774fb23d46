"""Home Assistant MQTT discovery configs to entities with their own bindings and state topics."""

from __future__ import annotations

import json

import pytest

from hub.config.discovery import DiscoveryConfig
from hub.integrations.homeassistant.discovery import (
    DiscoveryPayloadError,
    is_config_topic,
    parse_config,
)
from hub.integrations.homeassistant.sim import ha_home
from hub.messages import Command
from hub.registry import Area, State

SETTINGS = DiscoveryConfig()
AREAS = (Area("garage", "Garage"), Area("kitchen", "Kitchen"), Area("garden", "Garden"))


def announced() -> dict[str, dict]:
    entities, _, device = ha_home()
    out = {e.topic: e.config for e in entities}
    out["homeassistant/device/sim_back_door/config"] = device
    return out


def test_abbreviations_and_the_tilde_become_a_binding_and_state_topics() -> None:
    config = announced()["homeassistant/cover/garage_door/config"]
    [found] = parse_config(
        "homeassistant/cover/garage_door/config", json.dumps(config).encode(), SETTINGS, AREAS
    )
    device = found.device
    assert (device.entity_id, device.name, device.area) == (
        "cover.garage_door",
        "Garage Door",
        "garage",
    )
    assert device.features == {"position"} and device.device_class == "garage"
    assert found.origin == "homeassistant" and found.key == "homeassistant:sim_garage_door"
    assert found.binding is not None
    [message] = found.binding.messages(
        Command("cover.set_cover_position", (device.entity_id,), {"position": 30}), device
    )
    assert (message.topic, message.payload) == ("sim/garage_door/position/set", "30")
    assert found.source is not None
    assert set(found.source.topics()) == {"sim/garage_door/state", "sim/garage_door/position"}
    state = found.source.read("sim/garage_door/position", b"30", State())
    assert state is not None and (state.state, state.attributes["current_position"]) == ("open", 30)


def test_a_tasmota_plug_is_named_by_its_device_and_confirmed_by_its_result_topic() -> None:
    config = announced()["homeassistant/switch/A1B2C3_RL_1/config"]
    [found] = parse_config(
        "homeassistant/switch/A1B2C3_RL_1/config", json.dumps(config).encode(), SETTINGS, AREAS
    )
    assert (found.device.entity_id, found.device.name, found.device.area) == (
        "switch.dryer_plug",
        "Dryer Plug",
        "garage",
    )
    source = found.source
    assert source is not None
    assert "stat/tasmota_A1B2C3/RESULT" in source.topics()
    state = source.read("stat/tasmota_A1B2C3/RESULT", b'{"POWER":"ON"}', State("off"))
    assert state is not None and state.state == "on"
    assert source.available("tele/tasmota_A1B2C3/LWT", b"Offline") is False
    assert source.available("tele/tasmota_A1B2C3/LWT", b"Online") is True


def test_a_device_based_config_announces_each_component() -> None:
    topic = "homeassistant/device/sim_back_door/config"
    found = parse_config(topic, json.dumps(announced()[topic]).encode(), SETTINGS, AREAS)
    ids = {d.device.entity_id: d for d in found}
    assert set(ids) == {
        "lock.back_door",
        "binary_sensor.back_door_contact",
        "sensor.back_door_battery",
    }
    assert {d.device.area for d in found} == {"kitchen"}
    lock = ids["lock.back_door"]
    assert lock.source is not None and lock.source.availability_topics() == (
        "sim/back_door/availability",
    )
    assert lock.binding is not None and ids["sensor.back_door_battery"].binding is None
    battery = ids["sensor.back_door_battery"].source.read("sim/back_door/battery", b"88", State())  # type: ignore[union-attr]
    assert battery is not None and battery.state == "88"
    assert battery.attributes == {"device_class": "battery", "unit_of_measurement": "%"}


def test_features_come_from_the_color_modes_and_command_topics() -> None:
    config = {
        "name": "Strip",
        "cmd_t": "s/set",
        "schema": "json",
        "sup_clrm": ["color_temp", "rgb"],
    }
    [found] = parse_config(
        "homeassistant/light/strip/config", json.dumps(config).encode(), SETTINGS
    )
    assert found.device.features == {"brightness", "color_temp", "color"}
    onoff = {"name": "Plain", "cmd_t": "p/set", "sup_clrm": ["onoff"]}
    [plain] = parse_config("homeassistant/light/plain/config", json.dumps(onoff).encode(), SETTINGS)
    assert plain.device.features == frozenset()


def test_an_empty_payload_removes_and_other_components_are_ignored() -> None:
    assert parse_config("homeassistant/light/x/config", b"", SETTINGS) == []
    camera = {"name": "Cam", "topic": "cam/image"}
    assert (
        parse_config("homeassistant/camera/cam/config", json.dumps(camera).encode(), SETTINGS) == []
    )
    assert is_config_topic("homeassistant/light/node/x/config", "homeassistant")
    assert not is_config_topic("homeassistant/light/x/state", "homeassistant")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{broken", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"name": "No Command"}', "needs a command_topic"),
    ],
)
def test_a_malformed_config_is_an_error_naming_the_problem(payload: bytes, reason: str) -> None:
    with pytest.raises(DiscoveryPayloadError, match=reason):
        parse_config("homeassistant/switch/x/config", payload, SETTINGS)
    with pytest.raises(DiscoveryPayloadError, match="cmps"):
        parse_config("homeassistant/device/x/config", b'{"dev": {"ids": ["x"]}}', SETTINGS)


def test_what_an_entity_would_command_and_who_says_they_announced_it() -> None:
    configs = announced()
    [cover] = parse_config(
        "homeassistant/cover/garage_door/config",
        json.dumps(configs["homeassistant/cover/garage_door/config"]).encode(),
        SETTINGS,
        AREAS,
    )
    assert cover.binding is not None
    assert cover.binding.command_topics() == (  # type: ignore[attr-defined]
        "sim/garage_door/set",
        "sim/garage_door/position/set",
    )
    assert cover.announcer == ""  # no origin, no manufacturer
    [plug] = parse_config(
        "homeassistant/switch/A1B2C3_RL_1/config",
        json.dumps(configs["homeassistant/switch/A1B2C3_RL_1/config"]).encode(),
        SETTINGS,
        AREAS,
    )
    assert plug.announcer == "Tasmota"  # the device's manufacturer
    lock, *_ = parse_config(
        "homeassistant/device/sim_back_door/config",
        json.dumps(configs["homeassistant/device/sim_back_door/config"]).encode(),
        SETTINGS,
        AREAS,
    )
    assert lock.announcer == "hub-sim"  # the origin's name comes first
