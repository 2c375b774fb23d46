"""The daemon's live home, message by message (no broker: the order is the point here)."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from types import MappingProxyType

import pytest

from hub.config.discovery import DiscoveryConfig
from hub.integrations.zigbee2mqtt.sim import bridge_devices, family_home
from hub.mqtt.live import LiveHome, Update
from hub.registry import Area, Device, Registry

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


# -- Home Assistant's mqtt_statestream ---------------------------------------------------------

STREAMED = replace(SETTINGS, statestream="ha_states")
BEDSIDE = Device("light.bedside", "Bedside Lamp")  # no binding: Home Assistant runs its actions
CEILING = Device(
    "light.ceiling",
    "Ceiling",
    binding=MappingProxyType({"type": "zigbee2mqtt", "friendly_name": "Ceiling"}),
)
PLUG = Device("switch.plug", "Plug", binding=MappingProxyType({"type": "tasmota", "topic": "plug"}))
SPRINKLER = Device(
    "switch.sprinkler",
    "Sprinkler",
    binding=MappingProxyType({"type": "custom", "topic": "garden/sprinkler"}),
)


def test_statestream_states_only_the_devices_bound_to_home_assistant() -> None:
    live = LiveHome(Registry(devices=[BEDSIDE, CEILING, PLUG, SPRINKLER]), STREAMED)
    assert live.streamed == {"light.bedside"}
    assert "ha_states/light/bedside/+" in live.exact_topics()
    assert not any(t.startswith("ha_states/") and "bedside" not in t for t in live.exact_topics())
    registry, update = apply(
        live,
        live.built.registry,
        ("ha_states/light/bedside/state", "on"),
        ("ha_states/light/bedside/brightness", "180"),
        ("ha_states/light/bedside/last_changed", "2024-05-01T10:00:00+00:00"),
        ("ha_states/light/ceiling/state", "on"),  # Zigbee2MQTT tells its own state
        ("ha_states/switch/plug/state", "on"),
        ("ha_states/switch/sprinkler/state", "on"),
        ("ha_states/light/porch/state", "on"),  # HA has it; hub does not
    )
    bedside = registry.state("light.bedside")
    assert (bedside.state, dict(bedside.attributes)) == ("on", {"brightness": 180})
    assert set(update.states) == {"light.bedside"} and not update.structure
    assert registry.device("light.porch") is None and len(registry.devices) == 4
    for entity_id in ("light.ceiling", "switch.plug", "switch.sprinkler"):
        assert registry.state(entity_id).state is None
    registry, _ = apply(live, registry, ("zigbee2mqtt/Ceiling", '{"state": "ON"}'))
    assert registry.state("light.ceiling").state == "on"  # its own topic still works


def test_without_the_key_statestream_is_not_read() -> None:
    live = LiveHome(Registry(devices=[BEDSIDE]), SETTINGS)
    assert live.streamed == frozenset() and live.exact_topics() == set()
    registry, update = apply(live, live.built.registry, ("ha_states/light/bedside/state", "on"))
    assert not update and registry.state("light.bedside").state is None


def test_statestream_says_when_a_device_is_unavailable_and_back() -> None:
    live = LiveHome(Registry(devices=[BEDSIDE]), STREAMED)
    registry, _ = apply(live, live.built.registry, ("ha_states/light/bedside/state", "on"))
    registry, update = apply(live, registry, ("ha_states/light/bedside/state", "unavailable"))
    assert update.availability == {"light.bedside": False} and update.states == {}
    assert registry.state("light.bedside").state == "unavailable"
    registry, update = apply(live, registry, ("ha_states/light/bedside/state", "off"))
    assert update.availability == {"light.bedside": True}
    assert registry.state("light.bedside").state == "off"


def test_home_assistant_entities_take_statestream_unless_they_have_a_state_topic() -> None:
    live = LiveHome(Registry(), STREAMED)
    optimistic = {"name": "Porch", "obj_id": "porch", "cmd_t": "porch/set"}
    reporting = {"name": "Tap", "obj_id": "tap", "cmd_t": "tap/set", "stat_t": "tap/state"}
    registry, update = apply(
        live,
        live.built.registry,
        ("homeassistant/light/porch/config", json.dumps(optimistic)),
        ("homeassistant/switch/tap/config", json.dumps(reporting)),
    )
    assert update.structure and live.streamed == {"light.porch"}
    assert "ha_states/light/porch/+" in live.exact_topics()
    registry, _ = apply(
        live,
        registry,
        ("tap/state", "OFF"),
        ("ha_states/light/porch/state", "on"),
        ("ha_states/switch/tap/state", "on"),  # HA's echo: the device's own topic says off
    )
    assert registry.state("light.porch").state == "on"
    assert registry.state("switch.tap").state == "off"


def test_statestream_garbage_is_logged_once_per_topic_and_changes_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    live = LiveHome(Registry(devices=[BEDSIDE]), STREAMED)
    registry, _ = apply(live, live.built.registry, ("ha_states/light/bedside/state", "off"))
    with caplog.at_level(logging.WARNING):
        update = Update()
        for payload in (b"\xff\xfe", b"x" * 10_000, b"\xff"):
            live.handle("ha_states/light/bedside/state", payload, update)
        live.handle("ha_states/light/porch/state", b"\xff", update)  # not a device of hub's
        live.handle("ha_states/light/bedside/effect", b"{not json", update)  # text, then
        registry = live.registry(registry, update)
    warnings = [r.getMessage() for r in caplog.records if "statestream" in r.getMessage()]
    assert len(warnings) == 1
    assert "ha_states/light/bedside/state" in warnings[0] and "not UTF-8" in warnings[0]
    bedside = registry.state("light.bedside")
    assert (bedside.state, bedside.attributes["effect"]) == ("off", "{not json")


def test_statestream_under_the_discovery_prefix_as_in_home_assistants_docs() -> None:
    live = LiveHome(Registry(devices=[BEDSIDE]), replace(SETTINGS, statestream="homeassistant"))
    tap = {"name": "Tap", "obj_id": "tap", "cmd_t": "tap/set"}
    registry, update = apply(
        live,
        live.built.registry,
        ("homeassistant/light/bedside/state", "on"),
        ("homeassistant/switch/tap/config", json.dumps(tap)),  # discovery, still
        ("homeassistant/switch/tap/state", "off"),  # not streamed until the tap is known
    )
    assert update.structure and registry.device("switch.tap") is not None
    assert registry.state("light.bedside").state == "on"
    assert registry.state("switch.tap").state is None
    registry, _ = apply(live, registry, ("homeassistant/switch/tap/state", "on"))
    assert registry.state("switch.tap").state == "on"  # its subscription brings it, retained
