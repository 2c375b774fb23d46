"""Typed records at the boundaries: requests in, commands and replies out, errors as data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Command:
    """A device action in Home Assistant's shape.

    ``{"action": "light.turn_on", "target": {"entity_id": ["light.kitchen"]},
    "data": {"brightness_pct": 50}}``
    """

    action: str
    entity_ids: tuple[str, ...]
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def domain(self) -> str:
        return self.action.split(".", 1)[0]

    @property
    def service(self) -> str:
        return self.action.split(".", 1)[1] if "." in self.action else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "target": {"entity_id": list(self.entity_ids)},
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, raw: Any) -> Command:
        """Read a command from JSON; raises ValueError naming what is wrong with its shape."""
        if not isinstance(raw, Mapping):
            raise ValueError("a command must be a JSON object")
        unknown = set(raw) - {"action", "target", "data"}
        if unknown:
            raise ValueError(f"unknown command field(s): {', '.join(sorted(unknown))}")
        action = raw.get("action")
        if not isinstance(action, str) or "." not in action:
            raise ValueError("'action' must be a string like 'light.turn_on'")
        target = raw.get("target")
        if isinstance(target, Mapping):
            extra = set(target) - {"entity_id"}
            if extra:
                raise ValueError(f"unsupported target key(s): {', '.join(sorted(extra))}")
            target = target.get("entity_id")
        if isinstance(target, str):
            entity_ids: tuple[str, ...] = (target,)
        elif isinstance(target, list) and all(isinstance(t, str) for t in target):
            entity_ids = tuple(target)
        else:
            raise ValueError("'target' must be {'entity_id': [ids]}, an id, or a list of ids")
        if not entity_ids:
            raise ValueError("'target' names no entity")
        data = raw.get("data") or {}
        if not isinstance(data, Mapping):
            raise ValueError("'data' must be a JSON object")
        return cls(action, entity_ids, MappingProxyType(dict(data)))


@dataclass(frozen=True)
class Request:
    text: str
    area: str | None = None
    source: str = "cli"
    id: str | None = None
    # Per-request states in Home Assistant's shape (`hub ask --jsonl` "state").
    states: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    language: str | None = None
    confidence: float | None = None  # speech: the recognizer's confidence in ``text``
    # Requests with the same id are one conversation: a follow-up may answer the hub's question
    conversation_id: str | None = None
    # Entity ids a follow-up chose among the hub's "Which one" choices: the tiers prefer them
    focus: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejection:
    """A command the validator refused: never published, always explained."""

    code: str
    reason: str
    command: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "reason": self.reason, "command": dict(self.command)}


@dataclass(frozen=True)
class ErrorInfo:
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Reply:
    """What the hub answers to a request."""

    text: str
    commands: tuple[Command, ...] = ()
    reply: str = ""
    tier: str = "none"
    ms: float = 0.0
    rejected: tuple[Rejection, ...] = ()
    error: ErrorInfo | None = None
    language: str | None = None
    # acted | answered | asked | refused | not_understood | error (the event log's outcome)
    outcome: str = "not_understood"
    # A private FAQ answer: never cached, never on <prefix>/last, never logged in clear
    private: bool = False
    # The commands include a security action (never kept in the decision cache)
    secure: bool = False
    # A question's follow-up: what "yes" does (a confirmation, "Did you mean ...?"), or the
    # entity ids "Which one" offers
    pending: tuple[Command, ...] = ()
    choices: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "commands": [c.to_dict() for c in self.commands],
            "reply": self.reply,
            "tier": self.tier,
            "ms": round(self.ms, 2),
        }
        if self.rejected:
            out["rejected"] = [r.to_dict() for r in self.rejected]
        if self.error is not None:
            out["error"] = self.error.to_dict()
        if self.pending:
            out["pending"] = [c.to_dict() for c in self.pending]
        if self.choices:
            out["choices"] = list(self.choices)
        return out
