"""What a discovery source finds: one entity, how to reach it and how it reports its state; and
what hub refused of it, and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.integrations.binding import Binding
from hub.integrations.state import StateSource
from hub.registry import Device

ORIGINS = ("config", "zigbee2mqtt", "homeassistant")


@dataclass(frozen=True)
class Discovered:
    """One entity found on the bus.

    ``key`` is stable across restarts (the Zigbee IEEE address, the HA unique_id); ``names`` are
    what a config override may be keyed by besides the entity id (friendly name, unique_id).
    ``binding`` is a ready-made binding (HA discovery); without one the device's ``binding:``
    spec is used (Zigbee2MQTT devices carry a normal zigbee2mqtt spec).
    """

    key: str
    device: Device
    names: tuple[str, ...] = ()
    binding: Binding | None = None
    source: StateSource | None = None
    group: str = ""  # what one discovery message replaces: "zigbee2mqtt:devices", an HA topic
    # the whole device's names (an endpoint's or a sensor's Zigbee device): an override keyed
    # by one of them hides or places all its entities, but renames none
    parent: tuple[str, ...] = ()
    # who the discovery message says announced it (HA's "origin" name, else the device's
    # manufacturer): a claim anyone on the bus can make, so it never grants anything
    announcer: str = ""

    @property
    def origin(self) -> str:
        return self.device.origin


@dataclass(frozen=True)
class Rejection:
    """Something learnt from the bus that hub refused: an entity, or a message too large to read.

    Kept as data (``Built.rejected``, ``hub devices --discover``) as well as logged, so a person
    can see what an attacker, or a misconfigured device, tried.
    """

    source: str  # the message it came in: an HA config topic, <base>/bridge/devices, ...
    reason: str  # in words, naming the topic when a topic is the reason
    entity_id: str | None = None
    name: str | None = None
    topic: str | None = None  # the topic the reason is about, if any

    @property
    def what(self) -> str:
        if self.entity_id is None:
            return f"a message on {self.source}"
        return f"{self.entity_id} ({self.name!r}, from {self.source})"

    def text(self) -> str:
        return f"{self.what}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "name": self.name,
            "source": self.source,
            "topic": self.topic,
            "reason": self.reason,
        }
