"""Custom: a topic template and a payload template (one for all actions, or one per action).

Templates use ``${name}`` placeholders (``string.Template``): ``entity_id``, ``object_id``,
``domain``, ``service``, ``action``, ``name``, ``state`` (ON/OFF/TOGGLE for turn_on/turn_off/
toggle), ``data`` (the data as JSON), ``command`` (the whole command as JSON) and any data key,
e.g. ``${brightness_pct}``. A placeholder the command does not fill is an error, never a blank.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from string import Template

from hub.config.binding import topic_problem
from hub.integrations.binding import Binding, BindingError, OutMessage, compact_json
from hub.messages import Command
from hub.registry import Device

_STATES = {"turn_on": "ON", "turn_off": "OFF", "toggle": "TOGGLE"}


class CustomBinding(Binding):
    type = "custom"

    def __init__(self, topic: str, payloads: Mapping[str, str]) -> None:
        self.topic = Template(topic)
        self.payloads = {key: Template(value) for key, value in payloads.items()}

    def messages(self, command: Command, device: Device) -> list[OutMessage]:
        template = self.payloads.get(command.service) or self.payloads.get("default")
        if template is None:
            raise self.unsupported(command, device)
        values = _values(command, device)
        topic = _fill(self.topic, values, device, "topic")
        problem = topic_problem(topic)
        if problem:
            raise BindingError(f"{device.name}: the custom topic is unusable: {problem}")
        return [OutMessage(topic, _fill(template, values, device, "payload"))]


def _values(command: Command, device: Device) -> dict[str, str]:
    values = {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in command.data.items()
    }
    values.update(
        entity_id=device.entity_id,
        object_id=device.entity_id.split(".", 1)[1],
        domain=command.domain,
        service=command.service,
        action=command.action,
        name=device.name,
        state=_STATES.get(command.service, ""),
        data=compact_json(dict(command.data)),
        command=compact_json(Command(command.action, (device.entity_id,), command.data).to_dict()),
    )
    return values


def _fill(template: Template, values: Mapping[str, str], device: Device, what: str) -> str:
    try:
        return template.substitute(values)
    except KeyError as exc:
        raise BindingError(
            f"{device.name}: the custom {what} needs ${{{exc.args[0]}}}, which this command lacks"
        ) from None
