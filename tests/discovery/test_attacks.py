"""Discovery is not a way in: each attack of issue 14, replayed on a real Mosquitto against the
daemon (template tier). An attacker publishes retained discovery configs (and states) with
paho; the household then asks as usual. Nothing may reach the victim's topic, and the
household's own request must still work.

A ``#`` subscriber records the bus and asks the requests itself: the hub publishes a request's
actions before its answer, so once the answer is in, so is everything the request published.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hub.app.build import build_pipeline
from hub.config import Config, parse_config
from hub.integrations.discovered import Rejection
from hub.integrations.zigbee2mqtt.sim import bridge_devices, family_home
from hub.mqtt.daemon import Daemon
from tests.mqtt.conftest import Broker, Client, mqtt_settings, wait_until

HOME = """
areas:
  - {id: hallway, name: Hallway}
  - {id: garage, name: Garage}
  - {id: attic, name: Attic}
devices:
  - id: lock.front_door
    name: Front Door
    area: hallway
    binding: {type: zigbee2mqtt, friendly_name: Front Door Lock}
  - id: cover.garage_door
    name: Garage Door
    area: garage
    device_class: garage
    binding: {type: zigbee2mqtt, friendly_name: Garage Door}
  - id: light.hall
    name: Hall Light
    area: hallway
    binding: {type: zigbee2mqtt, friendly_name: Hall Light}
  - id: switch.radio  # no state to wait for: answered at once
    name: Radio
    area: attic
    binding: {type: custom, topic: radio/set, payload: $service}
mqtt: {host: 127.0.0.1}
discovery:
  verify_timeout: 1
"""
LOCK_SET = "zigbee2mqtt/Front Door Lock/set"


@pytest.fixture(scope="module")
def home_config() -> Config:
    return parse_config(HOME)


@pytest.fixture
def daemon(broker: Broker, home_config: Config) -> Iterator[Daemon]:
    assert home_config.discovery is not None
    hub = Daemon(
        build_pipeline(home_config, "template"),
        mqtt_settings(home_config, broker.port),
        discovery=home_config.discovery,
    )
    hub.start()
    assert hub.link.wait_listening(10), "the daemon's subscriptions"
    wait_until(lambda: hub.settled, 60, "the tiers prepared for the home")
    yield hub
    hub.stop(drain_seconds=2)


@pytest.fixture
def bus(client_factory: Callable[..., Client]) -> Client:
    """Everything on the broker, in the order the broker passed it on."""
    return client_factory("#")


@pytest.fixture
def attacker(client_factory: Callable[..., Client]) -> Client:
    return client_factory()


def ask(bus: Client, text: str, request_id: str) -> dict[str, Any]:
    bus.publish("hub/request", json.dumps({"text": text, "id": request_id}))
    [answer] = bus.wait_for(
        lambda m: m.topic == "hub/response" and m.json().get("id") == request_id, timeout=30
    )
    body: dict[str, Any] = answer.json()
    return body


def on(bus: Client, topic: str) -> list[str]:
    return [m.text for m in bus.on(topic)]


def refused(daemon: Daemon, entity_id: str) -> Rejection:
    """The daemon's refusal of ``entity_id``, once the announcement has reached it."""

    def find() -> Rejection | None:
        assert daemon.live is not None
        return next((r for r in daemon.live.rejected if r.entity_id == entity_id), None)

    found: Rejection = wait_until(find, 30, f"the refusal of {entity_id}")
    return found


def announce(attacker: Client, topic: str, config: dict[str, Any]) -> None:
    attacker.publish(topic, json.dumps(config), retain=True)


def test_a_porch_light_commanding_the_front_door_lock_is_refused(
    daemon: Daemon, bus: Client, attacker: Client
) -> None:
    announce(
        attacker,
        "homeassistant/light/porch_light/config",
        {
            "name": "Porch Light",
            "uniq_id": "porch_light",
            "cmd_t": LOCK_SET,
            "pl_on": "UNLOCK",
            "pl_off": "UNLOCK",
        },
    )
    refusal = refused(daemon, "light.porch_light")
    assert refusal.topic == LOCK_SET and "under Zigbee2MQTT's base topic" in refusal.reason
    assert ask(bus, "turn on the porch light", "p1")["commands"] == []
    household = ask(bus, "lock the front door", "p2")
    assert [c["action"] for c in household["commands"]] == ["lock.lock"]
    assert on(bus, LOCK_SET) == ['{"state":"LOCK"}']  # the household's, and nothing else


def test_a_fan_that_would_send_hub_a_request_is_refused(
    daemon: Daemon, bus: Client, attacker: Client
) -> None:
    announce(
        attacker,
        "homeassistant/fan/attic_fan/config",
        {
            "name": "Attic Fan",
            "uniq_id": "attic_fan",
            "cmd_t": "hub/request",
            "pl_on": "open the garage door",
        },
    )
    assert "among hub's own topics (hub/)" in refused(daemon, "fan.attic_fan").reason
    assert ask(bus, "turn on the attic fan", "f1")["commands"] == []
    household = ask(bus, "close the garage door", "f2")
    assert [c["action"] for c in household["commands"]] == ["cover.close_cover"]
    assert [json.loads(p)["id"] for p in on(bus, "hub/request")] == ["f1", "f2"]  # ours only
    assert on(bus, "zigbee2mqtt/Garage Door/set") == ['{"state":"CLOSE"}']


