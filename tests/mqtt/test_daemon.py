"""The daemon end to end: a real Mosquitto, real paho clients, the real template tier on the
example home. Each request must reach the right device topic, and every message gets an answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from hub.config import Config, StoreConfig
from hub.config.discovery import DiscoveryConfig
from hub.mqtt.daemon import Daemon
from hub.pipeline import Pipeline
from hub.store.memory import Memory
from hub.tiers.cache import CacheTier
from hub.tiers.llm import LLMTier
from tests.mqtt.conftest import Broker, Client, mqtt_settings, wait_until
from tests.tiers.test_llm_tier import FakeLines

DEVICE_TOPICS = ("zigbee2mqtt/#", "cmnd/#", "garden/#", "hub/action/#")


@pytest.mark.parametrize(
    ("text", "topic", "payload"),
    [
        ("turn on the kitchen light", "zigbee2mqtt/Kitchen/Ceiling/set", '{"state":"ON"}'),
        ("lock the front door", "zigbee2mqtt/Front Door Lock/set", '{"state":"LOCK"}'),
        (
            "set the living room blinds to 40%",
            "zigbee2mqtt/Living Room Blinds/set",
            '{"position":40}',
        ),
        (
            "set the bedroom radiator to 20 degrees",
            "zigbee2mqtt/Bedroom TRV/set",
            '{"current_heating_setpoint":20}',
        ),
        ("turn on the coffee machine", "cmnd/coffee/POWER", "ON"),
        ("dim the big light to 30%", "cmnd/living_room_dimmer/Dimmer", "30"),
        ("turn off the sprinkler", "garden/garden_sprinkler/command", "0"),
        (
            "turn on the hallway light",
            "hub/action/light",
            '{"action":"light.turn_on","target":{"entity_id":["light.hallway"]},"data":{}}',
        ),
    ],
)
def test_a_request_reaches_its_device_through_its_binding(
    start_daemon: Callable[..., Daemon],
    client_factory: Callable[..., Client],
    text: str,
    topic: str,
    payload: str,
) -> None:
    start_daemon()
    devices = client_factory(*DEVICE_TOPICS)
    requester = client_factory("hub/response")
    requester.publish("hub/request", text)

    answer = requester.wait_topic("hub/response")[0].json()
    assert "error" not in answer, answer
    assert answer["tier"] == "template"
    [action] = devices.wait_for(lambda m: True)
    assert (action.topic, action.text) == (topic, payload)
    assert action.qos == 1 and not action.retain
    assert action.expiry is not None and 0 < action.expiry <= 10
    assert devices.messages == [action]  # nothing else went to any device


def test_answers_follow_the_v5_response_topic_and_correlation_data(
    start_daemon: Callable[..., Daemon], client_factory: Callable[..., Client]
) -> None:
    start_daemon()
    requester = client_factory("me/answers", "hub/response")
    requester.publish(
        "hub/request",
        "turn on the kitchen light",
        response_topic="me/answers",
        correlation=b"\x00corr-1",
    )
    [answer] = requester.wait_topic("me/answers")
    assert answer.correlation == b"\x00corr-1"
    body = answer.json()
    assert body["commands"][0]["target"] == {"entity_id": ["light.kitchen_ceiling"]}
    assert set(body) >= {"text", "commands", "reply", "tier", "ms", "id"}

    # JSON reply_to wins over the response topic; the id comes back.
    requester.publish(
        "hub/request",
        json.dumps({"text": "lock the front door", "id": "r2", "reply_to": "me/answers"}),
        response_topic="hub/response",
        correlation=b"corr-2",
    )
    second = requester.wait_topic("me/answers", 2)[1]
    assert second.correlation == b"corr-2"
    assert second.json()["id"] == "r2"
    assert requester.on("hub/response") == []


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\xff\xfe turn on", "bad_encoding"),
        (b'{"text": "turn on the kitchen light"', "bad_json"),
        (b'["turn on the kitchen light"]', "bad_json"),
        (b'{"text": "turn on the kitchen light", "colour": "red"}', "unknown_field"),
        (b'{"text": 42}', "bad_request"),
        (
            b'{"text": "turn on the kitchen light", "reply_to": "zigbee2mqtt/Kitchen/Ceiling/set"}',
            "bad_reply_to",
        ),
        (b'{"text": "turn on the kitchen light", "reply_to": "hub/request"}', "bad_reply_to"),
        (b'{"text": "turn on the kitchen light", "area": "attic"}', "unknown_area"),
        (b"   ", "empty_request"),
        (b"x" * 5000, "too_large"),
    ],
)
def test_a_malformed_request_is_answered_with_an_error_and_the_daemon_goes_on(
    start_daemon: Callable[..., Daemon],
    client_factory: Callable[..., Client],
    payload: bytes,
    code: str,
) -> None:
    start_daemon()
    devices = client_factory(*DEVICE_TOPICS)
    requester = client_factory("hub/response")
    requester.publish("hub/request", payload)
    [error] = requester.wait_topic("hub/response")
    body = error.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    assert body["commands"] == []

    requester.publish("hub/request", "turn on the coffee machine")
    requester.wait_topic("hub/response", 2)
    [action] = devices.wait_for(lambda m: True)
    assert action.topic == "cmnd/coffee/POWER"  # the malformed request published nothing


def test_direct_commands_are_validated_like_any_other(
    start_daemon: Callable[..., Daemon], client_factory: Callable[..., Client]
) -> None:
    start_daemon()
    devices = client_factory(*DEVICE_TOPICS)
    requester = client_factory("hub/response")
    good = {
        "action": "light.turn_on",
        "target": {"entity_id": ["light.kitchen_ceiling"]},
        "data": {"brightness_pct": 50},
    }
    requester.publish("hub/command/automation", json.dumps({**good, "id": "c1"}))
    [action] = devices.wait_for(lambda m: True)
    assert (action.topic, action.json()) == (
        "zigbee2mqtt/Kitchen/Ceiling/set",
        {"state": "ON", "brightness": 127},
    )
    answer = requester.wait_topic("hub/response")[0].json()
    assert (answer["tier"], answer["id"]) == ("direct", "c1")

    bad = [
        (
            {
                "action": "light.turn_on",
                "target": "light.kitchen_ceiling",
                "data": {"brightness_pct": 150},
            },
            "out_of_range",
        ),
        ({"action": "light.turn_on", "target": "light.attic"}, "unknown_entity"),
        ({"action": "homeassistant.restart", "target": "light.hallway"}, "unknown_action"),
        (
            {"action": "switch.toggle", "target": "switch.garden_sprinkler"},
            "unsupported_by_binding",
        ),
        ({"action": "light.turn_on", "target": "light.hallway", "extra": 1}, "unknown_field"),
    ]
    for command, _ in bad:
        requester.publish("hub/command/automation", json.dumps(command))
    answers = [m.json() for m in requester.wait_topic("hub/response", 1 + len(bad))[1:]]
    assert [a["error"]["code"] for a in answers] == [code for _, code in bad]
    requester.publish(
        "hub/command/automation", json.dumps({"action": "light.turn_on", "target": "light.hallway"})
    )
    devices.wait_for(lambda m: True, 2)
    assert [m.topic for m in devices.messages] == [action.topic, "hub/action/light"]


def test_a_duplicate_request_id_is_answered_but_not_acted_on_twice(
    start_daemon: Callable[..., Daemon], client_factory: Callable[..., Client]
) -> None:
    start_daemon()
    # One client for actions and answers: the hub's messages reach it in the order published.
    client = client_factory("hub/response", *DEVICE_TOPICS)
    request = json.dumps({"text": "turn on the coffee machine", "id": "same"})
    client.publish("hub/request", request)
    client.publish("hub/request", request)
    first, second = (m.json() for m in client.wait_topic("hub/response", 2))
    assert "error" not in first and second["error"]["code"] == "duplicate"
    assert second["id"] == "same"
    assert [m.topic for m in client.messages] == [
        "cmnd/coffee/POWER",
        "hub/response",
        "hub/response",
    ]


def test_mqtt_3_1_1_works_with_json_reply_to(
    start_daemon: Callable[..., Daemon], client_factory: Callable[..., Client]
) -> None:
    import paho.mqtt.client as mqtt

    start_daemon(protocol="3.1.1")
    client = client_factory("zigbee2mqtt/#", "me/v3", protocol=mqtt.MQTTv311)
    client.publish(
        "hub/request", json.dumps({"text": "lock the front door", "reply_to": "me/v3", "id": 7})
    )
    assert client.wait_topic("me/v3")[0].json()["id"] == "7"
    assert client.wait_topic("zigbee2mqtt/Front Door Lock/set")[0].json() == {"state": "LOCK"}


def test_status_is_retained_with_a_last_will_and_home_assistant_discovers_the_hub(
    start_daemon: Callable[..., Daemon], client_factory: Callable[..., Client]
) -> None:
    daemon = start_daemon()
    node = daemon.link.client_id
    watcher = client_factory("hub/status", "homeassistant/+/+/+/config", "hub/last")
    [status] = watcher.wait_topic("hub/status")
    assert (status.text, status.retain) == ("online", True)
    configs = watcher.wait_for(lambda m: m.topic.endswith("/config"), 3)
    assert {m.topic for m in configs} == {
        f"homeassistant/text/{node}/request/config",
        f"homeassistant/sensor/{node}/last_request/config",
        f"homeassistant/binary_sensor/{node}/status/config",
    }
    assert all(m.retain for m in configs)
    text_entity = next(m.json() for m in configs if "/text/" in m.topic)
    assert text_entity["command_topic"] == "hub/request"
    assert text_entity["availability_topic"] == "hub/status"

    # Home Assistant restarted: it says online, the hub announces itself again.
    watcher.publish("homeassistant/status", "online")
    watcher.wait_for(lambda m: m.topic.endswith("/config"), 6)

    # The last-request sensor: a short summary, the details as attributes.
    watcher.publish("hub/request", "turn on the coffee machine")
    last = watcher.wait_topic("hub/last")[-1]
    body = last.json()
    assert body["summary"] == "turn on the coffee machine → Turning on Coffee Machine."
    assert body["outcome"] == "acted" and body["commands"][0]["action"] == "switch.turn_on"

    daemon.stop(drain_seconds=2)
    offline = watcher.wait_for(lambda m: m.topic == "hub/status" and m.text == "offline")
    assert offline[0].text == "offline"
    late = client_factory("hub/status")
    assert late.wait_topic("hub/status")[0].text == "offline"  # retained for newcomers


def test_a_burst_of_1000_requests_is_all_answered_or_explicitly_rejected(
    start_daemon: Callable[..., Daemon], client_factory: Callable[..., Client]
) -> None:
    daemon = start_daemon(queue_size=8)
    devices = client_factory(*DEVICE_TOPICS)
    requester = client_factory("hub/response")
    texts = ["turn on the kitchen light", "lock the front door", "turn on the coffee machine"]
    for i in range(1000):
        payload = json.dumps({"text": texts[i % len(texts)], "id": f"b{i}"})
        requester.mqtt.publish("hub/request", payload, qos=1)
    answers = [m.json() for m in requester.wait_topic("hub/response", 1000, timeout=60)]
    assert sorted(a["id"] for a in answers) == sorted(f"b{i}" for i in range(1000))  # once each
    served = [a for a in answers if "error" not in a]
    busy = [a for a in answers if "error" in a]
    assert {a["error"]["code"] for a in busy} == {"busy"}  # a flood is refused, explicitly
    assert len(served) >= 8 and daemon.stats.busy == len(busy) > 0
    assert all(a["commands"] for a in served)
    devices.wait_for(lambda m: True, len(served))  # one action for each served request
    # Still serving afterwards.
    requester.publish("hub/request", json.dumps({"text": "lock the front door", "id": "after"}))
    after = requester.wait_for(lambda m: m.json().get("id") == "after")[0].json()
    assert "error" not in after
    assert len(devices.wait_for(lambda m: True, len(served) + 1)) == len(served) + 1


def test_a_cached_decision_is_not_replayed_once_discovery_changed_or_removed_its_device(
    broker: Broker,
    example_config: Config,
    client_factory: Callable[..., Client],
    tmp_path: Path,
) -> None:
    """The model's decision for "brighten up the studio" is the studio lamp's. After Home
    Assistant renames that lamp (same entity id, so the old commands would still validate) or
    removes it, the cache tier must not answer with the decision made for the old home."""
    config = replace(example_config, store=StoreConfig(path=tmp_path / "hub.db"))
    memory = Memory.open(config, config.registry())
    model = FakeLines()
    tiers = [
        CacheTier(memory.decisions, memory.answers, ("en",)),
        LLMTier(lambda: model),  # type: ignore[arg-type, return-value]
    ]
    pipeline = Pipeline(config.registry(), tiers, memory=memory)
    daemon = Daemon(
        pipeline,
        mqtt_settings(config, broker.port),
        discovery=DiscoveryConfig(zigbee2mqtt=False, verify_timeout=0.5),  # nothing confirms
    )
    daemon.start()
    client = client_factory("hub/response", "studio/#")
    config_topic = "homeassistant/light/studio_lamp/config"

    def announce(name: str | None) -> None:
        payload = {"name": name, "obj_id": "studio_lamp", "cmd_t": "studio/lamp/set"}
        client.publish(config_topic, json.dumps(payload) if name else "", retain=True)

    def ask(request_id: str) -> dict[str, Any]:
        client.publish(
            "hub/request", json.dumps({"text": "brighten up the studio", "id": request_id})
        )
        [answer] = client.wait_for(
            lambda m: m.topic == "hub/response" and m.json()["id"] == request_id, timeout=30
        )
        body: dict[str, Any] = answer.json()
        return body

    def lamp_named(name: str | None) -> Callable[[], bool]:
        def check() -> bool:
            device = daemon.pipeline.registry.device("light.studio_lamp")
            return (device.name if device is not None else None) == name

        return check

    try:
        assert daemon.link.wait_listening(10), "the daemon's subscriptions"
        announce("Studio Lamp")
        wait_until(lamp_named("Studio Lamp"), 30, "the studio lamp discovered")
        model.enqueue("turn on studio lamp")
        first = ask("r1")
        assert (first["tier"], first["commands"][0]["target"]) == (
            "llm",
            {"entity_id": ["light.studio_lamp"]},
        )
        assert ask("r2")["tier"] == "cache"  # the decision is remembered ...
        assert len(client.on("studio/lamp/set")) == 2
        version = daemon.pipeline.registry.version

        announce("Hall Lamp")  # ... until Home Assistant renames the lamp
        wait_until(lamp_named("Hall Lamp"), 30, "the lamp renamed")
        assert daemon.pipeline.registry.version != version
        model.enqueue("nothing")  # the studio has no lamp now
        third = ask("r3")
        assert (third["tier"], third["commands"]) == ("llm", [])

        announce("Studio Lamp")
        wait_until(lamp_named("Studio Lamp"), 30, "the lamp named back")
        # the home as the decision found it (decisions are keyed by the home's content)
        fourth = ask("r4")
        assert (fourth["tier"], fourth["commands"]) == ("cache", first["commands"])

        announce(None)  # Home Assistant removes the lamp
        wait_until(lamp_named(None), 30, "the lamp removed")
        model.enqueue("nothing")
        fifth = ask("r5")
        assert (fifth["tier"], fifth["commands"]) == ("llm", [])
    finally:
        daemon.stop(drain_seconds=2)
        memory.close()
    assert model.answers == []  # the model was asked for r1, r3 and r5
    assert len(client.on("studio/lamp/set")) == 3  # r1, r2 and r4 only
