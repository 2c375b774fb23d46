"""Request ids acted on recently: a request whose id comes again within the window is not acted
on twice. Only requests that acted are remembered, so a refused one may simply be sent again."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class Deduper:
    """Remembers ids for ``window`` seconds (at most ``limit`` of them, oldest forgotten first)."""

    def __init__(
        self,
        window: float,
        *,
        limit: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.limit = limit
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

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

    def _forget_old(self) -> None:
        now = self._clock()
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if now - at <= self.window and len(self._seen) <= self.limit:
                break
            del self._seen[oldest]
