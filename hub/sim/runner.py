"""The simulator on a broker: publishes the discovery messages and states (retained), and answers
commands with state updates, as Zigbee2MQTT, Tasmota and HA-discovered firmware do.

``silent`` devices never answer (their commands are swallowed); ``set_available`` takes a device
offline or back, on its availability topic. Everything runs on paho's network thread.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from typing import Any

from hub.integrations.homeassistant.sim import PREFIX, SimEntity, ha_home
from hub.integrations.zigbee2mqtt.sim import SimDevice, bridge_devices, bridge_groups, family_home

_LOGGER = logging.getLogger(__name__)


class Simulator:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 1883,
        *,
        size: int = 20,
        base: str = "zigbee2mqtt",
        homeassistant: bool = True,
        silent: Iterable[str] = (),
    ) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.base = base
        self.devices = family_home(size)
        self.by_name = {d.friendly_name: d for d in self.devices}
        self.entities, self.parts, self.device_config = ha_home() if homeassistant else ([], [], {})
        self.homeassistant = homeassistant
        self.silent = set(silent)
        self.commands: list[tuple[str, str]] = []  # every command received, in order
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._sent: list[Any] | None = None  # what publish_all sent, until the broker has it
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"hub-sim-{port}-{size}")
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self.host, self.port = host, port

    # -- life cycle ----------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> None:
        self._client.connect(self.host, self.port)
        self._client.loop_start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"the simulator could not connect to {self.host}:{self.port}")

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def clear(self) -> None:
        """Remove every retained message the simulator published (for a clean broker)."""
        for topic in self._retained_topics():
            self._publish(topic, "", retain=True)

    # -- what it publishes ---------------------------------------------------------------------
    def publish_all(self) -> None:
        """Publish every retained message; returns once the broker has them all."""
        self._sent = []
        self._publish(f"{self.base}/bridge/state", json.dumps({"state": "online"}), retain=True)
        self._publish(f"{self.base}/bridge/devices", bridge_devices(self.devices), retain=True)
        self._publish(f"{self.base}/bridge/groups", bridge_groups(self.devices), retain=True)
        for device in self.devices:
            self._publish(
                f"{self.base}/{device.friendly_name}", json.dumps(device.state), retain=True
            )
            self.set_available(device.friendly_name, True)
        if self.homeassistant:
            for entity in self.entities:
                self._publish(entity.topic, json.dumps(entity.config), retain=True)
            self._publish(
                f"{PREFIX}/device/sim_back_door/config", json.dumps(self.device_config), retain=True
            )
            for entity in self.entities + self.parts:
                for topic, payload in entity.states():
                    self._publish(topic, payload, retain=True)
                self._availability(entity, True)
            self._publish("sim/back_door/availability", "online", retain=True)
        sent, self._sent = self._sent or [], None
        for info in sent:
            info.wait_for_publish(10)

    def set_available(self, name: str, available: bool) -> None:
        """Zigbee2MQTT's availability message for a device (or an HA entity's object id)."""
        if name in self.by_name:
            payload = json.dumps({"state": "online" if available else "offline"})
            self._publish(f"{self.base}/{name}/availability", payload, retain=True)
            return
        for entity in self.entities:
            if entity.object_id == name:
                self._availability(entity, available)

    def announce_devices(self, devices: list[SimDevice]) -> None:
        """A new ``bridge/devices`` (a device joined or left)."""
        self.devices = devices
        self.by_name = {d.friendly_name: d for d in devices}
        self._publish(f"{self.base}/bridge/devices", bridge_devices(devices), retain=True)

    def _availability(self, entity: SimEntity, available: bool) -> None:
        topic = entity.availability()
        if topic is None:
            return
        on = entity.config.get("pl_avail", "online")
        off = entity.config.get("pl_not_avail", "offline")
        self._publish(topic, on if available else off, retain=True)

    def _retained_topics(self) -> list[str]:
        topics = [f"{self.base}/bridge/{t}" for t in ("state", "devices", "groups")]
        for device in self.devices:
            topics += [
                f"{self.base}/{device.friendly_name}",
                f"{self.base}/{device.friendly_name}/availability",
            ]
        for entity in self.entities + self.parts:
            topics += [entity.topic] + [t for t, _ in entity.states()]
            if entity.availability():
                topics.append(str(entity.availability()))
        topics += [f"{PREFIX}/device/sim_back_door/config", "sim/back_door/availability"]
        return topics

    def _publish(self, topic: str, payload: str, *, retain: bool = False) -> None:
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        if self._sent is not None:
            self._sent.append(info)

    # -- paho callbacks --------------------------------------------------------------------------
    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        topics = [(f"{self.base}/#", 0)]
        if self.homeassistant:
            command_topics = {t for e in self.entities + self.parts for t in e.command_topics()}
            topics += [(t, 0) for t in sorted(command_topics)]
        client.subscribe(topics)
        self._ready.set()

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        try:
            self._handle(message.topic, bytes(message.payload).decode())
        except Exception:
            _LOGGER.exception("The simulator failed on %s", message.topic)

    def _handle(self, topic: str, payload: str) -> None:
        if topic.startswith(f"{self.base}/") and topic.endswith("/set"):
            name = topic[len(self.base) + 1 : -len("/set")]
            with self._lock:
                self.commands.append((topic, payload))
            if name in self.silent:
                return
            self._zigbee_set(name, json.loads(payload))
            return
        for entity in self.entities + self.parts:
            if topic in entity.command_topics():
                with self._lock:
                    self.commands.append((topic, payload))
                if entity.object_id in self.silent:
                    return
                for state_topic, state in entity.command(topic, payload):
                    self._publish(state_topic, state, retain=True)
                return

    def _zigbee_set(self, name: str, command: dict[str, Any]) -> None:
        device = self.by_name.get(name)
        if device is not None:
            device.apply(command)
            self._publish(f"{self.base}/{name}", json.dumps(device.state), retain=True)
            return
        if name == "Downstairs Ceilings":  # the group: every member, then the group's state
            members = [
                self.by_name[n]
                for n in ("Kitchen/Ceiling", "Living Room/Ceiling")
                if n in self.by_name
            ]
            for member in members:
                member.apply(command)
                self._publish(
                    f"{self.base}/{member.friendly_name}", json.dumps(member.state), retain=True
                )
            if members:
                state = {
                    k: members[0].state[k] for k in ("state", "brightness") if k in members[0].state
                }
                self._publish(f"{self.base}/{name}", json.dumps(state), retain=True)
