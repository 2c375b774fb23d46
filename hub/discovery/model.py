"""What a discovery source finds: one entity, how to reach it and how it reports its state."""

from __future__ import annotations

from dataclasses import dataclass

from hub.bindings.base import Binding
from hub.registry import Device
from hub.state.base import StateSource

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

    @property
    def origin(self) -> str:
        return self.device.origin
