"""The interface every state source implements, and helpers they share."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Protocol

from hub.registry import State


class StateSource(Protocol):
    """How one device reports its state and availability on the bus."""

    def topics(self) -> tuple[str, ...]:
        """Topics that carry the device's state."""

    def availability_topics(self) -> tuple[str, ...]:
        """Topics that say whether the device is reachable."""

    def read(self, topic: str, payload: bytes, current: State) -> State | None:
        """The device's new state after this message, or None when it says nothing new."""

    def available(self, topic: str, payload: bytes) -> bool | None:
        """True/False from an availability message; None when it is not one."""


def merge_state(current: State, state: str | None, attributes: Mapping[str, Any]) -> State:
    """``current`` with a new state value (None: unchanged) and these attributes added."""
    merged = {**current.attributes, **attributes}
    return State(
        current.state if state is None else state,
        MappingProxyType(merged),
    )


def json_object(payload: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def number(value: Any) -> float | int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return int(result) if result.is_integer() else result


def text(payload: bytes) -> str:
    return payload.decode("utf-8", errors="replace").strip()


ON_WORDS = frozenset({"on", "true", "1", "open", "locked", "lock"})
