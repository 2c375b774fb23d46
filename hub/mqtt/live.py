"""The daemon's live view of the home: discovery and state messages in, registry updates out.

Only the daemon's worker thread calls ``LiveHome``; paho's thread just queues the messages. Each
message either changes the structure (a ``bridge/devices``, ``bridge/groups`` or HA discovery
config: the home is rebuilt and gets a new registry version) or a device's state or availability
(the registry is re-stated, its version unchanged). ``Update`` says which, so the worker swaps
``pipeline.registry`` and the Router once per batch, between requests.

State messages that arrive before the discovery message naming their device (retained messages
come in any order) are kept, and read once the device is known.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field

from hub.config.discovery import DiscoveryConfig
from hub.discovery.homeassistant import DiscoveryPayloadError, is_config_topic, parse_config
from hub.discovery.merge import Built, Home
from hub.discovery.model import Discovered
from hub.discovery.zigbee2mqtt import (
    Zigbee2MQTTError,
    member_index,
    parse_devices,
    parse_groups,
)
from hub.registry import Registry, State
from hub.state.base import StateSource

_LOGGER = logging.getLogger(__name__)

UNROUTED_MAX = 5000  # state messages kept for devices not discovered yet


@dataclass
class Update:
    """What a batch of bus messages changed."""

    structure: bool = False
    states: dict[str, State] = field(default_factory=dict)  # every state read, changed or not
    availability: dict[str, bool] = field(default_factory=dict)  # only changes

    def __bool__(self) -> bool:
        return self.structure or bool(self.states) or bool(self.availability)


class LiveHome:
    def __init__(
        self, registry: Registry, settings: DiscoveryConfig, own_prefix: str = "hub"
    ) -> None:
        self.settings = settings
        self.own = own_prefix + "/"  # the hub's own HA discovery announcements are not devices
        self.base = settings.zigbee2mqtt_base
        self.home = Home(
            registry.floors, registry.areas, registry.devices, settings, settings.zigbee2mqtt_base
        )
        self._groups_payload: bytes | None = None
        self._z2m_devices: list[Discovered] = []
        self._unrouted: OrderedDict[str, bytes] = OrderedDict()
        self.built: Built = self.home.build()
        self._index = self.built.topics()

    # -- subscriptions -----------------------------------------------------------------------
    def wildcards(self) -> list[str]:
        topics: list[str] = []
        if self.settings.zigbee2mqtt:
            topics.append(f"{self.base}/#")
        if self.settings.homeassistant:
            prefix = self.settings.discovery_prefix
            topics += [f"{prefix}/+/+/config", f"{prefix}/+/+/+/config"]
        return topics

    def exact_topics(self) -> set[str]:
        """State and availability topics the wildcards do not cover."""
        covered = f"{self.base}/" if self.settings.zigbee2mqtt else None
        return {t for t in self._index if covered is None or not t.startswith(covered)}

    # -- messages ----------------------------------------------------------------------------
    def handle(self, topic: str, payload: bytes, update: Update) -> None:
        """Apply one bus message to the home; what changed is added to ``update``."""
        if self._discovery(topic, payload, update):
            return
        targets = self._index.get(topic)
        if not targets:
            if not topic.endswith(("/set", "/get")) and "/bridge/" not in topic:
                self._unrouted[topic] = payload
                self._unrouted.move_to_end(topic)
                while len(self._unrouted) > UNROUTED_MAX:
                    self._unrouted.popitem(last=False)
            return
        self._read(topic, payload, targets, update)

    def registry(self, current: Registry, update: Update) -> Registry:
        """The registry to serve after ``update`` (rebuilt, or only re-stated)."""
        if update.structure:
            self.built = self.home.build()
            self._index = self.built.topics()
            replay = [(t, p) for t, p in self._unrouted.items() if t in self._index]
            for topic, payload in replay:
                del self._unrouted[topic]
                self._read(topic, payload, self._index[topic], update)
            self.built = Built(
                self.home.restate(
                    self.built.registry, [d.entity_id for d in self.built.registry.devices]
                ),
                self.built.bindings,
                self.built.sources,
                self.built.origins,
            )
            return self.built.registry
        return self.home.restate(current, [*update.states, *update.availability])

    def _read(
        self, topic: str, payload: bytes, targets: list[tuple[str, StateSource]], update: Update
    ) -> None:
        for entity_id, source in targets:
            available = source.available(topic, payload)
            if available is not None:
                if self.home.available.get(entity_id, True) != available:
                    update.availability[entity_id] = available
                self.home.available[entity_id] = available
                continue
            current = self.home.states.get(entity_id) or self._known_state(entity_id)
            try:
                state = source.read(topic, payload, current)
            except (TypeError, ValueError, ArithmeticError) as exc:
                _LOGGER.warning("Could not read the state of %s from %s: %s", entity_id, topic, exc)
                continue
            if state is not None:
                self.home.states[entity_id] = state
                update.states[entity_id] = state

    def _known_state(self, entity_id: str) -> State:
        device = self.built.registry.device(entity_id)
        if device is None or device.state.state == "unavailable":
            return State()
        return device.state

    def _discovery(self, topic: str, payload: bytes, update: Update) -> bool:
        settings = self.settings
        if settings.zigbee2mqtt and topic == f"{self.base}/bridge/devices":
            try:
                self._z2m_devices = parse_devices(payload, settings, self.home.areas)
            except Zigbee2MQTTError as exc:
                _LOGGER.warning("Ignored %s: %s", topic, exc)
                return True
            changed = self.home.replace_group("zigbee2mqtt:devices", self._z2m_devices)
            if self._groups_payload is not None:
                changed |= self._groups(self._groups_payload)
            if changed:
                _LOGGER.info(
                    "Zigbee2MQTT: %d entities from %s (%d bytes)",
                    len(self._z2m_devices),
                    topic,
                    len(payload),
                )
            update.structure |= changed
            return True
        if settings.zigbee2mqtt and topic == f"{self.base}/bridge/groups":
            self._groups_payload = payload
            update.structure |= self._groups(payload)
            return True
        if settings.homeassistant and is_config_topic(topic, settings.discovery_prefix):
            try:
                found = parse_config(topic, payload, settings, self.home.areas)
            except DiscoveryPayloadError as exc:
                _LOGGER.warning("Ignored the discovery config on %s: %s", topic, exc)
                found = []
            found = [d for d in found if not self._own(d)]
            if self.home.replace_group(topic, found):
                _LOGGER.info(
                    "Home Assistant discovery: %s %s",
                    topic,
                    ", ".join(d.device.entity_id for d in found) or "removed",
                )
                update.structure = True
            return True
        return False

    def _own(self, item: Discovered) -> bool:
        source = item.source
        topics = (*source.topics(), *source.availability_topics()) if source is not None else ()
        return any(t.startswith(self.own) for t in topics)

    def _groups(self, payload: bytes) -> bool:
        try:
            found = parse_groups(
                payload, self.settings, member_index(self._z2m_devices), self.home.areas
            )
        except Zigbee2MQTTError as exc:
            _LOGGER.warning("Ignored %s/bridge/groups: %s", self.base, exc)
            return False
        return self.home.replace_group("zigbee2mqtt:groups", found)
