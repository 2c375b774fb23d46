"""Recording MQTT messages for summaries, into a real SQLite event log."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.mqtt.record import MAX_PAYLOAD, Recorder
from hub.store import Store


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("zigbee2mqtt/+/availability", "zigbee2mqtt/porch/availability", True),
        ("zigbee2mqtt/+/availability", "zigbee2mqtt/porch/state", False),
        ("zigbee2mqtt/+/availability", "zigbee2mqtt/a/b/availability", False),
        ("sensors/#", "sensors/garden/temperature", True),
        ("sensors/#", "sensors", True),
        ("a/b", "a/b", True),
        ("a/b", "a/b/c", False),
    ],
)
def test_topic_filters(tmp_path: Path, pattern: str, topic: str, expected: bool) -> None:
    recorder = Recorder(Store.open(tmp_path / "hub.db"), (pattern,))
    assert recorder.matches(topic) is expected


def test_recorded_messages_reach_the_event_log(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "hub.db")
    recorder = Recorder(store, ["zigbee2mqtt/+/availability", "sensors/#"])
    assert recorder.offer("zigbee2mqtt/porch/availability", b'{"state":"offline"}')
    assert recorder.offer("sensors/garden/temperature", "x" * 1000)
    assert not recorder.offer("hub/request", b"turn on the light")
    assert recorder.flush() == 2
    events = list(store.events(0, 2e9, ["message"]))
    assert [e.detail["topic"] for e in events] == [
        "zigbee2mqtt/porch/availability",
        "sensors/garden/temperature",
    ]
    assert events[0].detail["payload"] == '{"state":"offline"}'
    assert len(events[1].detail["payload"]) == MAX_PAYLOAD
    store.close()
