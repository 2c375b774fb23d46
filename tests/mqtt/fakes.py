"""A fake broker link and a scripted pipeline for the daemon's unit tests: sharper than a
broker for timing questions (full queue, stale request, drain deadline)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from hub.config import MQTTConfig
from hub.integrations.router import OutMessage
from hub.messages import Command, Reply, Request
from hub.mqtt.daemon import Daemon
from hub.mqtt.inbound import Inbound
from hub.pipeline import Pipeline
from hub.registry import Registry

COFFEE = Command("switch.turn_on", ("switch.coffee_machine",))


class Sent:
    """Actions the fake broker took: acknowledged or not, as its link says."""

    def __init__(self, acknowledged: bool) -> None:
        self.acknowledged = acknowledged

    def wait(self, timeout: float) -> bool:
        return self.acknowledged


class FakeLink:
    client_id = "hub-fake"

    def __init__(self) -> None:
        self.up = True
        self.acknowledge = True  # False: the connection drops before the broker's PUBACK
        self.running = False
        self.sent: list[tuple[str, str, bool, bytes | None]] = []
        self.actions: list[OutMessage] = []
        self.lock = threading.Lock()

    @property
    def online(self) -> bool:
        return self.up

    def wait_listening(self, timeout: float) -> bool:
        return self.up

    def start(self) -> None:
        self.running = True

    def stop(self, timeout: float = 3.0) -> None:
        self.running = False

    def alive(self) -> bool:
        return self.running

    def publish(
        self,
        topic: str,
        payload: str | bytes,
        *,
        retain: bool = False,
        expiry: int | None = None,
        correlation: bytes | None = None,
    ) -> bool:
        if not self.up:
            return False
        with self.lock:
            text = payload if isinstance(payload, str) else payload.decode()
            self.sent.append((topic, text, retain, correlation))
        return True

    def publish_actions(self, messages: list[OutMessage], *, expiry: int | None) -> Sent | None:
        if not self.up:
            return None
        with self.lock:
            self.actions.extend(messages)
        return Sent(self.acknowledge)

    def answers(self, topic: str = "hub/response") -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(p) for t, p, _, _ in self.sent if t == topic]


class ScriptedPipeline(Pipeline):
    """Turns on the coffee machine for every request; waits at "hold" until released."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.tiers = []
        self.release = threading.Event()
        self.holding = threading.Event()
        self.seen: list[str] = []

    def ask(self, request: Request, *, fast: bool = False) -> Reply:
        self.seen.append(request.text)
        if request.text.startswith("hold"):
            self.holding.set()
            self.release.wait(10)
        if request.text == "crash":
            raise RuntimeError("boom")
        return Reply(text=request.text, commands=(COFFEE,), reply="ok", tier="fake", ms=1.0)


def make_daemon(pipeline: Pipeline, settings: MQTTConfig, link: FakeLink) -> Daemon:
    daemon = Daemon(pipeline, settings, link_factory=lambda d: link)
    daemon.start()
    return daemon


def request(text: str, request_id: str | None = None, *, ago: float = 0.0, **extra: Any) -> Inbound:
    body: dict[str, Any] = {"text": text, **extra}
    if request_id is not None:
        body["id"] = request_id
    payload = json.dumps(body).encode()
    return Inbound("hub/request", payload, received=time.perf_counter() - ago, size=len(payload))
