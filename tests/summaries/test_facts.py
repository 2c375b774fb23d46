"""The facts of a day of events are exact: every number is computed again here, plainly."""

from __future__ import annotations

import json
import math

import pytest

from hub.store.events import Event
from hub.summaries import facts as facts_module
from hub.summaries.facts import Facts, FactsCollector
from hub.summaries.sources import MemoryEvents
from tests.summaries.dayfixture import DAY, DAY_START, NAMES, day_events


def _count(pairs: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for key in pairs:
        out[key] = out.get(key, 0) + 1
    return out


def _facts() -> Facts:
    source = MemoryEvents(day_events())
    return (
        FactsCollector(DAY_START, DAY_START + DAY, NAMES)
        .add_all(source.events(DAY_START, DAY_START + DAY))
        .facts()
    )


def test_the_facts_of_a_day_are_exact() -> None:
    events = day_events()
    facts = _facts()
    requests = [e for e in events if e.kind == "request"]
    actions = [e for e in events if e.kind == "action"]
    assert facts.events == len(events) > 5000
    assert facts.requests == len(requests) == 2600
    assert dict(facts.requests_by_source) == _count([e.source for e in requests])
    assert dict(facts.requests_by_tier) == _count([e.tier or "none" for e in requests])
    assert dict(facts.outcomes) == _count([e.outcome or "" for e in requests])
    assert dict(facts.actions_by_device) == _count([e.entity_id or "" for e in actions])
    failed = [e.entity_id or "" for e in actions if e.outcome in ("failed", "unconfirmed")]
    assert dict(facts.failed_by_device) == _count(failed)
    assert facts.failed_actions == len(failed) > 0
    assert facts.actions_by_device[0][0] == "light.kitchen"  # the weights make it the busiest
    assert facts.failed_by_device[0][0] == "cover.garage_door"
    request_errors = sum(1 for e in requests if e.outcome == "error")
    assert dict(facts.errors_by_code) == {
        "mqtt_disconnected": 2,
        "store_locked": 1,
        "timeout": request_errors,
    }
    assert facts.errors == 3 + request_errors
    assert facts.rejected == sum(1 for e in requests if e.outcome == "refused")
    unknown = [e.text for e in requests if e.outcome == "not_understood"]
    assert facts.unrecognized == len(unknown)
    assert dict(facts.unrecognized_top) == _count(unknown)
    assert dict(facts.offline_devices) == {"light.porch": 2, "fan.bathroom_fan": 1}
    assert facts.still_offline == ("light.porch",)
    latencies = sorted(e.ms for e in requests if e.ms is not None)
    assert facts.latency.count == len(latencies)
    assert facts.latency.p50 == latencies[math.ceil(0.5 * len(latencies)) - 1]
    assert facts.latency.p95 == latencies[math.ceil(0.95 * len(latencies)) - 1]
    assert facts.latency.max == max(latencies)
    assert facts.latency.exact
    assert facts.messages == 400
    assert sum(n for _, n in facts.messages_by_topic) == 400


def test_counts_are_ordered_most_frequent_first_then_by_name() -> None:
    facts = _facts()
    for counts in (facts.actions_by_device, facts.requests_by_source, facts.errors_by_code):
        assert list(counts) == sorted(counts, key=lambda kv: (-kv[1], kv[0]))


def test_the_window_is_respected() -> None:
    events = day_events()
    half = DAY_START + DAY / 2
    source = MemoryEvents(events)
    facts = FactsCollector(DAY_START, half).add_all(source.events(DAY_START, half)).facts()
    assert facts.requests == sum(1 for e in events if e.kind == "request" and e.ts < half)
    assert dict(facts.offline_devices) == {"light.porch": 1, "fan.bathroom_fan": 1}
    assert facts.still_offline == ()


def test_the_json_form_is_stable_and_round_trips() -> None:
    a, b = _facts(), _facts()
    assert a.to_json() == b.to_json()
    data = json.loads(a.to_json())
    assert list(data) == sorted(data)
    assert Facts.from_dict(data) == a


def test_latency_memory_is_bounded_beyond_the_exact_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(facts_module, "LATENCY_EXACT", 1000)
    collector = FactsCollector(0, 1e9)
    for i in range(20_000):
        collector.add(Event("request", float(i), outcome="acted", ms=float(i % 1000)))
    facts = collector.facts()
    assert len(collector.latencies) == 1000
    assert facts.latency.count == 20_000
    assert not facts.latency.exact
    assert facts.latency.max == 999.0
    assert facts.latency.p50 is not None and 400 <= facts.latency.p50 <= 600


def test_counters_are_capped() -> None:
    collector = FactsCollector(0, 1e9)
    for i in range(facts_module.MAX_KEYS + 50):
        collector.add(Event("action", float(i), entity_id=f"light.l{i}", outcome="confirmed"))
    facts = collector.facts()
    assert len(facts.actions_by_device) == facts_module.MAX_KEYS + 1
    assert dict(facts.actions_by_device)[facts_module.OTHER] == 50
    assert facts.actions == facts_module.MAX_KEYS + 50
