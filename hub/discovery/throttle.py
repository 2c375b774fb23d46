"""At most one rebuild of the home per source per interval; what comes meanwhile is coalesced.

Rebuilding the home (parsing a ``bridge/devices``, building the registry, and later the template
tier for the new version) runs on the daemon's one worker, between requests. A flood of
discovery messages, one every few milliseconds, would keep it from ever answering. So each
source ("zigbee2mqtt": the bridge's devices and groups; "homeassistant": every discovery config)
is applied at once when it has been quiet for ``interval`` seconds, and otherwise waits until
then, its messages kept by topic: the last message on a topic wins, as a retained one does.

A source that costs more gets less often: the next round waits at least ``factor`` times what
the last round took, so discovery never takes more than about a fifth of the worker's time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Source:
    pending: dict[str, bytes] = field(default_factory=dict)  # topic -> the latest payload
    next_at: float = float("-inf")  # when the next round may run
    started: float = 0.0  # when the last round ran
    spent: float = 0.0  # seconds the last round took (parsing and rebuilding)


class Throttle:
    def __init__(
        self,
        interval: float,
        *,
        factor: float = 4.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.factor = factor
        self.clock = clock
        self._sources: dict[str, _Source] = {}

    def offer(self, source: str, topic: str, payload: bytes) -> None:
        """Keep a message until its source's next round (a later one on the topic replaces it)."""
        pending = self._sources.setdefault(source, _Source()).pending
        pending.pop(topic, None)  # the latest message goes last: the order they came in
        pending[topic] = payload

    def take(self, *, force: bool = False) -> dict[str, dict[str, bytes]]:
        """The waiting messages of every source whose round has come (all of them if ``force``),
        by source; their rounds start now."""
        now = self.clock()
        out: dict[str, dict[str, bytes]] = {}
        for name, source in self._sources.items():
            if source.pending and (force or now >= source.next_at):
                out[name] = source.pending
                source.pending = {}
                source.started, source.spent = now, 0.0
                source.next_at = now + self.interval
        return out

    def charge(self, sources: list[str] | tuple[str, ...], seconds: float) -> None:
        """What a round of these sources cost: their next round waits ``factor`` times longer."""
        for name in sources:
            source = self._sources.get(name)
            if source is None:
                continue
            source.spent += seconds
            source.next_at = source.started + max(self.interval, self.factor * source.spent)

    def due(self) -> bool:
        """Whether some source has messages whose round has come."""
        now = self.clock()
        return any(s.pending and now >= s.next_at for s in self._sources.values())

    @property
    def waiting(self) -> int:
        """Messages kept for a later round."""
        return sum(len(s.pending) for s in tuple(self._sources.values()))  # any thread
