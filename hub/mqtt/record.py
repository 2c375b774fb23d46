"""Recording MQTT messages of chosen topics (``summaries.record_topics``) for summaries.

The daemon hands every message on those topics to :meth:`Recorder.offer` from paho's thread;
the recorder only appends to a bounded buffer there, and its own thread writes the buffer to the
event log (kind ``message``) in batches every few seconds. Payloads are cut to
``MAX_PAYLOAD`` characters: summaries count messages and read the last payloads, they do not
need whole documents.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from types import MappingProxyType
from typing import Protocol

from paho.mqtt.client import topic_matches_sub

from hub.store.events import Event

log = logging.getLogger(__name__)

MAX_PAYLOAD = 200
MAX_BUFFER = 10_000
FLUSH_EVERY = 5.0


class EventLog(Protocol):
    def record(self, *events: Event) -> None: ...


def message_event(topic: str, payload: bytes | str, ts: float | None = None) -> Event:
    text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else payload
    return Event(
        "message",
        time.time() if ts is None else ts,
        source="mqtt",
        text=topic,
        detail=MappingProxyType({"topic": topic, "payload": text[:MAX_PAYLOAD]}),
    )


class Recorder:
    def __init__(self, store: EventLog, topics: Sequence[str]) -> None:
        self.store = store
        self.topics = tuple(topics)
        self._buffer: deque[Event] = deque(maxlen=MAX_BUFFER)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hub-recorder", daemon=True)
        self.dropped = 0

    def matches(self, topic: str) -> bool:
        return any(topic_matches_sub(pattern, topic) for pattern in self.topics)

    def offer(self, topic: str, payload: bytes | str) -> bool:
        """Keep the message if its topic is recorded (paho's thread: no I/O here)."""
        if not self.matches(topic):
            return False
        with self._lock:
            if len(self._buffer) == MAX_BUFFER:
                self.dropped += 1
            self._buffer.append(message_event(topic, payload))
        return True

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(FLUSH_EVERY + 5)
        self.flush()

    def flush(self) -> int:
        with self._lock:
            events = list(self._buffer)
            self._buffer.clear()
        if events:
            self.store.record(*events)
        return len(events)

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_EVERY):
            try:
                self.flush()
            except Exception:  # the seam of a background thread: log, keep recording
                log.exception("recording MQTT messages failed")
