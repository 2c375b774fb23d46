"""The validator: every command, from any tier or client, is checked before it can be published.

Checks, in order: the shape, the action exists, every target exists and is of the action's
domain, the device has the features the action and its data need, the data keys are known, of
the right type and in range (device limits such as ``min_temp`` narrow the table's range).
A refused command comes back as a Rejection with a machine-readable code and a reason.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from hub.actions import ACTIONS, DOMAINS, Param
from hub.messages import Command, Rejection
from hub.registry import Device, Registry

_LOGGER = logging.getLogger(__name__)

# Codes a rejection can carry.
BAD_SHAPE = "bad_shape"
UNKNOWN_ACTION = "unknown_action"
UNKNOWN_ENTITY = "unknown_entity"
WRONG_DOMAIN = "wrong_domain"
UNSUPPORTED = "unsupported_feature"
UNKNOWN_DATA = "unknown_data_key"
MISSING_DATA = "missing_data"
BAD_TYPE = "bad_type"
OUT_OF_RANGE = "out_of_range"

# Device state attributes that narrow a parameter's range.
_DEVICE_LIMITS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "temperature": ("min_temp", "max_temp"),
        "color_temp_kelvin": ("min_color_temp_kelvin", "max_color_temp_kelvin"),
    }
)


@dataclass(frozen=True)
class Checked:
    """The outcome of validating one command: a clean command, or a rejection."""

    command: Command | None = None
    rejection: Rejection | None = None

    @property
    def ok(self) -> bool:
        return self.command is not None


def validate(raw: Command | Mapping[str, Any], registry: Registry) -> Checked:
    """Check one command against the registry and the action table."""
    as_dict = (
        raw.to_dict() if isinstance(raw, Command) else dict(raw) if isinstance(raw, Mapping) else {}
    )
    try:
        command = raw if isinstance(raw, Command) else Command.from_dict(raw)
    except ValueError as exc:
        return _reject(BAD_SHAPE, str(exc), as_dict)

    spec = ACTIONS.get(command.action)
    if spec is None:
        domain = command.domain
        if domain in DOMAINS:
            reason = f"{domain} has no action {command.service!r}"
        else:
            reason = f"no actions are known for domain {domain!r}"
        return _reject(UNKNOWN_ACTION, reason, as_dict)

    data = dict(command.data)
    for key in data:
        if key not in spec.params:
            allowed = ", ".join(sorted(spec.params)) or "none"
            return _reject(
                UNKNOWN_DATA, f"{spec.action} takes no {key!r} (allowed: {allowed})", as_dict
            )
    for key in spec.required:
        if key not in data:
            return _reject(MISSING_DATA, f"{spec.action} needs {key!r}", as_dict)

    entity_ids = tuple(dict.fromkeys(command.entity_ids))
    for entity_id in entity_ids:
        device = registry.device(entity_id)
        if device is None:
            return _reject(UNKNOWN_ENTITY, f"no device {entity_id!r} in this home", as_dict)
        if device.domain != spec.domain:
            return _reject(
                WRONG_DOMAIN, f"{entity_id} is a {device.domain}, not a {spec.domain}", as_dict
            )
        if spec.feature and not device.supports(spec.feature):
            return _reject(UNSUPPORTED, f"{device.name} does not support {spec.feature}", as_dict)
        for key, value in data.items():
            param = spec.params[key]
            if param.feature and not device.supports(param.feature):
                return _reject(
                    UNSUPPORTED,
                    f"{device.name} does not support {param.feature} ({key})",
                    as_dict,
                )
            problem = _check_value(param, value, device)
            if problem is not None:
                code, reason = problem
                return _reject(code, f"{key}: {reason}", as_dict)

    clean = {key: _coerce(spec.params[key], value) for key, value in data.items()}
    return Checked(command=Command(spec.action, entity_ids, MappingProxyType(clean)))


def _reject(code: str, reason: str, command: Mapping[str, Any]) -> Checked:
    return Checked(rejection=Rejection(code, reason, command))


def _check_value(param: Param, value: Any, device: Device) -> tuple[str, str] | None:
    if param.kind == "bool":
        return None if isinstance(value, bool) else (BAD_TYPE, "must be true or false")
    if param.kind == "string":
        if not isinstance(value, str) or not value.strip():
            return (BAD_TYPE, "must be a non-empty string")
        if param.max_length is not None and len(value) > param.max_length:
            return (OUT_OF_RANGE, f"longer than {param.max_length} characters")
        if param.choices is not None:
            allowed = _device_choices(param, device)
            if value.strip().lower() not in allowed:
                return (OUT_OF_RANGE, f"{value!r} is not one of the accepted values")
        return None
    # numbers
    if isinstance(value, bool) or not isinstance(value, int | float):
        return (BAD_TYPE, "must be a number")
    if not math.isfinite(value):
        return (BAD_TYPE, "must be a finite number")
    if param.kind == "int" and value != int(value):
        return (BAD_TYPE, "must be a whole number")
    low, high = _device_range(param, device)
    if (low is not None and value < low) or (high is not None and value > high):
        return (OUT_OF_RANGE, f"{value:g} is outside {low:g}..{high:g}")
    return None


def _device_range(param: Param, device: Device) -> tuple[float | None, float | None]:
    low, high = param.minimum, param.maximum
    keys = _DEVICE_LIMITS.get(param.name)
    if keys:
        attrs = device.state.attributes
        dev_low, dev_high = attrs.get(keys[0]), attrs.get(keys[1])
        if isinstance(dev_low, int | float) and not isinstance(dev_low, bool):
            low = dev_low
        if isinstance(dev_high, int | float) and not isinstance(dev_high, bool):
            high = dev_high
    return low, high


def _device_choices(param: Param, device: Device) -> frozenset[str]:
    allowed = param.choices or frozenset()
    if param.name == "hvac_mode":
        modes = device.state.attributes.get("hvac_modes")
        if isinstance(modes, list) and modes:
            allowed = allowed & {str(m).lower() for m in modes}
    return allowed


def _coerce(param: Param, value: Any) -> Any:
    """Normalise a valid value: whole numbers as int, choice strings lower-case."""
    if param.kind == "int":
        return int(value)
    if param.kind == "number" and isinstance(value, float) and value.is_integer():
        return int(value)
    if param.kind == "string" and param.choices is not None:
        return str(value).strip().lower()
    return value


def validate_all(
    commands: Sequence[Command], registry: Registry
) -> tuple[tuple[Command, ...], tuple[Rejection, ...]]:
    """The commands that pass, and the rejections of those that do not (each logged)."""
    accepted: list[Command] = []
    rejected: list[Rejection] = []
    for command in commands:
        checked = validate(command, registry)
        if checked.command is not None:
            accepted.append(checked.command)
        elif checked.rejection is not None:
            _LOGGER.warning("Rejected %s: %s", command.to_dict(), checked.rejection.reason)
            rejected.append(checked.rejection)
    return tuple(accepted), tuple(rejected)
