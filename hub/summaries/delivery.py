"""Where a summary goes: a retained MQTT message and a Home Assistant sensor.

``<prefix>/summary/<name>`` carries, retained, JSON with ``state`` (the text cut to what Home
Assistant keeps of a state), ``text`` (all of it), the window and the main facts. Discovery
announces one sensor per job whose state is the short text and whose attributes hold the rest.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol

from hub import __version__
from hub.mqtt.announce import SUMMARY_CHARS, Announcement, node_id
from hub.summaries.summary import Summary


class Publisher(Protocol):
    def publish(self, topic: str, payload: str | bytes, *, retain: bool = False) -> bool: ...


def summary_topic(prefix: str, name: str) -> str:
    return f"{prefix}/summary/{name}"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def payload(summary: Summary) -> str:
    f = summary.facts
    state = summary.text
    if len(state) > SUMMARY_CHARS:
        state = state[: SUMMARY_CHARS - 1] + "…"
    data: dict[str, Any] = {
        "state": state,
        "text": summary.text,
        "name": summary.name,
        "language": summary.language,
        "since": _iso(summary.since),
        "until": _iso(summary.until),
        "created": _iso(summary.created),
        "prose": summary.prose,
        "requests": f.requests,
        "actions": f.actions,
        "failed_actions": f.failed_actions,
        "errors": f.errors,
        "rejected": f.rejected,
        "unrecognized": f.unrecognized,
        "offline_devices": [e for e, _ in f.offline_devices],
        "busiest_devices": [e for e, _ in f.actions_by_device[:5]],
        "latency_p50_ms": f.latency.p50,
        "latency_p95_ms": f.latency.p95,
    }
    return json.dumps(data, ensure_ascii=False)


def sensor_announcement(
    name: str, *, prefix: str, discovery_prefix: str, client_id: str, status_topic: str
) -> Announcement:
    """The Home Assistant discovery config of the sensor showing job ``name``'s summaries."""
    node = node_id(client_id)
    config = {
        "name": f"Summary {name}",
        "icon": "mdi:text-box-outline",
        "unique_id": f"{node}_summary_{name}",
        "state_topic": summary_topic(prefix, name),
        "value_template": "{{ value_json.state }}",
        "json_attributes_topic": summary_topic(prefix, name),
        "availability_topic": status_topic,
        "payload_available": "online",
        "payload_not_available": "offline",
        "device": {"identifiers": [node], "name": "Hub", "manufacturer": "hub"},
        "origin": {"name": "hub", "sw_version": __version__},
    }
    topic = f"{discovery_prefix}/sensor/{node}/summary_{name}/config"
    return Announcement(topic, json.dumps(config, ensure_ascii=False))


def publish(link: Publisher, prefix: str, summary: Summary) -> bool:
    return link.publish(summary_topic(prefix, summary.name), payload(summary), retain=True)
