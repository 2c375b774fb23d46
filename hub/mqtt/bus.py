"""The live bus: discovery and state messages, applied by the worker between two requests.

paho's thread puts them on an unbounded queue of their own (their size is checked by
``LiveHome.admit``) and wakes the worker once; the worker applies up to ``BUS_BATCH`` of them
before each request, so ``pipeline.registry`` and the router change only between requests.
When the home's structure changed, the state topics it names are followed, and once the bus
has been quiet for a moment the tiers are prepared for the new home.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from hub.mqtt.inbound import Inbound
from hub.mqtt.link import Link
from hub.mqtt.live import LiveHome, Update
from hub.mqtt.verification import Verification
from hub.pipeline import Pipeline
from hub.registry import Registry
from hub.store.events import Event

_LOGGER = logging.getLogger(__name__)

BUS_BATCH = 2000  # bus messages applied at most between two requests
WARM_DELAY = 0.5  # seconds of a quiet bus after a change of the home before the tiers rebuild


class Bus:
    def __init__(
        self,
        live: LiveHome,
        pipeline: Pipeline,
        *,
        on_home: Callable[[Registry, bool], None],
        emit: Callable[[Event], None],
        wake: Callable[[], None],
        verification: Verification | None = None,
        prepare_model: Callable[[], None] | None = None,
    ) -> None:
        """``on_home(registry, structure)``: the home is now ``registry`` (``structure``: devices
        came, went or changed how they are reached); ``wake``: wake the worker;
        ``prepare_model``: have the model's thread prepare its prompt for the changed home."""
        self.live = live
        self.pipeline = pipeline
        self.verification = verification
        self._on_home = on_home
        self._emit = emit
        self._wake = wake
        self._prepare_model = prepare_model
        self.link: Link | None = None  # to follow the state topics the home names
        self._queue: queue.SimpleQueue[Inbound] = queue.SimpleQueue()
        self._nudged = False
        self._nudge_lock = threading.Lock()
        self.warm_at: float | None = None  # when to prepare the tiers for a changed home
        self.exact: set[str] = live.exact_topics()

    # -- paho's thread ----------------------------------------------------------------------
    def offer(self, inbound: Inbound) -> None:
        """A discovery or state message: queued (unless over ``discovery.max_payload``)."""
        if self.live.admit(inbound.topic, inbound.size):
            self._queue.put(inbound)
            self._nudge()

    def _nudge(self) -> None:
        """Wake the worker for bus messages (one wake-up in the queue at most)."""
        with self._nudge_lock:
            if self._nudged:
                return
            self._nudged = True
        self._wake()

    # -- the worker -------------------------------------------------------------------------
    @property
    def settled(self) -> bool:
        """No bus message waits (nor discovery held back by its rebuild interval) and the
        tiers are prepared for the current home."""
        held = bool(self.live.pending)
        return self._queue.empty() and self.warm_at is None and not self._nudged and not held

    def drain(self) -> None:
        with self._nudge_lock:
            self._nudged = False
        update = Update()
        for _ in range(BUS_BATCH):
            try:
                message = self._queue.get_nowait()
            except queue.Empty:
                break
            try:
                self.live.handle(message.topic, message.payload, update)
            except Exception:
                _LOGGER.exception("Failed on a bus message from %s; skipped", message.topic)
        if update or self.live.due():  # due: discovery held back by the rebuild interval
            self._apply(update)

    def warm_when_quiet(self) -> None:
        """Once the bus has been quiet for a moment after the home changed, have the tiers
        prepared for the new registry: the template tier's matcher (about a second for
        hundreds of devices) and the model's prompt (tens of seconds), on the model's thread,
        so that no request waits for them (meanwhile templates match with hassil alone)."""
        if self.warm_at is None or time.monotonic() < self.warm_at or not self._queue.empty():
            return
        if self._prepare_model is not None:
            self._prepare_model()
        else:
            self.pipeline.warm(llm=False)
        self.warm_at = None

    def _apply(self, update: Update) -> None:
        live = self.live
        before = self.pipeline.registry
        registry = live.registry(before, update)
        self._on_home(registry, update.structure)
        if update.structure:
            self._resubscribe()
            self.warm_at = time.monotonic() + WARM_DELAY
            origins = [live.built.origins.get(d.entity_id, "config") for d in registry.devices]
            _LOGGER.info(
                "The home changed: %d devices (%d config, %d zigbee2mqtt, %d homeassistant), "
                "version %s -> %s",
                len(registry.devices),
                origins.count("config"),
                origins.count("zigbee2mqtt"),
                origins.count("homeassistant"),
                before.version,
                registry.version,
            )
        for entity_id, available in update.availability.items():
            _LOGGER.log(
                logging.INFO if available else logging.WARNING,
                "%s is %s",
                entity_id,
                "available again" if available else "unavailable",
            )
            self._emit(
                Event(
                    kind="device",
                    source="discovery",
                    entity_id=entity_id,
                    text=f"{entity_id} {'available' if available else 'unavailable'}",
                    detail={"available": available},
                )
            )
        if self.verification is None:
            return
        seen = dict(update.states)
        for entity_id in update.availability:
            device = registry.device(entity_id)
            if device is not None and device.state.state == "unavailable":
                seen[entity_id] = device.state
        self.verification.observe(seen)

    def _resubscribe(self) -> None:
        """Follow the state topics the home now names (``MQTTLink.subscribe``; a link without
        it, as in some tests, gets the wildcards only)."""
        exact = self.live.exact_topics()
        new, gone = sorted(exact - self.exact), sorted(self.exact - exact)
        self.exact = exact
        subscribe = getattr(self.link, "subscribe", None)
        unsubscribe = getattr(self.link, "unsubscribe", None)
        if new and subscribe is not None:
            subscribe(new)
        if gone and unsubscribe is not None:
            unsubscribe(gone)
