"""A priority gate for the one CPU the model runs on: requests first, summaries in the gaps.

The request path marks itself busy (``with gate.request():``) around its model calls; a
low-priority writer calls ``gate.wait_idle()`` before each small step (one decoded token, or a
small batch of prompt tokens). A request therefore waits at most one such step of a summary,
and a summary never starts a step while a request is in flight.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Gate:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active = 0
        self.yields = 0  # how many times a background step waited for a request (for tests)

    @contextmanager
    def request(self) -> Iterator[None]:
        """Mark the request path busy for the duration of the block (re-entrant, counted)."""
        with self._cond:
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                if self._active == 0:
                    self._cond.notify_all()

    def busy(self) -> bool:
        with self._cond:
            return self._active > 0

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block while a request is in flight; True once idle, False if ``timeout`` passed."""
        with self._cond:
            if self._active == 0:
                return True
            self.yields += 1
            deadline = None if timeout is None else time.monotonic() + timeout
            while self._active > 0:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
            return True


SHARED = Gate()  # the process's gate: the request path and every background writer use it
