"""The hub's MQTT topics, all under one prefix (``hub`` by default), and which may take replies."""

from __future__ import annotations

from dataclasses import dataclass

from hub.bindings.spec import topic_problem
from hub.config import MQTTConfig


@dataclass(frozen=True)
class Topics:
    prefix: str = "hub"
    discovery_prefix: str = "homeassistant"
    zigbee2mqtt_base: str = "zigbee2mqtt"

    @classmethod
    def of(cls, settings: MQTTConfig) -> Topics:
        return cls(settings.prefix, settings.discovery_prefix, settings.zigbee2mqtt_base)

    @property
    def request(self) -> str:  # text or JSON requests in
        return f"{self.prefix}/request"

    @property
    def command(self) -> str:  # commands in the DESIGN.md shape, from automations
        return f"{self.prefix}/command"

    @property
    def response(self) -> str:  # answers, unless the request names its own topic
        return f"{self.prefix}/response"

    @property
    def status(self) -> str:  # retained online/offline, with the last will
        return f"{self.prefix}/status"

    @property
    def last(self) -> str:  # retained: the last request and its outcome (a sensor in HA)
        return f"{self.prefix}/last"

    @property
    def ha_status(self) -> str:  # Home Assistant's birth message: re-announce on "online"
        return f"{self.discovery_prefix}/status"

    def action(self, domain: str) -> str:  # commands for Home Assistant to run
        return f"{self.prefix}/action/{domain}"

    def reply_problem(self, topic: str) -> str | None:
        """Why a requester may not have its answer published on ``topic``, or None.

        A reply must not land where it would be taken for a request or a device command
        (a reply on ``hub/request`` would loop; one on ``zigbee2mqtt/...`` would reach a device).
        """
        problem = topic_problem(topic)
        if problem:
            return problem
        if topic.startswith("$"):
            return f"{topic!r} is a broker topic"
        reserved = (
            self.request,
            self.command,
            self.status,
            self.last,
            f"{self.prefix}/action",
            self.zigbee2mqtt_base,
            "cmnd",
            self.discovery_prefix,
        )
        for root in reserved:
            if topic == root or topic.startswith(root + "/"):
                return f"{topic!r} is reserved for {root} messages"
        return None
