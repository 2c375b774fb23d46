"""What a device learnt from the bus may not do; checked before it joins the home.

Anyone who can publish a retained message on the household's broker can announce a device. Hub
would then publish whatever that announcement says, to the topic it names, whenever a person
names it. So an entity from the bus is refused when

- it would replace a config device: it has a config device's entity id (or name, below);
- it is a security entity (a lock, an alarm panel, a garage, door or gate cover, as
  ``hub.security.policy.is_opening_cover`` says) that ``discovery.allow_security`` does not list;
- its name or an alias is already a device's, an area's or a floor's, or starts with an action
  word ("unlock Front Door" would capture "unlock front door");
- a topic it commands or reads has a wildcard, is under hub's own prefix, the discovery prefix
  or Zigbee2MQTT's bridge, or belongs to another device (``hub.discovery.claims``: the config's
  devices first, then Zigbee2MQTT's bridge, then Home Assistant configs in the order they came);
- a Home Assistant config commands a topic under Zigbee2MQTT's base (those devices come from the
  bridge itself, which only Zigbee2MQTT publishes), or under Tasmota's ``cmnd/`` without being a
  Tasmota device commanding its own ``cmnd/<topic>/``;
- ``discovery.command_topics`` is given and matches none of its command topics.

Refusals are data (``Rejection``), logged once by ``hub.discovery.merge``. Two kinds of entity
are skipped quietly, as duplicates rather than refusals: hub's own announcements, and
Zigbee2MQTT's Home Assistant configs while hub reads Zigbee2MQTT's bridge itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hub.config.discovery import DeviceOverride, DiscoveryConfig
from hub.discovery.actionwords import action_word
from hub.discovery.claims import (
    Claim,
    Claims,
    config_claims,
    zigbee2mqtt_claims,
    zigbee2mqtt_owner,
)
from hub.integrations.discovered import Discovered, Rejection
from hub.integrations.homeassistant.entity import MQTTEntityBinding
from hub.integrations.zigbee2mqtt.state import Z2MState
from hub.registry import Area, Device, Floor
from hub.security.policy import is_opening_cover
from hub.text.fold import normalize_name

# Domains whose every device opens the home to someone, in words for the log
SECURITY_DOMAINS = {"lock": "lock", "alarm_control_panel": "alarm panel"}


class Guard:
    """Checks discovered entities one by one, in the order they may claim topics and names."""

    def __init__(
        self,
        settings: DiscoveryConfig,
        own_prefix: str,
        floors: Iterable[Floor],
        areas: Iterable[Area],
        config_devices: Iterable[Device],
    ) -> None:
        self.settings = settings
        self.base = settings.zigbee2mqtt_base
        self.own_prefix = own_prefix
        self._forbidden = (
            (own_prefix, "hub's own topics"),
            (settings.discovery_prefix, "the Home Assistant discovery topics"),
            (f"{self.base}/bridge", "Zigbee2MQTT's bridge topics"),
        )
        self.claims = Claims()
        self._names: dict[str, str] = {}
        self._config: dict[str, Device] = {}
        for floor in floors:
            self._add_names(floor.names, f"the floor {floor.name!r}")
        for area in areas:
            self._add_names(area.names, f"the area {area.name!r}")
        for device in config_devices:
            self._config[device.entity_id] = device
            self._add_names(device.names, f"the config's {device.entity_id}")
            for claim in config_claims(device, self.base):
                self.claims.add(claim)

    # -- quiet skips -------------------------------------------------------------------------
    def duplicate(self, item: Discovered) -> str | None:
        """Why ``item`` is skipped without a warning (it repeats what hub has), or None."""
        commands, reads = self.topics(item)
        announcer = item.announcer.casefold()
        if announcer == "hub" and not commands and all(_under(t, self.own_prefix) for t in reads):
            return "hub's own announcement"
        if (
            announcer == "zigbee2mqtt"
            and item.origin != "zigbee2mqtt"
            and self.settings.zigbee2mqtt
            and all(_under(t, self.base) for t in (*commands, *reads))
        ):
            return f"Zigbee2MQTT's own config; hub reads {self.base}/bridge/devices itself"
        return None

    # -- refusals ----------------------------------------------------------------------------
    def check(
        self, item: Discovered, device: Device, override: DeviceOverride | None
    ) -> Rejection | None:
        """Why ``item`` (as ``device`` after the config's override) may not join, or None."""
        found = item.device
        config = self._config.get(found.entity_id)
        if config is not None:
            return self._refuse(
                item,
                f"it has the entity id of the config's {config.entity_id} ({config.name!r}); "
                "the config device keeps its own topics, state and availability",
            )
        kind = _security_kind(found) or _security_kind(device)
        if kind and not {found.entity_id, device.entity_id} & self.settings.allow_security:
            return self._refuse(
                item,
                f"it is a {kind}, and a security device learnt from the bus is used only when "
                f"discovery.allow_security lists it ({device.entity_id})",
            )
        names = [] if override is not None and override.name else [found.name]
        names += [] if override is not None and override.aliases else list(found.aliases)
        for name in names:
            word = action_word(name)
            if word is not None:
                return self._refuse(
                    item,
                    f"its name {name!r} starts with {word!r}, as requests do, so it would "
                    "capture requests meant for other devices",
                )
            holder = self._names.get(normalize_name(name))
            if holder is not None:
                return self._refuse(item, f"its name {name!r} is already the name of {holder}")
        return self._check_topics(item)

    def _check_topics(self, item: Discovered) -> Rejection | None:
        commands, reads = self.topics(item)
        tasmota = self._tasmota(item, commands)
        owners = self._owners(item, tasmota)
        for topic in commands:
            problem = self._command_problem(item, topic, owners, tasmota)
            if problem is not None:
                return self._refuse(item, f"its command topic {topic!r} {problem}", topic)
        for topic in reads:
            problem = self._topic_problem(topic)
            if problem is None:
                claim = self.claims.holder(topic, owners, reading=True)
                problem = None if claim is None else f"belongs to {claim.holder}"
            if problem is not None:
                return self._refuse(item, f"its state topic {topic!r} {problem}", topic)
        return None

    def _command_problem(
        self, item: Discovered, topic: str, owners: frozenset[str], tasmota: str | None
    ) -> str | None:
        problem = self._topic_problem(topic)
        if problem is not None:
            return problem
        if item.origin != "zigbee2mqtt" and _under(topic, self.base):
            return (
                f"is under Zigbee2MQTT's base topic ({self.base}/): Zigbee2MQTT devices are "
                f"learnt from {self.base}/bridge/devices, never from a Home Assistant config"
            )
        if item.origin != "zigbee2mqtt" and _under(topic, "cmnd") and tasmota is None:
            return (
                "is under Tasmota's cmnd/, and the config is not a Tasmota device's "
                "commanding its own cmnd/<topic>/"
            )
        if not self.settings.command_topic_allowed(topic):
            return "matches none of discovery.command_topics"
        claim = self.claims.holder(topic, owners, reading=False)
        return None if claim is None else f"belongs to {claim.holder}"

    def _topic_problem(self, topic: str) -> str | None:
        if not topic:
            return "is empty"
        if "+" in topic or "#" in topic:
            return "has an MQTT wildcard (+ or #)"
        if "\0" in topic or topic.startswith("$"):
            return "is not a device topic (NUL, or a $ broker topic)"
        for prefix, what in self._forbidden:
            if _under(topic, prefix):
                return f"is among {what} ({prefix}/)"
        return None

    def _refuse(self, item: Discovered, reason: str, topic: str | None = None) -> Rejection:
        return Rejection(self.source(item), reason, item.device.entity_id, item.device.name, topic)

    # -- accepting ---------------------------------------------------------------------------
    def accept(self, item: Discovered, device: Device) -> None:
        """``item`` joined the home as ``device``: its names and topics are taken."""
        holder = f"the discovered {device.entity_id} (from {self.source(item)})"
        self._add_names(device.names, holder)
        zigbee2mqtt = self._zigbee2mqtt(item)
        if item.origin == "zigbee2mqtt" and zigbee2mqtt is not None:
            for claim in zigbee2mqtt_claims(*zigbee2mqtt, holder):
                self.claims.add(claim)
            return
        commands, reads = self.topics(item)
        owner = f"entity:{item.key}"
        for topic in commands:
            self.claims.add(Claim(topic, owner, holder, command=True, private=False))
        for topic in reads:
            self.claims.add(Claim(topic, owner, holder, command=False, private=False))
        tasmota = self._tasmota(item, commands)
        if tasmota is not None:
            owner = f"tasmota:{tasmota}"
            self.claims.add(Claim(f"cmnd/{tasmota}/#", owner, holder, command=True, private=False))

    # -- what an entity uses -----------------------------------------------------------------
    def topics(self, item: Discovered) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The topics ``item`` would publish to, and the topics it would read."""
        commands: tuple[str, ...] = ()
        binding: Any = item.device.binding
        if isinstance(item.binding, MQTTEntityBinding):
            commands = item.binding.command_topics()
        elif binding and binding.get("type") == "zigbee2mqtt":  # not a sensor: it has none
            base, friendly_name = self._zigbee2mqtt(item) or (self.base, "")
            commands = (f"{base}/{friendly_name}/set",)
        source = item.source
        reads = (*source.topics(), *source.availability_topics()) if source is not None else ()
        return commands, tuple(dict.fromkeys(reads))

    def source(self, item: Discovered) -> str:
        """The message ``item`` came in."""
        if item.group.startswith("zigbee2mqtt:"):
            return f"{self.base}/bridge/{item.group.partition(':')[2]}"
        return item.group

    def _owners(self, item: Discovered, tasmota: str | None) -> frozenset[str]:
        zigbee2mqtt = self._zigbee2mqtt(item)
        if item.origin == "zigbee2mqtt" and zigbee2mqtt is not None:
            return frozenset({zigbee2mqtt_owner(*zigbee2mqtt)})
        owners = {f"entity:{item.key}"}
        if tasmota is not None:
            owners.add(f"tasmota:{tasmota}")
        return frozenset(owners)

    def _zigbee2mqtt(self, item: Discovered) -> tuple[str, str] | None:
        """(base, friendly name) of an entity of Zigbee2MQTT's: by its binding, or (a sensor,
        which has none) by its state source."""
        binding: Any = item.device.binding
        if binding and binding.get("type") == "zigbee2mqtt" and binding.get("friendly_name"):
            return str(binding.get("base") or self.base), str(binding["friendly_name"])
        if item.origin == "zigbee2mqtt" and isinstance(item.source, Z2MState):
            return item.source.base, item.source.friendly_name
        return None

    def _tasmota(self, item: Discovered, commands: tuple[str, ...]) -> str | None:
        """The Tasmota topic of an entity that says it is Tasmota's and commands only its own
        ``cmnd/<topic>/<command>``; None for any other."""
        if item.announcer.casefold() != "tasmota" or not commands:
            return None
        topics = set()
        for command in commands:
            parts = command.split("/")
            if len(parts) < 3 or parts[0] != "cmnd" or not all(parts):
                return None
            topics.add("/".join(parts[1:-1]))
        return topics.pop() if len(topics) == 1 else None

    def _add_names(self, names: Iterable[str], holder: str) -> None:
        for name in names:
            self._names.setdefault(normalize_name(name), holder)


def _under(topic: str, prefix: str) -> bool:
    return topic == prefix or topic.startswith(prefix + "/")


def _security_kind(device: Device) -> str | None:
    if device.domain in SECURITY_DOMAINS:
        return SECURITY_DOMAINS[device.domain]
    if device.domain == "cover" and is_opening_cover(device):
        return "garage, door or gate cover"
    return None
