"""The Mosquitto ACL of docs/mqtt-api.md, as written: the topic a command comes on proves its sender, so a
client cannot pass itself off as Home Assistant, and the hub does its work under it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from hub.config import Config
from hub.config.security import SecurityConfig
from hub.mqtt.daemon import Daemon
from hub.pipeline import Pipeline
from hub.security.policy import SecurityPolicy
from tests.conftest import ROOT
from tests.mqtt.conftest import MOSQUITTO, Broker, mqtt_settings, wait_until

pytestmark = pytest.mark.skipif(
    shutil.which("mosquitto_passwd") is None or not os.access(MOSQUITTO, os.X_OK),
    reason="needs mosquitto and mosquitto_passwd",
)
USERS = ("hub", "homeassistant", "panel")


def documented_acl() -> str:
    text = (ROOT / "docs" / "mqtt-api.md").read_text()
    section = text[text.index("## Who may publish what") :]
    match = re.search(r"```\n(# /etc/mosquitto/hub\.acl.*?)```", section, re.S)
    assert match, "the ACL example is gone from docs/mqtt-api.md"
    return match.group(1)


@pytest.fixture
def acl_broker(tmp_path: Path) -> Iterator[Broker]:
    passwords = tmp_path / "passwords"
    for n, user in enumerate(USERS):
        flags = ["-b", "-c"] if n == 0 else ["-b"]
        subprocess.run(["mosquitto_passwd", *flags, str(passwords), user, f"{user}-pw"], check=True)
    acl = tmp_path / "hub.acl"
    acl.write_text(documented_acl())
    for path in (passwords, acl):
        os.chmod(path, 0o644)  # mosquitto may read them as another user
    broker = Broker(
        tmp_path,
        settings=f"allow_anonymous false\npassword_file {passwords}\nacl_file {acl}",
    )
    broker.start()
    yield broker
    broker.kill()


class UserClient:
    def __init__(self, port: int, user: str, client_id: str, *topics: str) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
        self.client.username_pw_set(user, f"{user}-pw")
        subscribed = []
        self.client.on_connect = lambda c, *a: topics and c.subscribe([(t, 1) for t in topics])
        self.client.on_subscribe = lambda *a: subscribed.append(True)
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, bytes(m.payload)))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        wait_until(lambda: subscribed if topics else self.client.is_connected(), 10, user)

    def publish(self, topic: str, payload: str) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_the_documented_acl_makes_the_topic_proof_of_the_sender(
    acl_broker: Broker, example_config: Config, warm_pipeline: Pipeline
) -> None:
    settings = replace(
        mqtt_settings(example_config, acl_broker.port, username="hub", password="hub-pw"),
        client_id="hub",
    )
    policy = SecurityPolicy(SecurityConfig(sources=("cli", "speech", "mqtt/homeassistant")))
    daemon = Daemon(warm_pipeline, settings, policy=policy)
    daemon.start()
    clients: list[UserClient] = []

    def client(user: str, client_id: str, *topics: str) -> UserClient:
        made = UserClient(acl_broker.port, user, client_id, *topics)
        clients.append(made)
        return made

    try:
        assert daemon.link.wait_listening(10)
        ha = client("homeassistant", "homeassistant", "hub/response", "zigbee2mqtt/#")
        panel = client("panel", "panel-hall", "hub/response", "hub/reply/panel-hall/#")
        # Markers come back: the hub may write and read its own tree.
        anchor = getattr(daemon.link, "anchor", None)
        assert anchor is not None
        wait_until(lambda: anchor.stamp()[0] > float("-inf"), 10, "the hub's marker")

        unlock = json.dumps({"action": "lock.unlock", "target": "lock.front_door", "id": "u1"})
        panel.publish("hub/command/homeassistant", unlock)  # posing as Home Assistant
        panel.publish("hub/command/panel-hall", json.dumps({**json.loads(unlock), "id": "u2"}))
        ask = {"text": "turn on the coffee machine", "id": "p1", "reply_to": "hub/reply/panel-hall"}
        panel.publish("hub/request/panel-hall", json.dumps(ask))
        wait_until(lambda: len(panel.messages) >= 2, 10, "the panel's answers")
        answers = {json.loads(p)["id"]: json.loads(p) for _, p in panel.messages}
        assert answers["u2"]["error"]["code"] == "unauthorized"
        assert "error" not in answers["p1"]
        assert ("hub/reply/panel-hall", "p1") in [
            (t, json.loads(p)["id"]) for t, p in panel.messages
        ]
        assert "u1" not in answers  # the broker dropped the forged command: nothing to answer

        ha.publish("hub/command/homeassistant", unlock)
        wait_until(
            lambda: any(t == "zigbee2mqtt/Front Door Lock/set" for t, _ in ha.messages),
            10,
            "Home Assistant's unlock to reach the lock",
        )
        unlocks = [p for t, p in ha.messages if t == "zigbee2mqtt/Front Door Lock/set"]
        assert unlocks == [b'{"state":"UNLOCK"}']  # once: the forged one never acted
    finally:
        for made in clients:
            made.close()
        daemon.stop(1)
