"""Issue 14 over a real Mosquitto: who may command, where answers may go, nothing retained or
stale acted on, nothing lost or done twice when the broker dies and comes back."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from hub.config import Config
from hub.messages import Reply, Request
from hub.mqtt.daemon import Daemon
from hub.pipeline import Pipeline
from tests.mqtt.conftest import MOSQUITTO, Broker, Client, mqtt_settings, wait_until

DEVICE_TOPICS = ("zigbee2mqtt/#", "cmnd/#", "garden/#", "hub/action/#")


class RecordingPipeline(Pipeline):
    """The template pipeline, keeping every request it is asked."""

    def __init__(self, inner: Pipeline) -> None:
        self.inner = inner
        self.registry = inner.registry
        self.tiers = inner.tiers
        self.requests: list[Request] = []

    def ask(self, request: Request, *, fast: bool = False) -> Reply:
        self.requests.append(request)
        return self.inner.ask(request)


def _answers(client: Client, topic: str = "hub/response") -> list[dict[str, Any]]:
    return [m.json() for m in client.on(topic)]


def test_the_topic_names_the_source_and_requests_keep_their_conversation(
    start_daemon: Callable[..., Daemon],
    client_factory: Callable[..., Client],
    warm_pipeline: Pipeline,
) -> None:
    pipeline = RecordingPipeline(warm_pipeline)
    start_daemon(pipeline)
    requester = client_factory("hub/response")
    body = {"text": "turn on the coffee machine", "id": "k1", "conversation_id": "kitchen-7"}
    requester.publish("hub/request/kitchen", json.dumps(body))
    requester.publish("hub/request", "turn off the coffee machine")
    requester.wait_topic("hub/response", 2)
    first, second = pipeline.requests
    assert (first.source, first.conversation_id, first.id) == ("mqtt/kitchen", "kitchen-7", "k1")
    assert (second.source, second.conversation_id) == ("mqtt", None)

    requester.publish("hub/request/kitchen", json.dumps({"text": "x", "conversation_id": 5}))
    bad = requester.wait_topic("hub/response", 3)[2].json()
    assert bad["error"]["code"] == "bad_request" and "conversation_id" in bad["error"]["message"]


def test_direct_commands_act_only_from_a_source_the_policy_names(
    start_daemon: Callable[..., Daemon], client_factory: Callable[..., Client]
) -> None:
    start_daemon()  # security.sources: cli, speech, mqtt/automation
    devices = client_factory(*DEVICE_TOPICS)
    requester = client_factory("hub/response")
    unlock = {"action": "lock.unlock", "target": "lock.front_door"}
    requester.publish("hub/command", json.dumps({**unlock, "id": "anyone"}))
    requester.publish("hub/command/intruder", json.dumps({**unlock, "id": "intruder"}))
    plain, named = (m.json() for m in requester.wait_topic("hub/response", 2))
    assert plain["error"]["code"] == named["error"]["code"] == "unauthorized"
    assert "security.sources" in plain["error"]["message"]
    assert "'mqtt/intruder' to security.sources" in named["error"]["message"]
    assert plain["commands"] == named["commands"] == []

    # An automation the config trusts may even unlock: it was authorized by its topic.
    requester.publish("hub/command/automation", json.dumps({**unlock, "id": "trusted"}))
    [action] = devices.wait_for(lambda m: True)
    assert (action.topic, action.json()) == ("zigbee2mqtt/Front Door Lock/set", {"state": "UNLOCK"})
    trusted = requester.wait_topic("hub/response", 3)[2].json()
    assert "error" not in trusted and trusted["id"] == "trusted"
    assert len(devices.messages) == 1  # the refused ones published nothing


@pytest.mark.parametrize(
    "reply_to",
    [
        "garden/garden_sprinkler/command",  # a custom binding's command topic
        "zigbee2mqtt/Kitchen/Ceiling/set",
        "hub/listen",
        "hub/request/kitchen",
        "hub/command/automation",
        "stat/coffee/POWER",
        "tele/coffee/STATE",
    ],
)
def test_answers_never_go_where_a_device_or_the_hub_takes_orders(
    start_daemon: Callable[..., Daemon], client_factory: Callable[..., Client], reply_to: str
) -> None:
    start_daemon()
    watcher = client_factory("#")
    payload = {"text": "turn on the coffee machine", "id": "r", "reply_to": reply_to}
    watcher.publish("hub/request", json.dumps(payload))
    [answer] = watcher.wait_topic("hub/response")
    assert answer.json()["error"]["code"] == "bad_reply_to"
    assert watcher.on(reply_to) == []
    assert watcher.on("cmnd/coffee/POWER") == []


def test_answers_may_go_under_the_hubs_reply_topics(
    start_daemon: Callable[..., Daemon], client_factory: Callable[..., Client]
) -> None:
    start_daemon()
    requester = client_factory("hub/reply/#")
    payload = {"text": "turn on the coffee machine", "id": "s", "reply_to": "hub/reply/sat1"}
    requester.publish("hub/request", json.dumps(payload))
    assert "error" not in requester.wait_topic("hub/reply/sat1")[0].json()


def test_a_retained_request_is_answered_never_acted_on(
    broker: Broker,
    start_daemon: Callable[..., Daemon],
    client_factory: Callable[..., Client],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    publisher = client_factory()
    payload = json.dumps({"text": "turn on the coffee machine", "id": "old"})
    publisher.publish("hub/request", payload, retain=True)
    devices = client_factory(*DEVICE_TOPICS)
    requester = client_factory("hub/response")
    for restart in range(2):  # each start subscribes anew and gets the retained message again
        daemon = start_daemon()
        answer = requester.wait_topic("hub/response", restart + 1)[restart].json()
        assert answer["error"]["code"] == "retained" and answer["id"] == "old"
        assert "mosquitto_pub -r -n -t 'hub/request'" in answer["error"]["message"]
        daemon.stop(1)
    assert "mosquitto_pub -r -n -t 'hub/request'" in caplog.text
    assert devices.messages == []


# -- the persistent session ---------------------------------------------------------------


@pytest.fixture
def persistent_broker(tmp_path: Path) -> Iterator[Broker]:
    if not os.access(MOSQUITTO, os.X_OK):
        pytest.skip("mosquitto is not installed")
    server = Broker(tmp_path, persistence=True)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def daemon_on(example_config: Config, warm_pipeline: Pipeline) -> Iterator[Callable[..., Daemon]]:
    daemons: list[Daemon] = []

    def start(broker: Broker, **changes: Any) -> Daemon:
        daemon = Daemon(warm_pipeline, mqtt_settings(example_config, broker.port, **changes))
        daemons.append(daemon)
        daemon.start()
        assert daemon.link.wait_listening(10)
        return daemon

    yield start
    for daemon in daemons:
        daemon.stop(drain_seconds=1)


def _saved_after(broker: Broker, moment: float) -> bool:
    """Mosquitto has saved its sessions (every second) since ``moment`` (time.time())."""
    db = broker.workdir / "mosquitto.db"
    return db.exists() and db.stat().st_mtime > moment + 0.01


def _marker_back(daemon: Daemon) -> bool:
    anchor = getattr(daemon.link, "anchor", None)
    return anchor is not None and anchor.stamp()[0] > float("-inf") and not anchor.stamp()[1]


def test_a_request_queued_during_a_short_broker_restart_is_acted_on(
    persistent_broker: Broker, daemon_on: Callable[..., Daemon]
) -> None:
    daemon = daemon_on(persistent_broker)
    connected = time.time()
    wait_until(lambda: _marker_back(daemon), 10, "the first marker")
    wait_until(lambda: _saved_after(persistent_broker, connected), 10, "the broker's save")
    persistent_broker.kill()
    wait_until(lambda: not daemon.link.online, 10, "the hub to notice")
    persistent_broker.start()
    requester = Client(persistent_broker.port, "hub/response", "cmnd/#")
    try:
        sent_offline = not daemon.link.online  # the hub waits about a second before retrying
        requester.publish("hub/request", json.dumps({"text": "turn on the coffee machine"}))
        [action] = requester.wait_topic("cmnd/coffee/POWER", timeout=15)
        assert action.text == "ON"
        assert "error" not in requester.wait_topic("hub/response", timeout=15)[0].json()
        assert sent_offline, "the request should have waited in the hub's session"
    finally:
        requester.close()


def test_a_request_queued_longer_than_the_timeout_is_refused_as_expired(
    persistent_broker: Broker, daemon_on: Callable[..., Daemon]
) -> None:
    daemon = daemon_on(persistent_broker, request_timeout=1.0)
    connected = time.time()
    wait_until(lambda: _marker_back(daemon), 10, "the first marker")
    wait_until(lambda: _saved_after(persistent_broker, connected), 10, "the broker's save")
    persistent_broker.kill()
    down = time.monotonic()
    wait_until(lambda: time.monotonic() - down > 1.5, 5, "the broker to be away 1.5 s")
    persistent_broker.start()
    requester = Client(persistent_broker.port, "hub/response", "cmnd/#")
    try:
        requester.publish("hub/request", json.dumps({"text": "turn on the coffee machine"}))
        answer = requester.wait_topic("hub/response", timeout=15)[0].json()
        assert answer["error"]["code"] == "expired", answer
        assert "queued by the broker while the hub was away" in answer["error"]["message"]
        assert requester.on("cmnd/coffee/POWER") == []
    finally:
        requester.close()


def test_what_was_queued_before_the_hub_started_is_refused(
    broker: Broker,
    example_config: Config,
    warm_pipeline: Pipeline,
    client_factory: Callable[..., Client],
) -> None:
    settings = mqtt_settings(example_config, broker.port)
    first = Daemon(warm_pipeline, settings)
    first.start()
    assert first.link.wait_listening(10)
    first.stop(1)  # the broker keeps its session (mqtt.session_expiry)
    requester = client_factory("hub/response", "cmnd/#")
    requester.publish("hub/request", json.dumps({"text": "turn on the coffee machine", "id": 1}))
    second = Daemon(warm_pipeline, settings)  # the same client id: a restarted hub
    second.start()
    try:
        answer = requester.wait_topic("hub/response")[0].json()
        assert answer["error"]["code"] == "expired" and answer["id"] == "1"
        assert "before the hub started" in answer["error"]["message"]
        assert requester.on("cmnd/coffee/POWER") == []
    finally:
        second.stop(1)


def test_a_broker_crash_mid_stream_loses_nothing_and_does_nothing_twice(
    persistent_broker: Broker, daemon_on: Callable[..., Daemon]
) -> None:
    """A short bench/faults.py: a few requests a second, the broker killed for about 3 s."""
    daemon = daemon_on(persistent_broker)
    recorder = Recorder(persistent_broker.port)
    publisher = Publisher(persistent_broker.port)
    try:
        connected = time.time()
        wait_until(lambda: _marker_back(daemon), 10, "the first marker")
        wait_until(lambda: _saved_after(persistent_broker, connected), 10, "the broker's save")

        def stream(seconds: float) -> None:
            until = time.monotonic() + seconds
            while time.monotonic() < until:
                publisher.send(f"turn {'on' if publisher.count % 2 else 'off'} the coffee machine")
                time.sleep(0.2)

        stream(2.0)
        persistent_broker.kill()
        stream(3.0)
        persistent_broker.start()
        stream(3.0)
        with publisher.lock:
            published = set(publisher.acked)
        assert len(published) >= 15
        wait_until(lambda: published <= recorder.ids(), 30, "an answer to every request")
        daemon.stop(drain_seconds=5)  # what it published before "offline" reaches the recorder
        wait_until(lambda: "offline" in recorder.statuses(), 10, "the hub's offline status")
        with recorder.lock:
            answers = dict(recorder.answers)
            actions = list(recorder.actions)
        assert all(len(answers[i]) == 1 for i in answers), "an id answered twice"
        acted = [i for i in answers if "error" not in answers[i][0]]
        unsure = [i for i in answers if answers[i][0].get("error", {}).get("code") == "unconfirmed"]
        assert len(acted) <= len(actions) <= len(acted) + len(unsure)  # no action twice
    finally:
        publisher.close()
        recorder.close()


class Recorder:
    """Answers and device messages, over a persistent session of its own."""

    def __init__(self, port: int) -> None:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        self.lock = threading.Lock()
        self.answers: dict[str, list[dict[str, Any]]] = {}
        self.actions: list[str] = []
        self.status: list[str] = []
        self._seen: set[tuple[str, bytes]] = set()
        subscribed = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="test-recorder", protocol=mqtt.MQTTv5
        )
        self.client.on_connect = lambda c, *a: c.subscribe(
            [("hub/response", 1), ("cmnd/#", 1), ("hub/status", 1)]
        )
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 1)
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 300
        self.client.connect("127.0.0.1", port, clean_start=False, properties=properties)
        self.client.loop_start()
        wait_until(subscribed.is_set, 10, "the recorder's subscription")

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        payload = bytes(msg.payload)
        with self.lock:
            if msg.dup and (msg.topic, payload) in self._seen:
                return  # the broker's redelivery to this client, not a second message
            self._seen.add((msg.topic, payload))
            if msg.topic == "hub/response":
                body = json.loads(payload)
                self.answers.setdefault(str(body.get("id")), []).append(body)
            elif msg.topic == "hub/status":
                self.status.append(payload.decode())
            else:
                self.actions.append(msg.topic)

    def ids(self) -> set[str]:
        with self.lock:
            return set(self.answers)

    def statuses(self) -> list[str]:
        with self.lock:
            return list(self.status)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Publisher:
    """Publishes only while connected and never resends: each id is one message."""

    def __init__(self, port: int) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.acked: set[str] = set()
        self._mids: dict[int, str] = {}
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="test-publisher", protocol=mqtt.MQTTv5
        )
        self.client.on_publish = self._on_publish
        self.client.on_disconnect = lambda client, *args: client.drop_out_messages()
        self.client.reconnect_delay_set(1, 1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        wait_until(self.client.is_connected, 10, "the publisher")

    def _on_publish(self, client: Any, userdata: Any, mid: int, *args: Any) -> None:
        with self.lock:
            request_id = self._mids.pop(mid, None)
            if request_id is not None:
                self.acked.add(request_id)

    def send(self, text: str) -> None:
        with self.lock:
            self.count += 1
            if not self.client.is_connected():
                return
            request_id = f"s{self.count}"
            info = self.client.publish(
                "hub/request", json.dumps({"text": text, "id": request_id}), qos=1
            )
            if info.rc == mqtt.MQTT_ERR_SUCCESS:
                self._mids[info.mid] = request_id

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class StallingProxy:
    """A TCP proxy between the hub and the broker whose broker-to-hub direction can be held:
    a link that stalls without breaking (the hub's keepalive does not notice it)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.flowing = threading.Event()
        self.flowing.set()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                downstream, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(
                target=self._pipe, args=(downstream, upstream, None), daemon=True
            ).start()
            threading.Thread(
                target=self._pipe, args=(upstream, downstream, self.flowing), daemon=True
            ).start()

    def _pipe(self, source: Any, sink: Any, gate: threading.Event | None) -> None:
        try:
            while data := source.recv(65536):
                if gate is not None:
                    gate.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.close()

    def close(self) -> None:
        self.closed = True
        self.flowing.set()
        self.server.close()


def test_a_request_held_by_a_stalled_link_is_refused_not_acted_on_late(
    broker: Broker,
    example_config: Config,
    warm_pipeline: Pipeline,
    client_factory: Callable[..., Client],
) -> None:
    proxy = StallingProxy(broker.port)
    settings = mqtt_settings(example_config, proxy.port, request_timeout=2.0)
    daemon = Daemon(warm_pipeline, settings)
    daemon.start()
    try:
        assert daemon.link.wait_listening(10)
        wait_until(lambda: _marker_back(daemon), 10, "the first marker")
        watcher = client_factory("hub/response", "cmnd/#")
        proxy.flowing.clear()  # the link stalls: nothing reaches the hub, nothing breaks
        stalled = time.monotonic()
        watcher.publish(
            "hub/request", json.dumps({"text": "turn on the coffee machine", "id": "s"})
        )
        wait_until(lambda: time.monotonic() - stalled > 3.0, 5, "a 3 s stall")
        assert daemon.link.online  # the hub did not notice
        proxy.flowing.set()
        answer = watcher.wait_topic("hub/response")[0].json()
        assert answer["error"]["code"] == "expired", answer
        assert "slow or stalled" in answer["error"]["message"]
        assert watcher.on("cmnd/coffee/POWER") == []
    finally:
        daemon.stop(1)
        proxy.close()


def test_a_private_answer_is_told_only_on_the_requesters_own_topic(
    start_daemon: Callable[..., Daemon],
    client_factory: Callable[..., Client],
    example_config: Config,
) -> None:
    """The door code (a private FAQ entry) reaches an allowed source on its own reply topic;
    the shared hub/response and the retained hub/last never carry it, and a stranger is
    refused."""
    from dataclasses import replace

    from hub.app.build import build_pipeline

    config = replace(example_config, llm=replace(example_config.llm, backend="off"))
    start_daemon(build_pipeline(config, "auto"))
    watcher = client_factory("hub/#")
    household = {"text": "what is the door code", "id": "h1", "reply_to": "hub/reply/ha"}
    watcher.publish("hub/request/homeassistant", json.dumps(household))
    shared_topic = {"text": "what is the door code", "id": "h3"}
    watcher.publish("hub/request/homeassistant", json.dumps(shared_topic))
    watcher.publish("hub/request", json.dumps({**shared_topic, "id": "s1"}))
    told = watcher.wait_topic("hub/reply/ha", 1)[0].json()
    assert "4711" in told["reply"]
    shared = {m.json()["id"]: m.json() for m in watcher.wait_topic("hub/response", 2)}
    assert "4711" not in shared["h3"]["reply"] and "reply_to" in shared["h3"]["reply"]
    assert shared["s1"]["error"]["code"] == "not_allowed"
    watcher.publish("hub/request/homeassistant", "turn on the coffee machine")
    last = watcher.wait_topic("hub/last", 1)  # the first hub/last: the private ones are not
    assert b"coffee" in last[0].payload and not any(b"4711" in m.payload for m in last)
    assert not any(b"4711" in m.payload for m in watcher.messages if m.topic != "hub/reply/ha")


def test_follow_ups_over_mqtt_stay_in_their_conversation(
    start_daemon: Callable[..., Daemon], client_factory: Callable[..., Client]
) -> None:
    """ "the bedroom one" answers the hub's "Which one" in the same conversation_id only."""
    start_daemon()
    watcher = client_factory("hub/response", "hub/action/#")

    def say(text: str, conversation: str, request_id: str) -> dict[str, Any]:
        body = {"text": text, "id": request_id, "conversation_id": conversation}
        watcher.publish("hub/request/panel", json.dumps(body))
        wait_until(
            lambda: any(m.json().get("id") == request_id for m in watcher.on("hub/response")),
            10,
            f"the answer to {request_id}",
        )
        return next(m.json() for m in watcher.on("hub/response") if m.json()["id"] == request_id)

    assert say("turn on the lamp", "c1", "a1")["reply"].startswith("Which one")
    assert not say("the bedroom one", "other", "a2")["commands"]  # another conversation
    chosen = say("the bedroom one", "c1", "a3")
    assert [c["target"]["entity_id"] for c in chosen["commands"]] == [["light.bedroom_reading"]]
    again = say("turn it off again", "c1", "a4")
    assert [(c["action"], c["target"]["entity_id"]) for c in again["commands"]] == [
        ("light.turn_off", ["light.bedroom_reading"])
    ]
