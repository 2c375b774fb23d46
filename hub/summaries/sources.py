"""Where a summary's input comes from: the event log, log files, the journal, MQTT topics.

The event log is anything with ``events(since, until, kinds)`` streaming :class:`Event` in time
order (``hub.store.Store``, or :class:`MemoryEvents` in tests and for ``--source FILE.jsonl``).
Log files and the journal are read as streams of :class:`LogLine` by :mod:`hub.summaries.logs`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from hub.store.events import Event


class EventSource(Protocol):
    def events(
        self, since: float, until: float, kinds: Sequence[str] | None = None
    ) -> Iterator[Event]: ...


class MemoryEvents:
    """An :class:`EventSource` over events held in memory (sorted by time on the way in)."""

    def __init__(self, events: Iterable[Event]) -> None:
        self._events = sorted(events, key=lambda e: e.ts)

    def events(
        self, since: float, until: float, kinds: Sequence[str] | None = None
    ) -> Iterator[Event]:
        for event in self._events:
            if since <= event.ts < until and (kinds is None or event.kind in kinds):
                yield event


@dataclass(frozen=True)
class SourceSpec:
    """One input of a summary: ``events``, ``file:PATH``, ``journal:UNIT`` or ``mqtt:TOPIC``."""

    kind: str  # events | file | journal | mqtt
    target: str = ""

    @classmethod
    def parse(cls, text: str) -> SourceSpec:
        """``events``, ``journal:UNIT``, ``mqtt:TOPIC``, ``file:PATH`` or a bare path."""
        text = text.strip()
        if text == "events":
            return cls("events")
        for kind in ("journal", "mqtt", "file"):
            if text.startswith(kind + ":") and len(text) > len(kind) + 1:
                return cls(kind, text[len(kind) + 1 :])
        if not text:
            raise ValueError("empty source")
        return cls("file", text)

    def __str__(self) -> str:
        return self.kind if self.kind == "events" else f"{self.kind}:{self.target}"
