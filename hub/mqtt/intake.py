"""Intake: what arrives, on paho's network thread or from a local producer, is checked for size
and queued for the worker, or answered at once ("busy", "shutting_down"); never dropped
silently, and nothing here runs the pipeline.

The request queue is bounded by ``mqtt.queue_size``, counting only live messages: what the
broker kept while the hub was away (its own limit bounds that) is answered, never "busy".
Discovery and state messages go to the live bus instead (``hub.mqtt.bus``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from hub.config import MQTTConfig
from hub.messages import Request
from hub.mqtt.bus import Bus
from hub.mqtt.inbound import Inbound
from hub.mqtt.record import Recorder
from hub.mqtt.stats import Stats
from hub.mqtt.topics import Topics

_LOGGER = logging.getLogger(__name__)

WAKE = Inbound(topic="", payload=b"")  # on the request queue: wakes the worker


class Intake:
    def __init__(
        self,
        settings: MQTTConfig,
        topics: Topics,
        stats: Stats,
        *,
        reject: Callable[[Inbound, str, str, bool], None],
        bus: Bus | None = None,
    ) -> None:
        """``reject(inbound, code, message, log)``: answer ``inbound`` at once with an error."""
        self.settings = settings
        self.topics = topics
        self.stats = stats
        self.bus = bus
        self.recorder: Recorder | None = None  # summaries: topics kept in the event log
        self._reject = reject
        self._queue: queue.Queue[Inbound] = queue.Queue()
        self._live = 0  # live messages in _queue
        self._live_lock = threading.Lock()
        self.accepting = True
        self._busy_streak = 0  # requests answered "busy" since the queue last had room
        self._local: dict[str, Request] = {}  # submit_request: id -> the request as it was made

    # -- paho's thread: check the size, enqueue ---------------------------------------------
    def submit(self, inbound: Inbound) -> None:
        recorded = self.recorder is not None and self.recorder.offer(inbound.topic, inbound.payload)
        if recorded and self.bus is None and self._is_bus(inbound.topic):
            return  # recorded for summaries, and not a topic anything else here reads
        if self.bus is not None and self._is_bus(inbound.topic):
            self.bus.offer(inbound)  # discovery and state
            return
        if inbound.size > self.settings.max_payload:
            inbound = replace(inbound, payload=b"")
        if not self.accepting and inbound.topic != self.topics.ha_status:
            self._reject(
                inbound, "shutting_down", "The hub is shutting down; nothing was done.", True
            )
            return
        if not inbound.queued:
            with self._live_lock:
                full = self._live >= self.settings.queue_size
                self._live += 0 if full else 1
            if full:
                if inbound.topic != self.topics.ha_status:  # HA's birth message: the next will do
                    self._busy(inbound)
                return
        self._queue.put_nowait(inbound)
        if self._busy_streak:
            _LOGGER.warning(
                "The queue has room again; %d request(s) were answered busy", self._busy_streak
            )
            self._busy_streak = 0

    # -- local producers (hub.speech, hub.wyoming): a request made in the hub ----------------
    def submit_request(self, request: Request) -> None:
        """Queue ``request`` (it needs an id) as if it came on <prefix>/request; the worker
        keeps its own source, language and confidence (``local``)."""
        payload = json.dumps({"text": request.text, "id": request.id}, ensure_ascii=False)
        self._local[str(request.id)] = request
        data = payload.encode("utf-8")
        topic = self.topics.request
        self.submit(Inbound(topic, data, received=time.perf_counter(), size=len(data)))

    def local(self, request_id: str | None) -> Request | None:
        """The request ``submit_request`` made with this id (once)."""
        return self._local.pop(request_id or "", None)

    # -- the worker -------------------------------------------------------------------------
    def take(self, timeout: float) -> Inbound | None:
        """The next message (``WAKE``: woken for something else), None after ``timeout``."""
        try:
            inbound = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if inbound is not WAKE and not inbound.queued:
            with self._live_lock:
                self._live -= 1
        return inbound

    def wake(self) -> None:
        """Wake the worker (the bus has messages, the model has answered)."""
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(WAKE)

    def _is_bus(self, topic: str) -> bool:
        """Not one of the hub's own topics: a discovery or state message for the live bus."""
        return not topic.startswith(self.topics.prefix + "/") and topic != self.topics.ha_status

    def _busy(self, inbound: Inbound) -> None:
        waiting = self._queue.qsize()
        self._busy_streak += 1
        self.stats.count("busy")
        if self._busy_streak == 1:
            _LOGGER.warning(
                "The hub is busy (%d requests waiting): answering busy until it has room", waiting
            )
        message = f"The hub is busy ({waiting} requests waiting); nothing was done."
        self._reject(inbound, "busy", message, False)
