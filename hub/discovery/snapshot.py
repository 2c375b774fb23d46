"""One look at the bus: the home as discovery sees it now (``hub devices --discover``).

Connects, collects the retained discovery and state messages for a moment, subscribes to the
state topics the discovered entities name, collects again, and returns the registry built from
all of it. The daemon does the same continuously (``hub.mqtt.live``).
"""

from __future__ import annotations

import queue
import time

from hub.config import Config
from hub.errors import ConfigError
from hub.mqtt.inbound import Inbound
from hub.mqtt.live import LiveHome, Update
from hub.registry import Registry


def snapshot(config: Config, seconds: float = 2.0) -> tuple[Registry, dict[str, str]]:
    """The registry and each entity's origin; raises ConfigError without mqtt/discovery."""
    if config.mqtt is None or config.discovery is None:
        raise ConfigError("discovery", "--discover needs the mqtt: and discovery: sections")
    from hub.mqtt.client import MQTTLink

    live = LiveHome(config.registry(), config.discovery, config.mqtt.prefix)
    inbox: queue.SimpleQueue[Inbound] = queue.SimpleQueue()
    link = MQTTLink(
        config.mqtt,
        status_topic=None,
        subscriptions=live.wildcards(),
        on_message=inbox.put,
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
    return registry, dict(live.built.origins)


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
    return live.registry(registry, update) if update else registry
