"""A real Mosquitto on a free port, real paho clients, and the daemon started in-process.

The broker gets a generated config (``listener <port> 127.0.0.1``, anonymous, no persistence
unless asked for, every packet logged to a file) and is killed at the end. ``Broker.kill``/
``restart`` simulate a broker crash; with ``persistence=True`` it keeps its sessions across
them as Mosquitto does (saved every second, so that a SIGKILL loses at most that). Nothing here
sleeps to wait: every wait is on a condition, with a timeout.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from itertools import count
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hub.app.build import build_pipeline
from hub.config import Config, MQTTConfig
from hub.config.security import SecurityConfig
from hub.mqtt.daemon import Daemon
from hub.pipeline import Pipeline
from hub.registry import Registry
from hub.security.policy import SecurityPolicy
from tests.mqtt.fakes import FakeLink, ScriptedPipeline

AUTOMATION = "automation"  # the client name allowed direct commands: hub/command/automation

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
_ids = count(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Poll ``condition`` until it is truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(0.01)


class Broker:
    def __init__(
        self, workdir: Path, listener: str = "", settings: str = "", *, persistence: bool = False
    ) -> None:
        self.workdir = workdir
        self.persistence = persistence
        self.port = free_port()
        self.listener = listener  # lines for the listener (TLS files)
        self.settings = settings  # global lines; without any, anonymous clients are allowed
        self.log = workdir / "mosquitto.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.log = self.workdir / f"mosquitto-{self.starts}.log"
        conf = self.workdir / "mosquitto.conf"
        # As root, mosquitto would switch to its own user, which cannot write to tmp_path.
        user = "user root\n" if os.geteuid() == 0 else ""
        persistence = (
            f"persistence true\npersistence_location {self.workdir}/\nautosave_interval 1\n"
            if self.persistence
            else "persistence false\n"
        )
        conf.write_text(
            f"listener {self.port} 127.0.0.1\n{self.listener}"
            f"{self.settings or 'allow_anonymous true'}\n"
            f"{persistence}log_dest file {self.log}\nlog_type all\n{user}"
        )
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        wait_until(self._listening, 10, f"mosquitto on port {self.port}")

    def _listening(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            stderr = self.proc.stderr.read().decode() if self.proc.stderr else ""
            raise RuntimeError(f"mosquitto exited: {stderr} {self.log_text()}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        """A clean stop (SIGTERM), which also flushes the log."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    properties: Any

    @property
    def text(self) -> str:
        return self.payload.decode()

    def json(self) -> Any:
        return json.loads(self.payload)

    @property
    def expiry(self) -> int | None:
        return getattr(self.properties, "MessageExpiryInterval", None)

    @property
    def correlation(self) -> bytes | None:
        return getattr(self.properties, "CorrelationData", None)


