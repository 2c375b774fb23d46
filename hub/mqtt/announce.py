"""Home Assistant MQTT discovery: the hub appears in Home Assistant as one device with

- a text entity to type a request (it publishes on ``<prefix>/request``),
- a sensor with the last request and its outcome (the details as JSON attributes),
- a connectivity binary sensor on the retained ``<prefix>/status``.

The configs are retained and announced again whenever Home Assistant says it is ``online``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hub import __version__
from hub.mqtt.topics import Topics

SUMMARY_CHARS = 250  # Home Assistant keeps at most 255 characters of a state


@dataclass(frozen=True)
class Announcement:
    topic: str
    payload: str


def node_id(client_id: str) -> str:
    """The discovery node id: the client id with only letters, digits, '_' and '-'."""
    return "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in client_id) or "hub"


def announcements(topics: Topics, client_id: str) -> list[Announcement]:
    node = node_id(client_id)
    device = {
        "identifiers": [node],
        "name": "Hub",
        "manufacturer": "hub",
        "model": "Voice and text hub",
        "sw_version": __version__,
    }
    common: dict[str, Any] = {
        "device": device,
        "origin": {"name": "hub", "sw_version": __version__},
    }
    available = {
        "availability_topic": topics.status,
        "payload_available": "online",
        "payload_not_available": "offline",
    }
    configs: list[tuple[str, str, dict[str, Any]]] = [
        (
            "text",
            "request",
            {
                "name": "Request",
                "icon": "mdi:message-text",
                "command_topic": topics.request,
                "state_topic": topics.last,
                "value_template": "{{ (value_json.text or '')[:255] }}",
                "min": 0,
                "max": 255,
                "mode": "text",
                **available,
            },
        ),
        (
            "sensor",
            "last_request",
            {
                "name": "Last request",
                "icon": "mdi:message-reply-text",
                "state_topic": topics.last,
                "value_template": "{{ value_json.summary }}",
                "json_attributes_topic": topics.last,
                **available,
            },
        ),
        (
            "binary_sensor",
            "status",
            {
                "name": "Status",
                "state_topic": topics.status,
                "payload_on": "online",
                "payload_off": "offline",
                "device_class": "connectivity",
                "entity_category": "diagnostic",
            },
        ),
    ]
    out = []
    for component, object_id, config in configs:
        payload = {**config, "unique_id": f"{node}_{object_id}", **common}
        topic = f"{topics.discovery_prefix}/{component}/{node}/{object_id}/config"
        out.append(Announcement(topic, json.dumps(payload, ensure_ascii=False)))
    return out


def last_request(answer: dict[str, Any], kind: str) -> str:
    """The retained ``<prefix>/last`` payload: a short summary plus the whole answer."""
    text = answer.get("text") or ""
    error = answer.get("error")
    if error:
        outcome, said = "error", f"error {error.get('code')}: {error.get('message')}"
    elif answer.get("commands"):
        outcome, said = "acted", str(answer.get("reply") or "")
    else:
        outcome, said = "no_command", str(answer.get("reply") or "")
    summary = f"{text} → {said}" if text else said
    if len(summary) > SUMMARY_CHARS:
        summary = summary[: SUMMARY_CHARS - 1] + "…"
    return json.dumps(
        {"summary": summary, "outcome": outcome, "kind": kind, **answer}, ensure_ascii=False
    )
