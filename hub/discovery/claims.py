"""Which MQTT topics each device of the home commands and reads: claims others may not use.

A topic belongs to the device that uses it. A config device claims the topics its binding
publishes to and reads from; a Zigbee2MQTT device (in the config or from the bridge) claims
``<base>/<name>`` with its ``/set``, ``/get`` and ``/availability``; a Tasmota device in the config
``cmnd/``, ``stat/`` and ``tele/<topic>/``; an accepted Home Assistant discovery entity its own
command and state topics. ``hub.discovery.guard`` refuses a discovered entity whose topics fall
under another owner's claim: that keeps a retained config from making hub command, or read the
state of, a device that is not its own.

Claims are kept as exact topics and ``prefix/#`` filters in dictionaries, so checking a topic
costs a lookup per topic level, not a pass over every device of a 500-entity home.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from string import Template

from paho.mqtt.client import topic_matches_sub

from hub.config.binding import BindingSpecError, parse_binding
from hub.registry import Device

# What a device's fields give a custom topic template; any other placeholder is a whole level
_DEVICE_FIELDS = ("entity_id", "object_id", "domain", "name")


@dataclass(frozen=True)
class Claim:
    pattern: str  # an MQTT topic filter: exact, "a/b/#", or with "+" levels
    owner: str  # claims of one owner never conflict with each other
    holder: str  # in words, for the log: "the config's lock.front_door"
    command: bool  # the owner publishes there (else it reads its state or availability there)
    private: bool  # no other owner may even read it (config and Zigbee2MQTT devices)


class Claims:
    """Every claim made so far, and who holds a given topic."""

    def __init__(self) -> None:
        self._exact: dict[str, list[Claim]] = {}
        self._prefix: dict[str, list[Claim]] = {}  # "a/b" for the filter "a/b/#"
        self._other: list[Claim] = []  # filters with "+": few (custom topic templates)

    def add(self, claim: Claim) -> None:
        pattern = claim.pattern
        head, sep, tail = pattern.rpartition("/")
        if "+" in pattern or ("#" in pattern and not (sep and tail == "#" and "#" not in head)):
            self._other.append(claim)
        elif sep and tail == "#":
            self._prefix.setdefault(head, []).append(claim)
        else:
            self._exact.setdefault(pattern, []).append(claim)

    def holder(self, topic: str, owners: Collection[str], *, reading: bool) -> Claim | None:
        """The first claim on ``topic`` held by none of ``owners``; None when it is free.

        ``reading``: the topic is to be read, which only private and command claims forbid
        (two entities of one device may read one state topic; none may read a config device's).
        """
        for claim in self._candidates(topic):
            if claim.owner in owners:
                continue
            if not reading or claim.private or claim.command:
                return claim
        return None

    def _candidates(self, topic: str) -> Iterator[Claim]:
        yield from self._exact.get(topic, ())
        levels = topic.split("/")
        for i in range(len(levels), 0, -1):  # "a/b/#" matches "a/b" and everything below it
            yield from self._prefix.get("/".join(levels[:i]), ())
        for claim in self._other:
            if topic_matches_sub(claim.pattern, topic):
                yield claim


def zigbee2mqtt_claims(base: str, friendly_name: str, holder: str) -> list[Claim]:
    """A Zigbee2MQTT device's topics; every entity of the device (its endpoints, its sensors,
    its twin in the config) is the same owner."""
    owner = zigbee2mqtt_owner(base, friendly_name)
    topic = f"{base}/{friendly_name}"
    return [
        Claim(topic, owner, holder, command=False, private=True),
        Claim(f"{topic}/availability", owner, holder, command=False, private=True),
        Claim(f"{topic}/set/#", owner, holder, command=True, private=True),
        Claim(f"{topic}/get/#", owner, holder, command=True, private=True),
    ]


def zigbee2mqtt_owner(base: str, friendly_name: str) -> str:
    return f"zigbee2mqtt:{base}/{friendly_name}"


def config_claims(device: Device, zigbee2mqtt_base: str) -> list[Claim]:
    """The topics a config device's binding publishes to and reads from (none for the default
    binding, whose ``<prefix>/action/<domain>`` is under hub's own prefix, forbidden anyway)."""
    try:
        spec = parse_binding(device.binding, device.entity_id)
    except BindingSpecError:
        return []  # the config loader refuses such a device; nothing to claim
    holder = f"the config's {device.entity_id} ({device.name!r})"
    if spec.type == "zigbee2mqtt" and spec.friendly_name:
        return zigbee2mqtt_claims(spec.base or zigbee2mqtt_base, spec.friendly_name, holder)
    owner = f"config:{device.entity_id}"
    if spec.type == "tasmota" and spec.topic:
        return [
            Claim(f"cmnd/{spec.topic}/#", owner, holder, command=True, private=True),
            Claim(f"stat/{spec.topic}/#", owner, holder, command=False, private=True),
            Claim(f"tele/{spec.topic}/#", owner, holder, command=False, private=True),
        ]
    if spec.type == "custom" and spec.topic:
        pattern = custom_filter(spec.topic, device)
        return [Claim(pattern, owner, holder, command=True, private=True)]
    return []


def custom_filter(template: str, device: Device) -> str:
    """A custom binding's topic template as a filter: the device's own fields filled in, a
    level with any other placeholder (``${service}``, a data key) as ``+``."""
    values = {
        "entity_id": device.entity_id,
        "object_id": device.entity_id.split(".", 1)[-1],
        "domain": device.domain,
        "name": device.name,
    }
    levels = []
    for level in template.split("/"):
        part = Template(level)
        if set(part.get_identifiers()) - set(_DEVICE_FIELDS):
            levels.append("+")
        else:
            levels.append(part.safe_substitute(values))
    return "/".join(levels)
