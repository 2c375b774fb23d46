"""Home Assistant: the command as it is, on ``<prefix>/action/<domain>``.

An automation with an MQTT trigger on ``<prefix>/action/+`` runs it (docs/homeassistant.md has
the YAML).
"""

from __future__ import annotations

from hub.integrations.binding import Binding, OutMessage, compact_json
from hub.messages import Command
from hub.registry import Device


class HomeAssistantBinding(Binding):
    type = "homeassistant"
    groups = True

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def messages(self, command: Command, device: Device) -> list[OutMessage]:
        topic = f"{self.prefix}/action/{command.domain}"
        return [OutMessage(topic, compact_json(command.to_dict()))]
