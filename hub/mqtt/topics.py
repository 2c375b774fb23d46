"""The hub's MQTT topics, all under one prefix (``hub`` by default), and which may take replies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hub.config import MQTTConfig
from hub.config.binding import topic_problem

REQUEST, COMMAND = "request", "command"
# Topics of other systems an answer must never land on: device commands and states of Tasmota
# (cmnd/, stat/, tele/) and the broker's own ($SYS/...). Zigbee2MQTT's base and Home Assistant's
# discovery prefix come from the config.
FOREIGN_ROOTS = ("cmnd", "stat", "tele")


class KnownTopics(Protocol):
    """The topics the home's devices are commanded on or report their state on."""

    def problem(self, topic: str) -> str | None: ...


@dataclass(frozen=True)
class Origin:
    """Where a message on one of the hub's input topics comes from."""

    kind: str  # request | command
    source: str  # "mqtt" (the plain topic) or "mqtt/<name>" (<prefix>/<kind>/<name>)


@dataclass(frozen=True)
class Topics:
    prefix: str = "hub"
    discovery_prefix: str = "homeassistant"
    zigbee2mqtt_base: str = "zigbee2mqtt"

    @classmethod
    def of(cls, settings: MQTTConfig) -> Topics:
        return cls(settings.prefix, settings.discovery_prefix, settings.zigbee2mqtt_base)

    @property
    def request(self) -> str:  # text or JSON requests in; <prefix>/request/<name> names the sender
        return f"{self.prefix}/request"

    @property
    def command(self) -> str:  # commands in the DESIGN.md shape, from <prefix>/command/<name>
        return f"{self.prefix}/command"

    @property
    def inputs(self) -> list[str]:
        """The subscriptions for requests and commands: plain, and one level of sender name."""
        return [self.request, f"{self.request}/+", self.command, f"{self.command}/+"]

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

    @property
    def markers(self) -> str:  # <prefix>/marker/<client id>: the hub's own freshness probes
        return f"{self.prefix}/marker"

    def action(self, domain: str) -> str:  # commands for Home Assistant to run
        return f"{self.prefix}/action/{domain}"

    def origin(self, topic: str) -> Origin | None:
        """The kind and source of a message on an input topic; None for any other topic."""
        for kind, base in ((REQUEST, self.request), (COMMAND, self.command)):
            if topic == base:
                return Origin(kind, "mqtt")
            name = topic.removeprefix(base + "/")
            if name != topic and name and "/" not in name:
                return Origin(kind, f"mqtt/{name}")
        return None

    def reply_problem(self, topic: str, known: KnownTopics | None = None) -> str | None:
        """Why a requester may not have its answer published on ``topic``, or None.

        A reply must not land where it would be taken for a request or a device command, or
        where the home reads a state: under the hub's prefix only ``<prefix>/response[/...]``
        and ``<prefix>/reply/...`` take answers; never Zigbee2MQTT's base, Home Assistant's
        discovery prefix, Tasmota's ``cmnd/``, ``stat/``, ``tele/``, a ``$`` topic, or any topic
        of ``known`` (the devices' command and state topics, from the daemon).
        """
        problem = topic_problem(topic)
        if problem:
            return problem
        if topic.startswith("$"):
            return f"{topic!r} is a broker topic"
        own = topic.removeprefix(self.prefix + "/")
        if topic == self.prefix or own != topic:
            if own == "response" or own.startswith(("response/", "reply/")):
                return None
            return (
                f"{topic!r} is one of the hub's own topics (answers may go to "
                f"{self.response} or under {self.prefix}/reply/)"
            )
        for root in (self.zigbee2mqtt_base, self.discovery_prefix, *FOREIGN_ROOTS):
            if topic == root or topic.startswith(root + "/"):
                return f"{topic!r} is reserved for {root} messages"
        if known is not None:
            return known.problem(topic)
        return None
