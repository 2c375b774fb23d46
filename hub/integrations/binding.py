"""The binding interface: how one validated command reaches one device as MQTT messages."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from hub.errors import HubError
from hub.messages import Command
from hub.registry import Device


@dataclass(frozen=True)
class OutMessage:
    """One MQTT message to publish (QoS 1, never retained, with a short expiry)."""

    topic: str
    payload: str

    def to_dict(self) -> dict[str, str]:
        return {"topic": self.topic, "payload": self.payload}


class BindingError(HubError):
    """A valid command that a device's binding cannot express (e.g. toggling a Zigbee cover)."""

    code = "unsupported_by_binding"


class Binding(ABC):
    """Turns a command for one device into the messages its firmware understands."""

    type: ClassVar[str]
    # True: one message carries every device of a command that uses this binding (Home
    # Assistant runs a command with many targets as it is); False: one call per device.
    groups: ClassVar[bool] = False

    @abstractmethod
    def messages(self, command: Command, device: Device) -> list[OutMessage]:
        """The messages for ``command`` on ``device``; raises BindingError when it cannot."""

    def unsupported(self, command: Command, device: Device) -> BindingError:
        return BindingError(
            f"{device.name} ({self.type}) cannot do {command.action}"
            + (f" with {', '.join(command.data)}" if command.data else "")
        )


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
