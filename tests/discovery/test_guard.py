"""What a discovered entity may not do: take a config device's place, bring a security device
unasked, take a name, or command or read a topic that is not its own."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import pytest

from hub.config.discovery import DeviceOverride, DiscoveryConfig
from hub.discovery.merge import Built, Home
from hub.integrations.homeassistant.discovery import parse_config
from hub.integrations.homeassistant.sim import ha_home
from hub.integrations.zigbee2mqtt.discovery import parse_devices
from hub.integrations.zigbee2mqtt.sim import bridge_devices, family_home
from hub.registry import Area, Device

AREAS = (Area("kitchen", "Kitchen"), Area("garage", "Garage"))
CONFIG = (
    Device(
        "lock.front_door",
        "Front Door",
        binding=MappingProxyType({"type": "zigbee2mqtt", "friendly_name": "Front Door Lock"}),
    ),
    Device(
        "switch.coffee",
        "Coffee Machine",
        binding=MappingProxyType({"type": "tasmota", "topic": "coffee"}),
    ),
    Device(
        "valve.garden",
        "Garden Tap",
        binding=MappingProxyType(
            {"type": "custom", "topic": "garden/${object_id}/cmd", "payload": "$service"}
        ),
    ),
)
SETTINGS = DiscoveryConfig()


def build(
    *configs: tuple[str, dict[str, Any]],
    settings: DiscoveryConfig = SETTINGS,
    bridge: list[str] | None = None,
) -> Built:
    """The home of CONFIG with these HA discovery configs (and these Zigbee2MQTT devices)."""
    home = Home((), AREAS, CONFIG, settings)
    if bridge is not None:
        devices = [d for d in family_home(20) if d.friendly_name in bridge]
        home.replace_group(
            "zigbee2mqtt:devices", parse_devices(bridge_devices(devices), settings, AREAS)
        )
    for topic, config in configs:
        home.replace_group(topic, parse_config(topic, json.dumps(config).encode(), settings, AREAS))
    return home.build()


def switch(name: str, command: str, **more: Any) -> tuple[str, dict[str, Any]]:
    object_id = name.lower().replace(" ", "_")
    config = {"name": name, "cmd_t": command, "uniq_id": f"u_{object_id}", **more}
    return f"homeassistant/switch/{object_id}/config", config


def reason(built: Built, entity_id: str) -> str:
    [refusal] = [r for r in built.rejected if r.entity_id == entity_id]
    assert built.registry.device(entity_id) is None
    return refusal.reason


@pytest.mark.parametrize(
    ("command", "why"),
    [
        ("hub/request", "is among hub's own topics (hub/)"),
        ("homeassistant/lock/front_door/config", "among the Home Assistant discovery topics"),
        ("zigbee2mqtt/bridge/request/permit_join", "among Zigbee2MQTT's bridge topics"),
        ("zigbee2mqtt/Front Door Lock/set", "is under Zigbee2MQTT's base topic (zigbee2mqtt/)"),
        ("zigbee2mqtt/Front Door Lock/set/state", "is under Zigbee2MQTT's base topic"),
        ("cmnd/coffee/POWER", "is under Tasmota's cmnd/"),
        ("garden/+/cmd", "has an MQTT wildcard"),
        ("garden/#", "has an MQTT wildcard"),
        ("$SYS/broker/log", "is not a device topic"),
        ("garden/garden/cmd", "belongs to the config's valve.garden ('Garden Tap')"),
        ("stat/coffee/RESULT", "belongs to the config's switch.coffee"),
    ],
)
def test_a_command_topic_that_is_not_the_entitys_own_is_refused(command: str, why: str) -> None:
    built = build(switch("Porch Light", command))
    assert why in reason(built, "switch.porch_light")
    [refusal] = built.rejected
    assert (refusal.topic, refusal.source) == (command, "homeassistant/switch/porch_light/config")
    assert "switch.porch_light" not in built.bindings


@pytest.mark.parametrize(
    ("key", "topic", "why"),
    [
        ("stat_t", "tele/coffee/STATE", "belongs to the config's switch.coffee"),
        (
            "avty_t",
            "zigbee2mqtt/Front Door Lock/availability",
            "belongs to the config's lock.front_door",
        ),
        ("stat_t", "zigbee2mqtt/Front Door Lock", "belongs to the config's lock.front_door"),
        ("stat_t", "hub/status", "is among hub's own topics (hub/)"),
        ("stat_t", "porch/+", "has an MQTT wildcard"),
    ],
)
def test_a_state_topic_of_another_device_is_refused(key: str, topic: str, why: str) -> None:
    built = build(switch("Porch Light", "porch/set", **{key: topic}))
    assert f"its state topic {topic!r} {why}" in reason(built, "switch.porch_light")


def test_a_command_topic_is_kept_by_the_entity_that_came_first() -> None:
    first, second = switch("Porch Light", "porch/set"), switch("Gate Light", "porch/set")
    built = build(first, second)
    assert built.registry.device("switch.porch_light") is not None
    assert "belongs to the discovered switch.porch_light" in reason(built, "switch.gate_light")
    # nor may it be commanded where another one reads its state
    built = build(
        switch("Porch Light", "porch/set", stat_t="porch/state"),
        switch("Gate Light", "porch/state"),
    )
    assert "belongs to the discovered switch.porch_light" in reason(built, "switch.gate_light")
    # two entities of one device may read one state topic
    built = build(
        switch("Porch Light", "porch/set", stat_t="porch/state", avty_t="porch/online"),
        (
            "homeassistant/sensor/porch_power/config",
            {"name": "Porch Power", "stat_t": "porch/state", "avty_t": "porch/online"},
        ),
    )
    assert built.rejected == ()


def test_once_the_first_is_gone_the_topic_is_free() -> None:
    home = Home((), AREAS, CONFIG, SETTINGS)
    for topic, config in (switch("Porch Light", "porch/set"), switch("Gate Light", "porch/set")):
        home.replace_group(topic, parse_config(topic, json.dumps(config).encode(), SETTINGS, AREAS))
    assert home.build().registry.device("switch.gate_light") is None
    home.replace_group("homeassistant/switch/porch_light/config", [])
    built = home.build()
    assert built.registry.device("switch.gate_light") is not None and built.rejected == ()


def test_tasmota_commands_its_own_cmnd_topic_and_nobody_else_does() -> None:
    entities, _, _ = ha_home()
    [plug] = [e for e in entities if e.object_id == "A1B2C3_RL_1"]
    second = {
        **plug.config,
        "cmd_t": "cmnd/tasmota_A1B2C3/POWER2",
        "uniq_id": "A1B2C3_RL_2",
        "name": "Relay 2",
    }
    pretender = {**plug.config, "cmd_t": "cmnd/coffee/POWER", "uniq_id": "x", "name": "Kettle"}
    built = build(
        (plug.topic, plug.config),
        ("homeassistant/switch/A1B2C3_RL_2/config", second),
        ("homeassistant/switch/kettle/config", pretender),
        switch("Heater", "cmnd/tasmota_A1B2C3/POWER3"),  # not announced as Tasmota
    )
    assert built.registry.device("switch.dryer_plug") is not None
    assert built.registry.device("switch.dryer_plug_relay_2") is not None
    assert "belongs to the config's switch.coffee" in reason(built, "switch.dryer_plug_kettle")
    assert "is under Tasmota's cmnd/" in reason(built, "switch.heater")


@pytest.mark.parametrize(
    ("component", "config", "kind"),
    [
        ("lock", {"name": "Shed", "cmd_t": "shed/lock/set"}, "a lock"),
        (
            "cover",
            {"name": "Big Door", "cmd_t": "c/set", "dev_cla": "garage"},
            "a garage, door or gate cover",
        ),
        ("cover", {"name": "Garden Gate", "cmd_t": "c/set"}, "a garage, door or gate cover"),
        ("cover", {"name": "Garagentor", "cmd_t": "c/set"}, "a garage, door or gate cover"),
    ],
)
def test_a_security_device_from_the_bus_needs_the_configs_consent(
    component: str, config: dict[str, Any], kind: str
) -> None:
    topic = f"homeassistant/{component}/x/config"
    built = build((topic, config))
    [refusal] = built.rejected
    assert f"it is {kind}" in refusal.reason and "discovery.allow_security" in refusal.reason
    entity_id = str(refusal.entity_id)
    allowed = replace(SETTINGS, allow_security=frozenset({entity_id}))
    assert build((topic, config), settings=allowed).registry.device(entity_id) is not None


def test_a_blind_is_no_security_device_and_a_zigbee_lock_is() -> None:
    blind = {"name": "Garage Window Blind", "cmd_t": "b/set", "dev_cla": "blind"}
    built = build(("homeassistant/cover/blind/config", blind), bridge=["Hallway/Front Door"])
    assert built.registry.device("cover.garage_window_blind") is not None
    assert "it is a lock" in reason(built, "lock.hallway_front_door")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("unlock Front Door", "starts with 'unlock', as requests do"),
        ("Öffne die Garage", "starts with 'offne'"),
        ("please open the gate", "starts with 'open'"),
        ("ouvre le portail", "starts with 'ouvre'"),
        ("Abre la puerta", "starts with 'abre'"),
        ("Kitchen", "is already the name of the area 'Kitchen'"),
        ("front door", "is already the name of the config's lock.front_door"),
        ("Coffee-Machine", "is already the name of the config's switch.coffee"),
    ],
)
def test_a_name_that_would_capture_requests_is_refused(name: str, why: str) -> None:
    built = build(("homeassistant/switch/x/config", {"name": name, "cmd_t": "x/set"}))
    [refusal] = built.rejected
    assert why in refusal.reason and refusal.name == name
    assert len(built.registry.devices) == len(CONFIG)


def test_the_configs_own_name_for_a_discovered_device_is_trusted() -> None:
    settings = replace(
        SETTINGS, devices=MappingProxyType({"u_x": DeviceOverride(name="Key Safe Light")})
    )
    config = {"name": "Unlock Box", "cmd_t": "x/set", "uniq_id": "u_x"}
    built = build(("homeassistant/switch/x/config", config), settings=settings)
    assert built.rejected == ()
    assert built.registry.find_devices("key safe light")


def test_the_command_topic_allow_list() -> None:
    settings = replace(SETTINGS, command_topics=("shellies/#", "zigbee2mqtt/Kitchen/+/set"))
    built = build(
        switch("Plug", "shellies/plug/relay/0/command"),
        switch("Fountain", "garden/fountain/set"),
        settings=settings,
        bridge=["Kitchen/Ceiling", "Bedroom/Lamp"],
    )
    assert built.registry.device("switch.plug") is not None
    assert built.registry.device("light.kitchen_ceiling") is not None
    assert "matches none of discovery.command_topics" in reason(built, "switch.fountain")
    assert "'zigbee2mqtt/Bedroom/Lamp/set' matches none" in reason(built, "light.bedroom_lamp")


def test_zigbee2mqtts_own_home_assistant_configs_are_duplicates_of_the_bridge() -> None:
    config = {
        "name": None,
        "cmd_t": "zigbee2mqtt/Kitchen/Ceiling/set",
        "stat_t": "zigbee2mqtt/Kitchen/Ceiling",
        "avty_t": "zigbee2mqtt/bridge/state",
        "schema": "json",
        "uniq_id": "0x01_light_zigbee2mqtt",
        "dev": {"ids": ["zigbee2mqtt_0x01"], "name": "Kitchen/Ceiling", "mf": "IKEA"},
        "o": {"name": "Zigbee2MQTT", "sw": "1.40.0"},
    }
    message = ("homeassistant/light/0x01/light/config", config)
    built = build(message, bridge=["Kitchen/Ceiling"])
    assert built.rejected == ()  # skipped quietly: the bridge gave the same light
    assert [d.entity_id for d in built.registry.by_domain("light")] == ["light.kitchen_ceiling"]
    without_bridge = build(message, settings=replace(SETTINGS, zigbee2mqtt=False))
    [refusal] = without_bridge.rejected
    assert "under Zigbee2MQTT's base topic" in refusal.reason


def test_each_refusal_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    home = Home((), AREAS, CONFIG, SETTINGS)
    topic, config = switch("Porch Light", "hub/request")
    home.replace_group(topic, parse_config(topic, json.dumps(config).encode(), SETTINGS, AREAS))
    with caplog.at_level(logging.WARNING, logger="hub.discovery.merge"):
        home.build()
        home.build()
    [record] = caplog.records
    assert record.getMessage() == (
        "Refused the discovered switch.porch_light ('Porch Light', from "
        "homeassistant/switch/porch_light/config): its command topic 'hub/request' is among "
        "hub's own topics (hub/)"
    )


def test_the_allow_list_leaves_zigbee_sensors_alone() -> None:
    settings = replace(SETTINGS, command_topics=("zigbee2mqtt/Kitchen/#",))
    built = build(settings=settings, bridge=["Kitchen/Ceiling", "Garden/Climate Sensor"])
    assert built.registry.device("sensor.garden_climate_sensor_temperature") is not None
    assert built.rejected == ()