def test_a_switch_named_like_a_request_captures_nothing(
    daemon: Daemon, bus: Client, attacker: Client
) -> None:
    announce(
        attacker,
        "homeassistant/switch/trap/config",
        {"name": "unlock Front Door", "uniq_id": "trap", "cmd_t": "attacker/switch/set"},
    )
    assert "starts with 'unlock'" in refused(daemon, "switch.unlock_front_door").reason
    answer = ask(bus, "unlock front door", "n1")
    assert all(c["target"]["entity_id"] == ["lock.front_door"] for c in answer["commands"])
    household = ask(bus, "turn on the hall light", "n2")
    assert household["commands"] and on(bus, "zigbee2mqtt/Hall Light/set") == ['{"state":"ON"}']
    assert on(bus, "attacker/switch/set") == []


def test_a_re_announced_config_lock_keeps_its_state_and_a_fake_echo_confirms_nothing(
    daemon: Daemon, bus: Client, attacker: Client, client_factory: Callable[..., Client]
) -> None:
    real_lock = client_factory()
    real_lock.publish("zigbee2mqtt/Front Door Lock", '{"state": "LOCK"}', retain=True)
    real_lock.publish("zigbee2mqtt/Front Door Lock/availability", '{"state": "online"}')
    wait_until(
        lambda: daemon.pipeline.registry.state("lock.front_door").state == "locked", 30, "locked"
    )
    # the attacker re-announces the lock with its own topics, says it is open and offline, and
    # echoes "LOCKED" on its own state topic whenever the real lock is commanded
    echo = client_factory(LOCK_SET)
    echo.mqtt.on_message = lambda *_: echo.mqtt.publish("attacker/lock/state", "LOCKED")
    announce(
        attacker,
        "homeassistant/lock/front_door/config",
        {
            "name": "Front Door",
            "obj_id": "front_door",
            "uniq_id": "front_door_lock",
            "cmd_t": "attacker/lock/set",
            "stat_t": "attacker/lock/state",
            "avty_t": "attacker/lock/availability",
        },
    )
    attacker.publish("attacker/lock/state", "UNLOCKED", retain=True)
    attacker.publish("attacker/lock/availability", "offline", retain=True)
    refusal = refused(daemon, "lock.front_door")
    assert "the entity id of the config's lock.front_door ('Front Door')" in refusal.reason
    assert daemon.pipeline.registry.state("lock.front_door").state == "locked"
    answer = ask(bus, "lock the front door", "l1")
    assert "error" not in answer, answer  # not "unavailable"
    assert answer["verified"] == [
        {"entity_id": "lock.front_door", "action": "lock.lock", "status": "unconfirmed"}
    ]
    assert on(bus, "attacker/lock/state")[-1] == "LOCKED"  # the fake echo came, and counted not
    assert on(bus, LOCK_SET) == ['{"state":"LOCK"}'] and on(bus, "attacker/lock/set") == []


def test_a_huge_bridge_payload_never_reaches_the_hub(
    daemon: Daemon, bus: Client, attacker: Client, caplog: pytest.LogCaptureFixture
) -> None:
    """The daemon's MQTT 5 Maximum Packet Size makes the broker drop a 15 MB payload: hub never
    reads it (reading it held every request behind it for seconds). The cap hub applies itself
    (MQTT 3.1.1) is tested in tests/mqtt/test_live.py."""
    huge = ("[" + '"x",' * 3_750_000 + '"x"]').encode()  # 15 MB
    with caplog.at_level(logging.WARNING, logger="hub.mqtt.live"):
        for _ in range(3):
            attacker.publish("zigbee2mqtt/bridge/devices", huge, retain=True)
        household = ask(bus, "turn on the hall light", "h1")
        # a usable payload after them (the broker keeps their order): read as usual
        attacker.publish("zigbee2mqtt/bridge/devices", bridge_devices(family_home(3)), retain=True)
        wait_until(
            lambda: daemon.pipeline.registry.device("light.kitchen_ceiling") is not None,
            30,
            "the usable bridge payload",
        )
    assert household["commands"] and "error" not in household
    assert not [r for r in caplog.records if "unread" in r.getMessage()]  # never delivered
    assert daemon.live is not None and daemon.live.rejected == ()


def test_a_flood_of_discovery_configs_does_not_starve_the_household(
    daemon: Daemon, bus: Client, caplog: pytest.LogCaptureFixture
) -> None:
    # a new config before every request: without a limit, the worker would rebuild the home
    # (and then the template tier) for each of them
    flood = 40
    answers = []
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="hub.mqtt.bus"):
        for n in range(flood):
            config = {"name": f"Flood Switch {n}", "uniq_id": f"flood{n}", "cmd_t": f"f/{n}/set"}
            bus.publish(f"homeassistant/switch/flood{n}/config", json.dumps(config))
            answers.append(ask(bus, "turn on the radio", f"r{n}"))
        wait_until(
            lambda: daemon.pipeline.registry.device(f"switch.flood_switch_{flood - 1}"),
            60,
            "the last config of the flood",
        )
    assert [a.get("error") for a in answers] == [None] * flood
    assert all(a["commands"] for a in answers) and len(on(bus, "radio/set")) == flood
    elapsed = time.monotonic() - started
    rebuilds = [r for r in caplog.records if r.getMessage().startswith("The home changed")]
    # coalesced: at most one rebuild per rebuild_interval (what the throttle promises, however
    # slow a loaded machine makes the 40 requests), and far fewer than one per request
    interval = daemon.live.settings.rebuild_interval  # type: ignore[union-attr]
    assert 1 <= len(rebuilds) <= 1 + elapsed / interval, (len(rebuilds), elapsed)
    assert len(rebuilds) <= flood // 2, len(rebuilds)
    assert len(daemon.pipeline.registry.by_domain("switch")) == flood + 1
