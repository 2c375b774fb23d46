"""Answers in the order of their requests, each "acted" only once the broker has its actions.

The worker publishes a request's actions and goes on with the next request; this one thread
(``hub-answers``) takes the answers in order, waits until the broker has acknowledged the
actions of each (PUBACK), and delivers it; if the connection dropped first (the client then
discards the actions, never sending them late) the answer says ``unconfirmed`` instead. Waiting
on the worker itself would cost a request up to 40 ms whenever another packet is on its way:
Mosquitto holds a small PUBACK back (Nagle's algorithm) unless ``set_tcp_nodelay true``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

_LOGGER = logging.getLogger(__name__)


class Delivery(Protocol):
    """Actions handed to the broker connection (``MQTTLink.publish_actions``)."""

    def wait(self, timeout: float) -> bool:
        """True once the broker acknowledged them all; False if the connection dropped first
        or ``timeout`` passed."""
        ...


@dataclass(frozen=True)
class _Job:
    delivery: Delivery | None  # None: an answer without actions, delivered in its turn
    done: Callable[[bool], None]


_STOP = _Job(None, lambda ok: None)


class Answerer:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._pending = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._run, name="hub-answers", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def submit(self, delivery: Delivery | None, done: Callable[[bool], None]) -> None:
        """``done(acknowledged)`` runs on this thread, after every answer submitted before."""
        with self._lock:
            self._pending += 1
        self._jobs.put(_Job(delivery, done))

    def stop(self, timeout: float) -> None:
        """Deliver what is submitted (waiting ``timeout`` at most), then end the thread."""
        deadline = time.monotonic() + timeout
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0, max(0.0, deadline - time.monotonic()))
        self._jobs.put(_STOP)
        self._thread.join(max(0.1, deadline - time.monotonic()))

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            try:
                acknowledged = job.delivery.wait(self.timeout) if job.delivery else True
                job.done(acknowledged)
            except Exception:
                _LOGGER.exception("Failed to deliver an answer")
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()