class Client:
    """A real paho client that records everything on its subscriptions."""

    def __init__(self, port: int, *topics: str, protocol: int = mqtt.MQTTv5) -> None:
        self.messages: list[Message] = []
        self._cond = threading.Condition()
        self._subscribed = threading.Event()
        self.subscribes = 0  # SUBACKs so far: more than one after a broker restart
        self._topics = topics
        self.v5 = protocol == mqtt.MQTTv5
        self.mqtt = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"test-{next(_ids)}", protocol=protocol
        )
        self.mqtt.on_connect = self._on_connect
        self.mqtt.on_subscribe = self._on_subscribe
        self.mqtt.on_message = self._on_message
        self.mqtt.reconnect_delay_set(1, 1)
        self.mqtt.connect("127.0.0.1", port)
        self.mqtt.loop_start()
        if topics:
            wait_until(self._subscribed.is_set, 10, "the test client's subscription")
        else:
            wait_until(self.mqtt.is_connected, 10, "the test client's connection")

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if self._topics:
            client.subscribe([(t, 1) for t in self._topics])

    def _on_subscribe(self, *args: Any) -> None:
        self.subscribes += 1
        self._subscribed.set()

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        message = Message(msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain), msg.properties)
        with self._cond:
            self.messages.append(message)
            self._cond.notify_all()

    def on(self, topic: str) -> list[Message]:
        with self._cond:
            return [m for m in self.messages if m.topic == topic]

    def wait_for(
        self, predicate: Callable[[Message], bool], n: int = 1, timeout: float = 10.0
    ) -> list[Message]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [m for m in self.messages if predicate(m)]
                if len(found) >= n:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(m.topic, m.payload[:120]) for m in self.messages[-20:]]
                    raise AssertionError(f"timed out waiting for {n} message(s); last seen: {seen}")
                self._cond.wait(left)

    def wait_topic(self, topic: str, n: int = 1, timeout: float = 10.0) -> list[Message]:
        return self.wait_for(lambda m: m.topic == topic, n, timeout)

    def publish(
        self,
        topic: str,
        payload: str | bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        response_topic: str | None = None,
        correlation: bytes | None = None,
    ) -> None:
        properties = None
        if self.v5 and (response_topic or correlation is not None):
            properties = Properties(PacketTypes.PUBLISH)
            if response_topic:
                properties.ResponseTopic = response_topic
            if correlation is not None:
                properties.CorrelationData = correlation
        info = self.mqtt.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if qos:
            info.wait_for_publish(10)

    def close(self) -> None:
        self.mqtt.disconnect()
        self.mqtt.loop_stop()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    if not os.access(MOSQUITTO, os.X_OK):
        pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
    server = Broker(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def client_factory(broker: Broker) -> Iterator[Callable[..., Client]]:
    clients: list[Client] = []

    def make(*topics: str, protocol: int = mqtt.MQTTv5) -> Client:
        client = Client(broker.port, *topics, protocol=protocol)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def mqtt_settings(config: Config, port: int, **changes: Any) -> MQTTConfig:
    base = config.mqtt or MQTTConfig()
    return replace(base, port=port, client_id=f"hub-test-{next(_ids)}", **changes)


@pytest.fixture(scope="session")
def warm_pipeline(example_config: Config) -> Pipeline:
    """The example home on the template tier, warmed up as ``hub run`` does."""
    pipeline = build_pipeline(example_config, "template")
    pipeline.warm()
    return pipeline


@pytest.fixture
def start_daemon(
    broker: Broker, example_config: Config, warm_pipeline: Pipeline
) -> Iterator[Callable[..., Daemon]]:
    """Start a Daemon on the test broker (the example home, templates only, unless given).

    Its policy allows direct commands from ``mqtt/automation`` (``hub/command/automation``)."""
    daemons: list[Daemon] = []

    def start(
        pipeline: Pipeline | None = None, *, policy: SecurityPolicy | None = None, **changes: Any
    ) -> Daemon:
        settings = mqtt_settings(example_config, broker.port, **changes)
        allowed = SecurityConfig(sources=("cli", "speech", f"mqtt/{AUTOMATION}"))
        daemon = Daemon(
            pipeline or warm_pipeline, settings, policy=policy or SecurityPolicy(allowed)
        )
        daemons.append(daemon)
        daemon.start()
        # subscribed, not just connected: a request published earlier would not reach it
        assert daemon.link.wait_listening(10), "the daemon's subscriptions"
        return daemon

    yield start
    for daemon in daemons:
        daemon.stop(drain_seconds=2)


@pytest.fixture
def fake() -> FakeLink:
    """A broker link that keeps what the daemon publishes (tests/mqtt/fakes.py)."""
    return FakeLink()


@pytest.fixture
def pipeline(registry: Registry) -> Iterator[ScriptedPipeline]:
    """A pipeline that turns on the coffee machine, holding at "hold" until released."""
    scripted = ScriptedPipeline(registry)
    yield scripted
    scripted.release.set()
