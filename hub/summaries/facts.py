"""Exact facts about a window of events, computed by code in one streaming pass.

Memory is bounded whatever the number of events: counters keyed by source, tier, outcome,
device, error code and topic (each capped, the rest counted under ``"(other)"``), the latency
samples kept exactly up to ``LATENCY_EXACT`` and as a seeded reservoir beyond (``exact`` says
which), and a uniform sample of notable events per category for the prose.

Definitions (the tests compute the same from the fixture, independently):
- requests: ``request`` events; by ``source``, ``tier`` (``none`` when unset) and ``outcome``.
- actions: ``action`` events by ``entity_id``; failed: outcome ``failed`` or ``unconfirmed``.
- errors: ``error`` events by ``detail.code``, plus requests with outcome ``error`` (code
  ``detail.code`` or ``request_error``).
- rejected: requests with outcome ``refused`` (the validator said no).
- unrecognized: requests with outcome ``not_understood``; the most frequent texts.
- offline: ``device`` events with ``detail.available`` false; still offline at the end when the
  device's last availability event said so.
- latency: nearest-rank p50/p95 and the max of the requests' ``ms``.
- messages: ``message`` events by ``detail.topic``, with the last payload of each topic.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from hub.store.events import Event

LATENCY_EXACT = 100_000  # latency samples kept exactly; a reservoir of this size beyond
MAX_KEYS = 500  # distinct keys per counter; more are counted under OTHER
MAX_TEXTS = 2_000  # distinct unrecognized texts tracked
TOP = 10  # entries of top lists in the facts
NOTABLE_PER_KIND = 8
OTHER = "(other)"
FAILED = ("failed", "unconfirmed")

Counts = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Latency:
    count: int = 0
    p50: float | None = None
    p95: float | None = None
    max: float | None = None
    exact: bool = True


@dataclass(frozen=True)
class LogFacts:
    """One log file or journal unit: lines per level and unit, frequent error messages."""

    name: str
    lines: int = 0
    bytes: int = 0
    by_level: Counts = ()
    by_unit: Counts = ()  # lines per unit (syslog tag or systemd unit)
    errors_by_unit: Counts = ()
    top_errors: Counts = ()  # error messages with digits masked, most frequent first
    problem: str | None = None  # why the source could not be read, if it could not

    @property
    def errors(self) -> int:
        return sum(n for level, n in self.by_level if level in ("error", "critical"))

    @property
    def warnings(self) -> int:
        return sum(n for level, n in self.by_level if level == "warning")


@dataclass(frozen=True)
class Facts:
    since: float
    until: float
    events: int = 0
    requests: int = 0
    requests_by_source: Counts = ()
    requests_by_tier: Counts = ()
    outcomes: Counts = ()
    actions: int = 0
    actions_by_device: Counts = ()
    failed_actions: int = 0
    failed_by_device: Counts = ()
    errors: int = 0
    errors_by_code: Counts = ()
    rejected: int = 0
    unrecognized: int = 0
    unrecognized_top: Counts = ()
    offline_devices: Counts = ()  # entity id, times it went offline
    still_offline: tuple[str, ...] = ()
    latency: Latency = field(default_factory=Latency)
    messages: int = 0
    messages_by_topic: Counts = ()
    last_payloads: tuple[tuple[str, str], ...] = ()
    logs: tuple[LogFacts, ...] = ()
    names: tuple[tuple[str, str], ...] = ()  # entity id -> friendly name, for the prose
    sources: tuple[str, ...] = ("events",)  # what was read: events, file:..., journal:...

    @property
    def read_events(self) -> bool:
        """Whether the hub's event log was read (else request counts mean nothing)."""
        return "events" in self.sources

    def name_of(self, entity_id: str) -> str:
        return dict(self.names).get(entity_id, entity_id)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for log in data["logs"]:
            if log.get("problem") is None:
                del log["problem"]
        return data

    def to_json(self) -> str:
        """The stable JSON form: sorted keys, counts as [key, n] pairs in a fixed order."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Facts:
        def counts(value: Any) -> Counts:
            return tuple((str(k), int(n)) for k, n in value or ())

        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key == "latency":
                kwargs[key] = Latency(**value)
            elif key == "logs":
                kwargs[key] = tuple(_log_facts(log) for log in value)
            elif key in ("still_offline", "sources"):
                kwargs[key] = tuple(value)
            elif key in ("last_payloads", "names"):
                kwargs[key] = tuple((str(a), str(b)) for a, b in value)
            elif isinstance(value, list):
                kwargs[key] = counts(value)
            else:
                kwargs[key] = value
        return cls(**kwargs)


def _log_facts(data: Mapping[str, Any]) -> LogFacts:
    def counts(value: Any) -> Counts:
        return tuple((str(k), int(n)) for k, n in value or ())

    return LogFacts(
        name=str(data["name"]),
        lines=int(data.get("lines", 0)),
        bytes=int(data.get("bytes", 0)),
        by_level=counts(data.get("by_level")),
        by_unit=counts(data.get("by_unit")),
        errors_by_unit=counts(data.get("errors_by_unit")),
        top_errors=counts(data.get("top_errors")),
        problem=data.get("problem"),
    )


@dataclass(frozen=True)
class Notable:
    ts: float
    kind: str  # error | failed | offline | unrecognized | rejected | log
    text: str


def ordered(counter: Mapping[str, int]) -> Counts:
    """Most frequent first, then by key: one stable order."""
    return tuple(sorted(((k, int(n)) for k, n in counter.items()), key=lambda kv: (-kv[1], kv[0])))


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


class _Capped(Counter[str]):
    """A counter with at most MAX_KEYS distinct keys; later new keys count under OTHER."""

    def __init__(self, cap: int = MAX_KEYS) -> None:
        super().__init__()
        self.cap = cap

    def add(self, key: str, n: int = 1) -> None:
        if key in self or len(self) < self.cap:
            self[key] += n
        else:
            self[OTHER] += n


class FactsCollector:
    """Feed events in time order with :meth:`add`; :meth:`facts` gives the result."""

    def __init__(
        self,
        since: float,
        until: float,
        names: Mapping[str, str] | None = None,
        seed: int = 0,
        sources: tuple[str, ...] = ("events",),
    ) -> None:
        self.since, self.until, self.sources = since, until, sources
        self.names = dict(names or {})
        self.n = 0
        self.by_source, self.by_tier, self.outcomes = _Capped(), _Capped(), _Capped()
        self.actions, self.failed = _Capped(), _Capped()
        self.errors, self.offline = _Capped(), _Capped()
        self.unrecognized = _Capped(MAX_TEXTS)
        self.available: dict[str, bool] = {}
        self.topics = _Capped()
        self.payloads: dict[str, str] = {}
        self.latencies: list[float] = []
        self.latency_seen = 0
        self.latency_max: float | None = None
        self._random = random.Random(seed)
        self.notable: dict[str, list[Notable]] = {}
        self._noted: dict[str, int] = {}
        self.logs: list[LogFacts] = []

    def add_all(self, events: Iterable[Event]) -> FactsCollector:
        for event in events:
            self.add(event)
        return self

    def add(self, e: Event) -> None:
        self.n += 1
        if e.kind == "request":
            self._request(e)
        elif e.kind == "action" and e.entity_id:
            self.actions.add(e.entity_id)
            if e.outcome in FAILED:
                self.failed.add(e.entity_id)
                self._note(e, "failed", f"{self._name(e.entity_id)}: {e.outcome}")
        elif e.kind == "error":
            code = str(e.detail.get("code") or "error")
            self.errors.add(code)
            self._note(e, "error", f"{code}: {e.detail.get('message') or e.text}")
        elif e.kind == "device" and e.entity_id and "available" in e.detail:
            up = bool(e.detail["available"])
            if not up:
                self.offline.add(e.entity_id)
                self._note(e, "offline", f"{self._name(e.entity_id)} went offline")
            if e.entity_id in self.available or len(self.available) < MAX_KEYS:
                self.available[e.entity_id] = up
        elif e.kind == "message":
            topic = str(e.detail.get("topic") or "")
            self.topics.add(topic)
            if topic in self.payloads or len(self.payloads) < MAX_KEYS:
                self.payloads[topic] = str(e.detail.get("payload", ""))[:200]

    def _request(self, e: Event) -> None:
        self.by_source.add(e.source)
        self.by_tier.add(e.tier or "none")
        outcome = e.outcome or "unknown"
        self.outcomes.add(outcome)
        if outcome == "error":
            code = str(e.detail.get("code") or "request_error")
            self.errors.add(code)
            self._note(e, "error", f"{code} on {e.text!r}")
        elif outcome == "refused":
            reason = e.reply or e.detail.get("reason") or ""
            self._note(e, "rejected", f"{e.text!r}: {reason}" if reason else repr(e.text))
        elif outcome == "not_understood":
            self.unrecognized.add(" ".join(e.text.lower().split())[:120])
            self._note(e, "unrecognized", repr(e.text))
        if e.ms is not None:
            self._latency(float(e.ms))

    def _latency(self, ms: float) -> None:
        self.latency_seen += 1
        self.latency_max = ms if self.latency_max is None else max(self.latency_max, ms)
        if len(self.latencies) < LATENCY_EXACT:
            self.latencies.append(ms)
        else:  # reservoir sampling (algorithm R): a uniform sample of every latency seen
            j = self._random.randrange(self.latency_seen)
            if j < LATENCY_EXACT:
                self.latencies[j] = ms

    def _note(self, e: Event, kind: str, text: str) -> None:
        """Keep a uniform sample of NOTABLE_PER_KIND events of each kind (reservoir)."""
        kept = self.notable.setdefault(kind, [])
        seen = self._noted[kind] = self._noted.get(kind, 0) + 1
        if len(kept) < NOTABLE_PER_KIND:
            kept.append(Notable(e.ts, kind, text))
        else:
            j = self._random.randrange(seen)
            if j < NOTABLE_PER_KIND:
                kept[j] = Notable(e.ts, kind, text)

    def _name(self, entity_id: str) -> str:
        return self.names.get(entity_id, entity_id)

    def add_log(self, log: LogFacts, notable: Iterable[Notable] = ()) -> None:
        self.logs.append(log)
        kept = self.notable.setdefault("log", [])
        for item in notable:
            if len(kept) < NOTABLE_PER_KIND * 2:
                kept.append(item)

    def notables(self) -> list[Notable]:
        return sorted((n for kept in self.notable.values() for n in kept), key=lambda n: n.ts)

    def facts(self) -> Facts:
        values = sorted(self.latencies)
        latency = Latency(
            count=self.latency_seen,
            p50=percentile(values, 50),
            p95=percentile(values, 95),
            max=self.latency_max,
            exact=self.latency_seen <= LATENCY_EXACT,
        )
        requests = sum(self.by_source.values())
        unrecognized = self.outcomes.get("not_understood", 0)
        used = set(self.actions) | set(self.failed) | set(self.offline)
        return Facts(
            since=self.since,
            until=self.until,
            events=self.n,
            requests=requests,
            requests_by_source=ordered(self.by_source),
            requests_by_tier=ordered(self.by_tier),
            outcomes=ordered(self.outcomes),
            actions=sum(self.actions.values()),
            actions_by_device=ordered(self.actions),
            failed_actions=sum(self.failed.values()),
            failed_by_device=ordered(self.failed),
            errors=sum(self.errors.values()),
            errors_by_code=ordered(self.errors),
            rejected=self.outcomes.get("refused", 0),
            unrecognized=unrecognized,
            unrecognized_top=ordered(self.unrecognized)[:TOP],
            offline_devices=ordered(self.offline),
            still_offline=tuple(sorted(k for k, up in self.available.items() if not up)),
            latency=latency,
            messages=sum(self.topics.values()),
            messages_by_topic=ordered(self.topics),
            last_payloads=tuple(sorted(self.payloads.items())),
            logs=tuple(self.logs),
            names=tuple(sorted((k, v) for k, v in self.names.items() if k in used)),
            sources=self.sources,
        )
