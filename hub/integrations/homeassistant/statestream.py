"""Home Assistant's ``mqtt_statestream``: the state of the devices hub commands through HA.

A device bound to Home Assistant (``binding: homeassistant``, the default) is commanded on
``<prefix>/action/<domain>`` and HA runs the action; hub has no topic of the device to read, so
without this it answers "is the bedside lamp on?" from the config. ``mqtt_statestream`` publishes
every entity's state, retained, on ``<base>/<domain>/<object_id>/state`` (the state as it is:
``on``, ``21.5``, ``unavailable``) and, with ``publish_attributes: true``, each attribute on
``<base>/<domain>/<object_id>/<attribute>`` JSON-encoded (``180``, ``"Bedside Lamp"``,
``null``); ``publish_timestamps: true`` adds ``last_changed``/``last_updated``, which are no
attributes and are skipped.

This module only reads one message (``Statestream.read``) and folds it into a state
(``StreamUpdate.apply``); which devices take it, and when, is ``hub.mqtt.live``'s job: the
devices whose state lives in Home Assistant and nowhere hub can read, namely config devices
bound to HA (their entity id is HA's: the actions name it) and HA discovery entities without a
state topic. A device that reports its own state (bound to Zigbee2MQTT or Tasmota, or an HA
discovery entity with a state topic) keeps it, for three reasons: it is the device's own word,
and comes first, while statestream is HA's echo of it, later (two sources would flap); a
retained echo left by an HA that has since stopped would, at a restart, race the device's
current state and could win; and statestream is keyed by HA's entity id, which for a device hub
learnt elsewhere is hub's own guess (a Zigbee2MQTT friendly name slugified), so it could be
another entity's.

What anyone on the broker may publish is not trusted: a message over ``MAX_PAYLOAD`` bytes, not
UTF-8, or a state HA could not have (over 255 characters, control characters) is ignored, as
data (``Ignored``) for the caller to log; an attribute that is not JSON is taken as text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from hub.registry import State

MAX_PAYLOAD = 4096  # bytes; a state is at most 255 characters, attribute lists a few hundred
MAX_STATE = 255  # characters: Home Assistant's own limit for a state
MAX_ATTRIBUTES = 100  # per entity; a light or media player has 20 to 40
UNAVAILABLE = "unavailable"
# Topics under an entity that carry no attribute: the timestamps of ``publish_timestamps``, and
# a discovery config (HA's docs use ``homeassistant``, the discovery prefix, as the base topic)
NOT_ATTRIBUTES = frozenset({"last_changed", "last_updated", "config"})

_SLUG = re.compile(r"[a-z0-9_]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class StreamUpdate:
    """One statestream message about one entity: its state, or one of its attributes."""

    entity_id: str
    state: str | None = None  # from ``.../state``
    attribute: str | None = None  # from ``.../<attribute>``
    value: Any = None  # the attribute's value; None (JSON null): HA has none now

    @property
    def available(self) -> bool | None:
        """False for ``unavailable``, True for any other state, None for an attribute."""
        if self.state is None:
            return None
        return self.state != UNAVAILABLE

    def apply(self, current: State, max_attributes: int = MAX_ATTRIBUTES) -> State | None:
        """``current`` with this message folded in; None when it would add an attribute past
        ``max_attributes`` (a flood of made-up names must not grow a device's state)."""
        if self.attribute is None:
            return State(self.state, current.attributes)
        attributes = dict(current.attributes)
        if self.value is None:
            if attributes.pop(self.attribute, None) is None:
                return current
        else:
            if self.attribute not in attributes and len(attributes) >= max_attributes:
                return None
            attributes[self.attribute] = self.value
        return State(current.state, MappingProxyType(attributes))


@dataclass(frozen=True)
class Ignored:
    """A statestream message that cannot be used, and why (for the journal)."""

    topic: str
    reason: str
    entity_id: str | None = None  # None: the topic names no entity


class Statestream:
    """The messages under one ``base_topic`` (what HA's ``mqtt_statestream.base_topic`` says)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self._prefix = self.base + "/"

    def covers(self, topic: str) -> bool:
        return topic.startswith(self._prefix)

    def filter(self, entity_id: str) -> str:
        """The subscription for one entity's state and attributes."""
        domain, _, object_id = entity_id.partition(".")
        return f"{self._prefix}{domain}/{object_id}/+"

    def read(self, topic: str, payload: bytes) -> StreamUpdate | Ignored | None:
        """What one message says; None when it says nothing (another topic, a timestamp, an
        emptied retained message)."""
        if not self.covers(topic):
            return None
        levels = topic[len(self._prefix) :].split("/")
        if len(levels) != 3:
            return None
        domain, object_id, key = levels
        if not (_SLUG.fullmatch(domain) and _SLUG.fullmatch(object_id)):
            return Ignored(topic, f"'{domain}.{object_id}' is not an entity id")
        entity_id = f"{domain}.{object_id}"
        if not key:
            return Ignored(topic, "no attribute name", entity_id)
        if key in NOT_ATTRIBUTES:
            return None
        if len(payload) > MAX_PAYLOAD:
            size = f"{len(payload)} bytes, over the {MAX_PAYLOAD} hub reads here"
            return Ignored(topic, size, entity_id)
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            return Ignored(topic, "not UTF-8 text", entity_id)
        if key != "state":
            if not text.strip():
                return None
            return StreamUpdate(entity_id, attribute=key, value=_json_or_text(text))
        state = text.strip()
        if not state:
            return None
        if len(state) > MAX_STATE:
            length = f"a state of {len(state)} characters (HA's are at most {MAX_STATE})"
            return Ignored(topic, length, entity_id)
        if _CONTROL.search(state):
            return Ignored(topic, "a state with control characters", entity_id)
        return StreamUpdate(entity_id, state=state)


def _json_or_text(text: str) -> Any:
    """HA JSON-encodes attributes; anything else (hand-published) is taken as the text."""
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return text.strip()
    return value


def _no_constant(name: str) -> Any:
    """NaN and Infinity are no JSON (HA never sends them) and compare with nothing."""
    raise ValueError(f"{name} is not a JSON value")
