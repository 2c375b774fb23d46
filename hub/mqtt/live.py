"""The daemon's live view of the home: discovery and state messages in, registry updates out.

Only the daemon's worker thread calls ``LiveHome``, except ``admit``, which paho's thread calls
before it queues a message: a message over ``discovery.max_payload`` is dropped there, unread,
with one warning per topic. Each message either changes the structure (a ``bridge/devices``,
``bridge/groups`` or HA discovery config: the home is rebuilt and gets a new registry version)
or a device's state or availability (the registry is re-stated, its version unchanged).
``Update`` says which, so the worker swaps ``pipeline.registry`` and the Router once per batch,
between requests.

Discovery messages wait for their source's round (``hub.discovery.throttle``): a quiet source
is applied in the same batch, a busy one at most once per ``discovery.rebuild_interval``, its
messages coalesced (the last per topic wins). ``due()`` tells the worker when a round has come
though no new message did.

State messages that arrive before the discovery message naming their device (retained messages
come in any order) are kept, and read once the device is known.

With ``discovery.statestream``, Home Assistant's ``mqtt_statestream`` gives its state to each
device that has no other: a config device bound to Home Assistant, or an HA discovery entity
without a state topic (``hub.integrations.homeassistant.statestream`` says why the others keep
their own). Each such
device is subscribed to on its own (``<base>/<domain>/<object_id>/+``), so the rest of HA's
entities never reach hub, and the subscription made when a device appears brings its retained
state. A message about any other entity is ignored: statestream is state, never discovery.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from hub.config.binding import BindingSpecError, parse_binding
from hub.config.discovery import DiscoveryConfig
from hub.discovery.merge import Built, Home
from hub.discovery.throttle import Throttle
from hub.integrations.discovered import Discovered, Rejection
from hub.integrations.homeassistant.discovery import (
    DiscoveryPayloadError,
    is_config_topic,
    parse_config,
)
from hub.integrations.homeassistant.statestream import MAX_ATTRIBUTES, Ignored, Statestream
from hub.integrations.state import StateSource
from hub.integrations.zigbee2mqtt.discovery import (
    Zigbee2MQTTError,
    member_index,
    parse_devices,
    parse_groups,
)
from hub.registry import Registry, State

_LOGGER = logging.getLogger(__name__)

UNROUTED_MAX = 5000  # state messages kept for devices not discovered yet
OVERSIZED_MAX = 1000  # topics whose too-large messages are remembered (and logged) one by one
IGNORED_MAX = 1000  # statestream topics whose unusable messages are logged once each


@dataclass
class Update:
    """What a batch of bus messages changed."""

    structure: bool = False
    states: dict[str, State] = field(default_factory=dict)  # every state read, changed or not
    availability: dict[str, bool] = field(default_factory=dict)  # only changes
    discovery: bool = False  # discovery messages came, applied when their source's round comes

    def __bool__(self) -> bool:
        return self.structure or self.discovery or bool(self.states) or bool(self.availability)


class LiveHome:
    def __init__(
        self,
        registry: Registry,
        settings: DiscoveryConfig,
        own_prefix: str = "hub",
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.base = settings.zigbee2mqtt_base
        self.home = Home(
            registry.floors,
            registry.areas,
            registry.devices,
            settings,
            settings.zigbee2mqtt_base,
            own_prefix,
        )
        self.throttle = Throttle(settings.rebuild_interval, clock=clock)
        self._groups_payload: bytes | None = None
        self._z2m_devices: list[Discovered] = []
        self._unrouted: OrderedDict[str, bytes] = OrderedDict()
        self._oversized: dict[str, int] = {}  # topic -> size of its last message dropped
        self._oversized_lock = threading.Lock()  # admit runs on paho's thread
        self._applying = 0  # 1 while registry() applies a round (read by ``pending``)
        self.stream = Statestream(settings.statestream) if settings.statestream else None
        self._ignored: set[str] = set()  # statestream topics logged as unusable (worker only)
        self.built: Built = self.home.build()
        self._index = self.built.topics()
        self.streamed = self._streamed()

    # -- paho's thread -----------------------------------------------------------------------
    def admit(self, topic: str, size: int) -> bool:
        """Whether a bus message of ``size`` bytes may be queued for the worker.

        A larger one than ``discovery.max_payload`` would hold the worker for seconds while it
        is parsed (a 15 MB ``bridge/devices`` took 9 s), so it is dropped here, unread, with
        one warning for its topic until a message of a usable size comes on it again.
        """
        limit = self.settings.max_payload
        with self._oversized_lock:
            if size <= limit:
                if self._oversized:
                    self._oversized.pop(topic, None)
                return True
            known = topic in self._oversized
            first = not known and len(self._oversized) < OVERSIZED_MAX  # else: dropped unlisted
            if known or first:
                self._oversized[topic] = size
        if first:
            _LOGGER.warning(
                "Dropped a %d-byte message on %s unread: discovery.max_payload is %d bytes "
                "(more on this topic are dropped without another warning)",
                size,
                topic,
                limit,
            )
        return False

    @property
    def rejected(self) -> tuple[Rejection, ...]:
        """What was refused: too-large messages, then discovered entities (``Built.rejected``)."""
        limit = self.settings.max_payload
        with self._oversized_lock:
            oversized = sorted(self._oversized.items())
        dropped = tuple(
            Rejection(
                topic,
                f"its last message was {size} bytes, over discovery.max_payload ({limit} bytes), "
                "so it was dropped unread",
                topic=topic,
            )
            for topic, size in oversized
        )
        return dropped + self.built.rejected

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
        """State and availability topics the wildcards do not cover, and one statestream
        filter per device that takes it."""
        covered = f"{self.base}/" if self.settings.zigbee2mqtt else None
        topics = {t for t in self._index if covered is None or not t.startswith(covered)}
        if self.stream is not None:
            topics.update(self.stream.filter(entity_id) for entity_id in self.streamed)
        return topics

    # -- messages ----------------------------------------------------------------------------
    def handle(self, topic: str, payload: bytes, update: Update) -> None:
        """Apply one bus message to the home; what changed is added to ``update``."""
        source = self._discovery_source(topic)
        if source is not None:
            self.throttle.offer(source, topic, payload)
            update.discovery = True
            return
        streamed = False
        if self.stream is not None and self.stream.covers(topic):
            streamed = True
            self._statestream(self.stream, topic, payload, update)
        targets = self._index.get(topic)
        if not targets:
            if not streamed and not topic.endswith(("/set", "/get")) and "/bridge/" not in topic:
                self._unrouted[topic] = payload
                self._unrouted.move_to_end(topic)
                while len(self._unrouted) > UNROUTED_MAX:
                    self._unrouted.popitem(last=False)
            return
        self._read(topic, payload, targets, update)

    def due(self) -> bool:
        """Whether discovery messages wait whose round has come (call ``registry`` then)."""
        return self.throttle.due()

    @property
    def pending(self) -> int:
        """Discovery messages waiting for their source's next round, or being applied (0: the
        home is built from every discovery message handled so far; other threads may ask)."""
        return self.throttle.waiting + self._applying

    def registry(self, current: Registry, update: Update, *, force: bool = False) -> Registry:
        """The registry to serve after ``update`` (rebuilt, or only re-stated), with the
        discovery messages whose round has come (``force``: all of them) applied first."""
        started = time.perf_counter()
        self._applying = 1
        try:
            return self._registry(current, update, force, started)
        finally:
            self._applying = 0

    def _registry(self, current: Registry, update: Update, force: bool, started: float) -> Registry:
        rounds = self.throttle.take(force=force)
        if rounds:
            self._discovery(rounds, update)
        if update.structure:
            self.built = self.home.build()
            self._index = self.built.topics()
            self.streamed = self._streamed()
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
                self.built.rejected,
            )
            registry = self.built.registry
        else:
            registry = self.home.restate(current, [*update.states, *update.availability])
        if rounds:  # parsing costs even when nothing changed (the same payload again)
            self.throttle.charge(tuple(rounds), time.perf_counter() - started)
        return registry

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

    # -- Home Assistant's mqtt_statestream ----------------------------------------------------
    def _streamed(self) -> frozenset[str]:
        """The devices that take their state from statestream: those hub commands through
        Home Assistant by their entity id, which is HA's (config devices with the
        ``homeassistant`` binding and no state topic of their own), and HA discovery entities
        that name no state topic (they keep their availability topic, if any)."""
        if self.stream is None:
            return frozenset()
        built = self.built
        out: set[str] = set()
        for device in built.registry.devices:
            entity_id = device.entity_id
            source = built.sources.get(entity_id)
            origin = built.origins.get(entity_id, "config")
            if origin == "homeassistant":
                if source is None or not source.topics():
                    out.add(entity_id)
                continue
            if origin != "config" or source is not None:
                continue  # a Zigbee2MQTT entity, or a config device read on its own topics
            try:
                spec = parse_binding(device.binding, entity_id)
            except BindingSpecError:  # checked when the config loaded
                continue
            if spec.type == "homeassistant":
                out.add(entity_id)
        return frozenset(out)

    def _statestream(self, stream: Statestream, topic: str, payload: bytes, update: Update) -> None:
        reading = stream.read(topic, payload)
        if isinstance(reading, Ignored):
            if reading.entity_id in self.streamed:
                self._ignore(reading)
            return
        if reading is None or reading.entity_id not in self.streamed:
            return  # a timestamp; an entity hub does not know, or one with its own state
        entity_id = reading.entity_id
        available = reading.available
        if available is not None:
            if self.home.available.get(entity_id, True) != available:
                update.availability[entity_id] = available
            self.home.available[entity_id] = available
            if not available:
                self._ignored.discard(topic)
                return  # its last state is kept for when it comes back
        current = self.home.states.get(entity_id) or self._known_state(entity_id)
        state = reading.apply(current)
        if state is None:
            self._ignore(Ignored(topic, f"{entity_id} has {MAX_ATTRIBUTES} attributes already"))
            return
        self._ignored.discard(topic)
        self.home.states[entity_id] = state
        update.states[entity_id] = state

    def _ignore(self, ignored: Ignored) -> None:
        """One warning per topic, until a usable message comes on it again."""
        if ignored.topic in self._ignored or len(self._ignored) >= IGNORED_MAX:
            return
        self._ignored.add(ignored.topic)
        _LOGGER.warning(
            "Ignored a message on %s from Home Assistant's statestream: %s "
            "(more on this topic are ignored without another warning)",
            ignored.topic,
            ignored.reason,
        )

    def _known_state(self, entity_id: str) -> State:
        device = self.built.registry.device(entity_id)
        if device is None or device.state.state == "unavailable":
            return State()
        return device.state

    def _discovery_source(self, topic: str) -> str | None:
        """The throttle's source of a discovery message; None for any other message."""
        settings = self.settings
        if settings.zigbee2mqtt and topic in (
            f"{self.base}/bridge/devices",
            f"{self.base}/bridge/groups",
        ):
            return "zigbee2mqtt"
        if settings.homeassistant and is_config_topic(topic, settings.discovery_prefix):
            return "homeassistant"
        return None

    def _discovery(self, rounds: dict[str, dict[str, bytes]], update: Update) -> None:
        """Apply the discovery messages of a round: the bridge's devices before its groups
        (which name devices), then the Home Assistant configs in the order they came."""
        bridge = rounds.get("zigbee2mqtt", {})
        devices = bridge.get(f"{self.base}/bridge/devices")
        if devices is not None:
            self._bridge_devices(devices, update)
        groups = bridge.get(f"{self.base}/bridge/groups")
        if groups is not None:
            self._groups_payload = groups
            update.structure |= self._groups(groups)
        for topic, payload in rounds.get("homeassistant", {}).items():
            self._config(topic, payload, update)

    def _bridge_devices(self, payload: bytes, update: Update) -> None:
        topic = f"{self.base}/bridge/devices"
        try:
            self._z2m_devices = parse_devices(payload, self.settings, self.home.areas)
        except Zigbee2MQTTError as exc:
            _LOGGER.warning("Ignored %s: %s", topic, exc)
            return
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

    def _config(self, topic: str, payload: bytes, update: Update) -> None:
        try:
            found = parse_config(topic, payload, self.settings, self.home.areas)
        except DiscoveryPayloadError as exc:
            _LOGGER.warning("Ignored the discovery config on %s: %s", topic, exc)
            found = []
        if self.home.replace_group(topic, found):
            _LOGGER.info(
                "Home Assistant discovery: %s %s",
                topic,
                ", ".join(d.device.entity_id for d in found) or "removed",
            )
            update.structure = True

    def _groups(self, payload: bytes) -> bool:
        try:
            found = parse_groups(
                payload, self.settings, member_index(self._z2m_devices), self.home.areas
            )
        except Zigbee2MQTTError as exc:
            _LOGGER.warning("Ignored %s/bridge/groups: %s", self.base, exc)
            return False
        return self.home.replace_group("zigbee2mqtt:groups", found)
