"""Bindings: validated commands -> the MQTT messages that reach each device.

Each device says how it is reached (``binding:`` in the config, see ``spec``); the Router picks
the binding per device and translates every command of a reply before anything is published,
so a command one device cannot express stops the whole reply instead of half of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hub.config.binding import BindingSpec, parse_binding
from hub.integrations.binding import Binding, BindingError, OutMessage
from hub.integrations.custom.binding import CustomBinding
from hub.integrations.homeassistant.binding import HomeAssistantBinding
from hub.integrations.tasmota.binding import TasmotaBinding
from hub.integrations.zigbee2mqtt.binding import Zigbee2MQTTBinding
from hub.messages import Command
from hub.registry import Device, Registry

__all__ = ["Binding", "BindingError", "BindingSettings", "OutMessage", "Router", "make_binding"]


@dataclass(frozen=True)
class BindingSettings:
    prefix: str = "hub"  # Home Assistant binding: <prefix>/action/<domain>
    zigbee2mqtt_base: str = "zigbee2mqtt"


def make_binding(spec: BindingSpec, settings: BindingSettings) -> Binding:
    if spec.type == "zigbee2mqtt" and spec.friendly_name:
        base = spec.base or settings.zigbee2mqtt_base
        return Zigbee2MQTTBinding(base, spec.friendly_name, spec.setpoint, spec.endpoint)
    if spec.type == "tasmota" and spec.topic:
        return TasmotaBinding(spec.topic, spec.relay)
    if spec.type == "custom" and spec.topic:
        return CustomBinding(spec.topic, spec.payloads)
    return HomeAssistantBinding(settings.prefix)


class Router:
    """The bindings of one registry's devices, and the translation of commands through them."""

    def __init__(
        self,
        registry: Registry,
        settings: BindingSettings | None = None,
        bindings: Mapping[str, Binding] | None = None,
    ) -> None:
        """``bindings``: ready-made bindings by entity id (discovered devices), used before the
        device's ``binding:`` spec."""
        self.registry = registry
        self.settings = settings or BindingSettings()
        self._bindings: dict[str, Binding] = dict(bindings or {})

    def binding(self, device: Device) -> Binding:
        binding = self._bindings.get(device.entity_id)
        if binding is None:
            spec = parse_binding(device.binding, device.entity_id)  # checked at config load
            binding = self._bindings[device.entity_id] = make_binding(spec, self.settings)
        return binding

    def messages(self, commands: Sequence[Command]) -> list[OutMessage]:
        """Every message for ``commands``, in order; raises BindingError if any cannot be sent."""
        out: list[OutMessage] = []
        for command in commands:
            out.extend(self._command(command))
        return out

    def _command(self, command: Command) -> list[OutMessage]:
        grouped: dict[int, tuple[Binding, Device, list[str]]] = {}
        out: list[OutMessage] = []
        for entity_id in command.entity_ids:
            device = self.registry.device(entity_id)
            if device is None:  # the validator lets no such command through
                raise BindingError(f"no device {entity_id!r} in this home")
            binding = self.binding(device)
            if binding.groups:
                key = id(type(binding))
                grouped.setdefault(key, (binding, device, []))[2].append(entity_id)
                continue
            out.extend(binding.messages(_narrow(command, (entity_id,)), device))
        for binding, first, entity_ids in grouped.values():
            out.extend(binding.messages(_narrow(command, tuple(entity_ids)), first))
        return out


def _narrow(command: Command, entity_ids: tuple[str, ...]) -> Command:
    if entity_ids == command.entity_ids:
        return command
    return Command(command.action, entity_ids, command.data)
