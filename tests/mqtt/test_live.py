"""The daemon's live home, message by message (no broker: the order is the point here)."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from types import MappingProxyType

import pytest

from hub.config.discovery import DiscoveryConfig
from hub.mqtt.live import LiveHome, Update
from hub.registry import Area, Device, Registry
from hub.sim.zigbee2mqtt import bridge_devices, family_home

SETTINGS = DiscoveryConfig(areas=MappingProxyType({"Kitchen/": "kitchen"}))


class Clock:
    """A clock the test moves: the rebuild interval without waiting for it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


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


def test_the_hubs_own_announcement_is_not_a_device_and_an_imitation_is_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    live = LiveHome(Registry(), SETTINGS, "hub", clock=clock)
    own = {
        "name": "Last request",
        "stat_t": "hub/last",
        "uniq_id": "hub_last",
        "o": {"name": "hub"},
    }
    registry, _ = apply(
        live, live.built.registry, ("homeassistant/sensor/hub/last/config", json.dumps(own))
    )
    assert registry.devices == () and live.exact_topics() == set()
    assert live.rejected == () and "Refused" not in caplog.text  # a duplicate, not an attack
    # the same without hub's origin: someone else reading hub's topics
    imitation = {"name": "Hub Answers", "stat_t": "hub/response", "uniq_id": "spy"}
    clock.now += SETTINGS.rebuild_interval  # the next round
    registry, _ = apply(
        live, registry, ("homeassistant/sensor/spy/answers/config", json.dumps(imitation))
    )
    assert registry.devices == () and live.exact_topics() == set()
    [refusal] = live.rejected
    assert (refusal.entity_id, refusal.topic) == ("sensor.hub_answers", "hub/response")
    assert "among hub's own topics (hub/)" in refusal.reason


def test_a_broken_bridge_payload_keeps_the_home() -> None:
    live = LiveHome(Registry(areas=[Area("kitchen", "Kitchen")]), SETTINGS)
    registry, _ = apply(
        live, live.built.registry, ("zigbee2mqtt/bridge/devices", bridge_devices(family_home(3)))
    )
    count = len(registry.devices)
    registry, update = apply(live, registry, ("zigbee2mqtt/bridge/devices", '{"not": "a list"}'))
    assert not update.structure and len(registry.devices) == count


def bridge(*names: str) -> str:
    return bridge_devices([d for d in family_home(20) if d.friendly_name in names])


def test_a_flood_of_bridge_payloads_is_one_rebuild_per_interval_and_the_last_wins() -> None:
    clock = Clock()
    live = LiveHome(Registry(areas=[Area("kitchen", "Kitchen")]), SETTINGS, clock=clock)
    registry, update = apply(
        live, live.built.registry, ("zigbee2mqtt/bridge/devices", bridge("Kitchen/Ceiling"))
    )
    assert update.structure  # a quiet source: applied at once
    assert [d.entity_id for d in registry.devices] == ["light.kitchen_ceiling"]
    versions = {registry.version}
    for names in (("Kitchen/Counter",), ("Bedroom/Lamp",), ("Kitchen/Counter", "Bedroom/Lamp")):
        registry, update = apply(live, registry, ("zigbee2mqtt/bridge/devices", bridge(*names)))
        assert not update.structure and update.discovery  # held for the next round
        versions.add(registry.version)
    assert len(versions) == 1 and live.pending == 1 and not live.due()
    clock.now += SETTINGS.rebuild_interval
    assert live.due()  # what the daemon's worker asks between requests
    registry = live.registry(registry, update := Update())
    assert update.structure and live.pending == 0
    assert sorted(d.entity_id for d in registry.devices) == [
        "light.bedroom_lamp",
        "light.kitchen_counter",
    ]


def test_the_bridge_and_home_assistant_are_throttled_apart() -> None:
    clock = Clock()
    live = LiveHome(Registry(areas=[Area("kitchen", "Kitchen")]), SETTINGS, clock=clock)
    config = {"name": "Tap", "cmd_t": "garden/tap/set", "stat_t": "garden/tap/state"}
    registry, _ = apply(
        live, live.built.registry, ("zigbee2mqtt/bridge/devices", bridge("Kitchen/Ceiling"))
    )
    registry, update = apply(live, registry, ("homeassistant/valve/tap/config", json.dumps(config)))
    assert update.structure and registry.device("valve.tap") is not None


def test_a_too_large_message_is_dropped_with_one_warning_per_topic(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = replace(SETTINGS, max_payload=100_000)
    live = LiveHome(Registry(), settings)
    with caplog.at_level(logging.WARNING):
        assert not live.admit("zigbee2mqtt/bridge/devices", 15_000_000)
        assert not live.admit("zigbee2mqtt/bridge/devices", 16_000_000)
        assert not live.admit("homeassistant/light/x/config", 200_000)
        assert live.admit("zigbee2mqtt/Kitchen/Ceiling", 100_000)
    warnings = [r.getMessage() for r in caplog.records if "unread" in r.getMessage()]
    assert len(warnings) == 2 and "16000000" not in " ".join(warnings)
    assert "15000000-byte message on zigbee2mqtt/bridge/devices" in warnings[0]
    assert [(r.source, r.entity_id) for r in live.rejected] == [
        ("homeassistant/light/x/config", None),
        ("zigbee2mqtt/bridge/devices", None),
    ]
    assert "16000000 bytes, over discovery.max_payload (100000 bytes)" in live.rejected[1].reason
    assert live.admit("zigbee2mqtt/bridge/devices", 50_000)  # a usable one again: forgotten
    assert [r.source for r in live.rejected] == ["homeassistant/light/x/config"]


LOCK = Device(
    "lock.front_door",
    "Front Door",
    binding=MappingProxyType({"type": "zigbee2mqtt", "friendly_name": "Front Door Lock"}),
)


def test_a_re_announced_config_device_keeps_its_own_state_and_availability() -> None:
    live = LiveHome(Registry(devices=[LOCK]), SETTINGS)
    fake = {
        "name": "Front Door",
        "obj_id": "front_door",
        "cmd_t": "evil/lock/set",
        "stat_t": "evil/lock/state",
        "avty_t": "evil/lock/availability",
    }
    registry, _ = apply(
        live,
        live.built.registry,
        ("zigbee2mqtt/Front Door Lock", json.dumps({"state": "LOCK"})),
        ("homeassistant/lock/front_door/config", json.dumps(fake)),
        ("evil/lock/state", "UNLOCKED"),
        ("evil/lock/availability", "offline"),
    )
    assert [d.entity_id for d in registry.devices] == ["lock.front_door"]
    assert registry.state("lock.front_door").state == "locked"  # from its own topic
    assert "evil/lock/state" not in live.exact_topics()
    assert live.built.bindings == {}  # the config's binding, not the announced one
    [refusal] = live.rejected
    assert "the entity id of the config's lock.front_door ('Front Door')" in refusal.reason
    registry, update = apply(live, registry, ("evil/lock/state", "LOCKED"))
    assert update.states == {}  # a fake echo confirms nothing
