"""The daemon's live home, message by message (no broker: the order is the point here)."""

from __future__ import annotations

import json
from types import MappingProxyType

from hub.config.discovery import DiscoveryConfig
from hub.mqtt.live import LiveHome, Update
from hub.registry import Area, Registry
from hub.sim.zigbee2mqtt import bridge_devices, family_home

SETTINGS = DiscoveryConfig(areas=MappingProxyType({"Kitchen/": "kitchen"}))


def apply(
    live: LiveHome, registry: Registry, *messages: tuple[str, str]
) -> tuple[Registry, Update]:
    update = Update()
    for topic, payload in messages:
        live.handle(topic, payload.encode(), update)
    return live.registry(registry, update), update


def test_states_that_arrive_before_their_device_are_read_once_it_is_known() -> None:
    live = LiveHome(Registry(areas=[Area("kitchen", "Kitchen")]), SETTINGS)
    registry = live.built.registry
    registry, update = apply(
        live,
        registry,
        ("zigbee2mqtt/Kitchen/Ceiling", json.dumps({"state": "ON", "brightness": 100})),
        ("zigbee2mqtt/Kitchen/Ceiling/availability", json.dumps({"state": "online"})),
    )
    assert not update.structure and registry.device("light.kitchen_ceiling") is None
    registry, update = apply(
        live, registry, ("zigbee2mqtt/bridge/devices", bridge_devices(family_home(3)))
    )
    assert update.structure
    state = registry.state("light.kitchen_ceiling")
    assert (state.state, state.attributes["brightness"]) == ("on", 100)
    assert "light.kitchen_ceiling" in update.states  # offered to the verifier too


def test_a_state_message_restates_without_a_new_version_and_availability_is_a_change() -> None:
    live = LiveHome(Registry(areas=[Area("kitchen", "Kitchen")]), SETTINGS)
    registry, _ = apply(
        live, live.built.registry, ("zigbee2mqtt/bridge/devices", bridge_devices(family_home(3)))
    )
    version = registry.version
    registry, update = apply(live, registry, ("zigbee2mqtt/Kitchen/Counter", '{"state": "ON"}'))
    assert registry.version == version and registry.state("light.kitchen_counter").state == "on"
    registry, update = apply(
        live, registry, ("zigbee2mqtt/Kitchen/Counter/availability", "offline")
    )
    assert update.availability == {"light.kitchen_counter": False}
    assert registry.state("light.kitchen_counter").state == "unavailable"
    registry, update = apply(
        live, registry, ("zigbee2mqtt/Kitchen/Counter/availability", "offline")
    )
    assert update.availability == {}  # no change, no event
    registry, update = apply(live, registry, ("zigbee2mqtt/Kitchen/Counter/availability", "online"))
    assert registry.state("light.kitchen_counter").state == "on"  # the last known state again


def test_the_hubs_own_announcement_is_not_a_device() -> None:
    live = LiveHome(Registry(), SETTINGS, "hub")
    own = {"name": "Last request", "stat_t": "hub/last", "uniq_id": "hub_last"}
    _, update = apply(
        live, live.built.registry, ("homeassistant/sensor/hub/last/config", json.dumps(own))
    )
    assert not update.structure and live.exact_topics() == set()


def test_a_broken_bridge_payload_keeps_the_home() -> None:
    live = LiveHome(Registry(areas=[Area("kitchen", "Kitchen")]), SETTINGS)
    registry, _ = apply(
        live, live.built.registry, ("zigbee2mqtt/bridge/devices", bridge_devices(family_home(3)))
    )
    count = len(registry.devices)
    registry, update = apply(live, registry, ("zigbee2mqtt/bridge/devices", '{"not": "a list"}'))
    assert not update.structure and len(registry.devices) == count
