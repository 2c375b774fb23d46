"""What the hub remembers: one ``Event`` per thing that happened, as typed data.

Kinds:
- ``request``: a request and what became of it (``outcome``: acted, answered, asked, refused,
  not_understood, error), with its source, text, area, tier, commands, reply and timing.
- ``action``: one published command for one device (``entity_id``, ``action``, ``data``), with
  ``outcome`` ``published`` or, once its echo is checked, ``confirmed``/``unconfirmed``/``failed``.
- ``error``: something that went wrong outside a request (``code`` and ``message`` in ``detail``).
- ``device``: a device's availability or state changed (``detail``: ``available``, ``state``).
- ``message``: an MQTT message the hub records for summaries (``detail``: ``topic``, ``payload``).

The event log (``hub.store``) writes and reads them; the summaries read them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

KINDS = ("request", "action", "error", "device", "message")
SOURCES = ("mqtt", "cli", "speech", "schedule", "discovery", "hub")


@dataclass(frozen=True)
class Event:
    kind: str
    ts: float = field(default_factory=time.time)  # seconds since the epoch, UTC
    source: str = "hub"
    text: str = ""  # the request's text, or a one-line description
    area: str | None = None
    tier: str | None = None  # template | llm | cache | faq | none
    outcome: str | None = None
    reply: str = ""
    ms: float | None = None  # how long the request took in the pipeline
    language: str | None = None
    entity_id: str | None = None  # action and device events
    commands: tuple[Mapping[str, Any], ...] = ()  # Home Assistant shape, as published
    detail: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    request_id: str | None = None
    id: int | None = None  # set once stored

    def to_row(self) -> dict[str, Any]:
        return {
            "ts": self.ts,
            "kind": self.kind,
            "source": self.source,
            "text": self.text,
            "area": self.area,
            "tier": self.tier,
            "outcome": self.outcome,
            "reply": self.reply,
            "ms": self.ms,
            "language": self.language,
            "entity_id": self.entity_id,
            "commands": json.dumps([dict(c) for c in self.commands], ensure_ascii=False),
            "detail": json.dumps(dict(self.detail), ensure_ascii=False, default=str),
            "request_id": self.request_id,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Event:
        return cls(
            id=row.get("id"),
            ts=float(row["ts"]),
            kind=str(row["kind"]),
            source=str(row.get("source") or "hub"),
            text=str(row.get("text") or ""),
            area=row.get("area"),
            tier=row.get("tier"),
            outcome=row.get("outcome"),
            reply=str(row.get("reply") or ""),
            ms=row.get("ms"),
            language=row.get("language"),
            entity_id=row.get("entity_id"),
            commands=tuple(json.loads(row.get("commands") or "[]")),
            detail=MappingProxyType(json.loads(row.get("detail") or "{}")),
            request_id=row.get("request_id"),
        )

    def to_dict(self) -> dict[str, Any]:
        out = self.to_row()
        out["commands"] = [dict(c) for c in self.commands]
        out["detail"] = dict(self.detail)
        out["id"] = self.id
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
