"""The topics the home's devices are commanded on and report on: no answer may go there.

A requester could otherwise name a device's command topic as its ``reply_to`` and have the hub
publish an answer where a device takes orders (``garden/garden_sprinkler/command``), or where the
home reads a state. The topics come from the Router's bindings (one per device, config and
discovered alike) and from the state sources of the live home:

- Zigbee2MQTT: ``<base>/<friendly_name>/set``, so everything under ``<base>/<friendly_name>``
  (its state topic too), also for a binding with its own ``base``;
- a custom binding: its topic template, the device's own placeholders filled in and the rest
  (``${service}``, data keys) matching anything;
- a device announced by Home Assistant discovery: every ``*_topic`` of its config;
- Tasmota and the Home Assistant binding live under ``cmnd/`` and the hub's prefix, which
  ``Topics.reply_problem`` refuses anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from string import Template
from typing import Any

from hub.integrations.custom.binding import CustomBinding
from hub.integrations.homeassistant.entity import MQTTEntityBinding
from hub.integrations.router import Router
from hub.integrations.zigbee2mqtt.binding import Zigbee2MQTTBinding
from hub.registry import Device


@dataclass(frozen=True)
class DeviceTopics:
    exact: frozenset[str] = frozenset()
    roots: frozenset[str] = frozenset()  # these and everything under them
    patterns: tuple[re.Pattern[str], ...] = ()

    def problem(self, topic: str) -> str | None:
        if topic in self.exact:
            return f"{topic!r} is a device's command or state topic"
        for root in self.roots:
            if topic == root or topic.startswith(root + "/"):
                return f"{topic!r} is a device's topic (under {root})"
        for pattern in self.patterns:
            if pattern.fullmatch(topic):
                return f"{topic!r} matches a device's custom command topic"
        return None


def device_topics(router: Router, state_topics: Iterable[str] = ()) -> DeviceTopics:
    """Every command topic of ``router``'s devices, and the given state topics."""
    exact: set[str] = set(state_topics)
    roots: set[str] = set()
    patterns: dict[str, re.Pattern[str]] = {}
    for device in router.registry.devices:
        try:
            binding = router.binding(device)
        except ValueError:  # a binding spec the config check let through: it sends nothing
            continue
        if isinstance(binding, Zigbee2MQTTBinding):
            roots.add(binding.topic.removesuffix("/set"))
        elif isinstance(binding, CustomBinding):
            pattern = _pattern(binding.topic, device)
            patterns.setdefault(pattern.pattern, pattern)
        elif isinstance(binding, MQTTEntityBinding):
            exact.update(_config_topics(binding.config))
    return DeviceTopics(frozenset(exact), frozenset(roots), tuple(patterns.values()))


def _pattern(template: Template, device: Device) -> re.Pattern[str]:
    """The custom topic template as a regular expression: the device's own placeholders are
    filled in, the others (they depend on the command) match anything."""
    own = {
        "entity_id": device.entity_id,
        "object_id": device.entity_id.split(".", 1)[1],
        "domain": device.domain,
        "name": device.name,
    }
    parts: list[str] = []
    last = 0
    for match in template.pattern.finditer(template.template):
        parts.append(re.escape(template.template[last : match.start()]))
        name = match.group("named") or match.group("braced")
        if match.group("escaped") is not None:
            parts.append(re.escape("$"))
        elif name in own:
            parts.append(re.escape(own[name]))
        else:
            parts.append(".*")
        last = match.end()
    parts.append(re.escape(template.template[last:]))
    return re.compile("".join(parts))


def _config_topics(config: Mapping[str, Any]) -> set[str]:
    """Every value of a key ending in ``topic`` in a discovery config, nested ones included
    (``availability: [{topic: ...}]``)."""
    found: set[str] = set()
    stack: list[Any] = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            for key, value in item.items():
                if str(key).endswith("topic") and isinstance(value, str) and value:
                    found.add(value)
                elif isinstance(value, Mapping | list):
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return found
