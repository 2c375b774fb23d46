"""The daemon's counters, shared by paho's thread, the worker and the answers' thread."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field


@dataclass
class Stats:
    received: int = 0
    answered: int = 0
    acted: int = 0
    busy: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    # ms from the message's arrival to its actions being handed to the broker, minus the
    # pipeline's own time: what the daemon adds (bench/daemon.py reads it)
    overhead_ms: deque[float] = field(default_factory=lambda: deque(maxlen=100_000))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    def count_error(self, code: str) -> None:
        with self._lock:
            self.errors[code] = self.errors.get(code, 0) + 1
