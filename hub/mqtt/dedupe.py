"""Request ids acted on recently: a request whose id comes again within the window is not acted
on twice. Only requests that acted are remembered, so a refused one may simply be sent again.

With a ``log`` (``hub.store.request_ids.RequestIds``, in the SQLite store) the ids also survive a
restart of the hub: a request the broker delivers again after the restart (from the hub's
session queue, or a retained or replayed message) is still recognised. The log keeps wall-clock
times; in memory the ids are kept on the monotonic clock.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

_LOGGER = logging.getLogger(__name__)

PRUNE_EVERY = 500  # remembered ids between two prunes of the log


class IdLog(Protocol):
    """Where remembered ids are kept across restarts (times are ``time.time()``)."""

    def load(self, since: float) -> list[tuple[str, float]]: ...
    def add(self, key: str, at: float) -> None: ...
    def forget(self, key: str) -> None: ...
    def prune(self, before: float) -> None: ...


class Deduper:
    """Remembers ids for ``window`` seconds (at most ``limit`` of them, oldest forgotten first)."""

    def __init__(
        self,
        window: float,
        *,
        limit: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        log: IdLog | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.window = window
        self.limit = limit
        self._clock = clock
        self._wall = wall
        self._log = log if window > 0 else None
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._added = 0
        if self._log is not None:
            self._load(self._log)

    def _load(self, log: IdLog) -> None:
        now, wall = self._clock(), self._wall()
        log.prune(wall - self.window)
        rows = sorted(log.load(wall - self.window), key=lambda row: row[1])
        for key, at in rows[-self.limit :]:
            self._seen[key] = now - max(0.0, wall - at)
        if rows:
            _LOGGER.info(
                "Remembering %d request id(s) acted on in the last %g s before this start",
                len(self._seen),
                self.window,
            )

    def age(self, key: str) -> float | None:
        """Seconds since ``key`` was remembered, if that is within the window; else None."""
        self._forget_old()
        at = self._seen.get(key)
        return None if at is None else self._clock() - at

    def remember(self, key: str) -> None:
        if self.window <= 0:
            return
        self._seen[key] = self._clock()
        self._seen.move_to_end(key)
        self._forget_old()
        if self._log is not None:
            self._log.add(key, self._wall())
            self._added += 1
            if self._added % PRUNE_EVERY == 0:
                self._log.prune(self._wall() - self.window)

    def forget(self, key: str) -> None:
        """Take back ``remember`` (the action it was for was not published after all)."""
        if self._seen.pop(key, None) is not None and self._log is not None:
            self._log.forget(key)

    def _forget_old(self) -> None:
        now = self._clock()
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if now - at <= self.window and len(self._seen) <= self.limit:
                break
            del self._seen[oldest]
