"""The broker dies mid-run and comes back: the hub refuses to act while it is away, never sends
the stale action later, reconnects by itself and serves the requests that come after."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable

from hub.messages import Reply, Request
from hub.mqtt.daemon import Daemon
from hub.pipeline import Pipeline
from tests.mqtt.conftest import Broker, Client, wait_until

STALE = "lock the front door"
STALE_TOPIC = "zigbee2mqtt/Front Door Lock/set"


class GatedPipeline(Pipeline):
    """The template pipeline, but a request for the stale text waits until the test says go."""

    def __init__(self, inner: Pipeline) -> None:
        self.inner = inner
        self.registry = inner.registry
        self.tiers = inner.tiers
        self.entered = threading.Event()
        self.go = threading.Event()

    def ask(self, request: Request, *, fast: bool = False) -> Reply:
        if request.text == STALE:
            self.entered.set()
            self.go.wait(30)
        return self.inner.ask(request)


def test_broker_killed_and_restarted_no_stale_action_and_later_requests_served(
    broker: Broker,
    start_daemon: Callable[..., Daemon],
    client_factory: Callable[..., Client],
    warm_pipeline: Pipeline,
) -> None:
    gate = GatedPipeline(warm_pipeline)
    daemon = start_daemon(gate)
    devices = client_factory("zigbee2mqtt/#", "cmnd/#")
    requester = client_factory("hub/response")

    # A request is being worked on when the broker dies.
    requester.publish("hub/request", json.dumps({"text": STALE, "id": "stale"}))
    assert gate.entered.wait(10)
    broker.kill()
    wait_until(lambda: not daemon.link.online, 10, "the daemon to notice the broker is gone")
    gate.go.set()
    wait_until(lambda: daemon.stats.errors.get("broker_unavailable"), 10, "the refusal")
    assert daemon.stats.acted == 0

    broker.restart()
    wait_until(lambda: daemon.link.online, 15, "the daemon to reconnect")
    # Online comes with CONNACK; a request published before its SUBACK would go nowhere.
    assert daemon.link.wait_listening(15), "the daemon's subscriptions after reconnecting"
    wait_until(lambda: devices.subscribes >= 2 and requester.subscribes >= 2, 15, "test clients")

    requester.publish(
        "hub/request", json.dumps({"text": "turn on the coffee machine", "id": "later"})
    )
    [action] = devices.wait_topic("cmnd/coffee/POWER")
    assert action.text == "ON"
    later = requester.wait_for(lambda m: m.json().get("id") == "later")[0].json()
    assert "error" not in later

    # The stale action never reached the restarted broker: not resent by paho, not queued by us.
    daemon.stop(drain_seconds=1)
    broker.stop()  # flushes its log
    log = broker.log_text()
    client = re.escape(daemon.link.client_id)
    received = re.findall(rf"Received PUBLISH from {client} \(.*?'([^']*)'", log)
    assert "cmnd/coffee/POWER" in received
    assert STALE_TOPIC not in received
    assert devices.on(STALE_TOPIC) == []
    # The refusal itself was held while the broker was away and delivered after reconnecting.
    assert "hub/response" in received
