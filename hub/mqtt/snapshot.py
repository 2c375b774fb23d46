"""One look at the bus: the home as discovery sees it now (``hub devices --discover``).

Connects, collects the retained discovery and state messages for a moment, subscribes to the
state topics the discovered entities name, collects again, and returns the registry built from
all of it, with what was refused and why. The daemon does the same continuously
(``hub.mqtt.live``), with the same size limit and the same checks.
"""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass

from hub.config import Config
from hub.errors import ConfigError
from hub.integrations.discovered import Rejection
from hub.mqtt.inbound import Inbound
from hub.mqtt.live import LiveHome, Update
from hub.registry import Registry


@dataclass(frozen=True)
class Snapshot:
    registry: Registry
    origins: dict[str, str]  # entity id -> config, zigbee2mqtt or homeassistant
    rejected: tuple[Rejection, ...]  # what discovery refused, and why


def snapshot(config: Config, seconds: float = 2.0) -> Snapshot:
    """The home the bus describes now; raises ConfigError without mqtt/discovery."""
    if config.mqtt is None or config.discovery is None:
        raise ConfigError("discovery", "--discover needs the mqtt: and discovery: sections")
    from hub.mqtt.client import MQTTLink

    live = LiveHome(config.registry(), config.discovery, config.mqtt.prefix)
    inbox: queue.SimpleQueue[Inbound] = queue.SimpleQueue()

    def receive(message: Inbound) -> None:  # paho's thread, as in the daemon
        if live.admit(message.topic, message.size):
            inbox.put(message)

    link = MQTTLink(
        config.mqtt,
        status_topic=None,
        subscriptions=live.wildcards(),
        on_message=receive,
        client_id=f"{config.mqtt.client_id or 'hub'}-devices-{int(time.time())}",
    )
    link.start()
    try:
        if not link.wait_online(seconds + 5):
            raise ConfigError("mqtt", f"cannot reach the MQTT broker at {link.where}")
        registry = live.built.registry
        registry = _collect(live, registry, inbox, seconds)
        link.subscribe(sorted(live.exact_topics()))
        registry = _collect(live, registry, inbox, min(1.0, seconds))
    finally:
        link.stop()
    return Snapshot(registry, dict(live.built.origins), live.rejected)


def _collect(
    live: LiveHome, registry: Registry, inbox: queue.SimpleQueue[Inbound], seconds: float
) -> Registry:
    deadline = time.monotonic() + seconds
    update = Update()
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = inbox.get(timeout=left)
        except queue.Empty:
            break
        live.handle(message.topic, message.payload, update)
    # one look: everything that came is applied, whatever the rebuild interval
    return live.registry(registry, update, force=True)
