"""Reply texts made from the validated commands, so a reply never claims more than was done."""

from __future__ import annotations

from collections.abc import Sequence

from hub.messages import Command
from hub.registry import Registry

VERBS = {
    "turn_on": "Turning on",
    "turn_off": "Turning off",
    "toggle": "Toggling",
    "open_cover": "Opening",
    "close_cover": "Closing",
    "stop_cover": "Stopping",
    "open_valve": "Opening",
    "close_valve": "Closing",
    "lock": "Locking",
    "unlock": "Unlocking",
    "open": "Opening",
    "start": "Starting",
    "stop": "Stopping",
    "pause": "Pausing",
    "return_to_base": "Sending home",
    "media_play": "Playing",
    "media_pause": "Pausing",
    "media_stop": "Stopping",
    "media_next_track": "Next track on",
    "media_previous_track": "Previous track on",
    "volume_up": "Turning up",
    "volume_down": "Turning down",
    "increase_speed": "Speeding up",
    "decrease_speed": "Slowing down",
}


def describe(commands: Sequence[Command], registry: Registry) -> str:
    return " ".join(_sentence(c, registry) for c in commands)


def _names(command: Command, registry: Registry) -> str:
    names = []
    for entity_id in command.entity_ids:
        device = registry.device(entity_id)
        names.append(device.name if device else entity_id)
    names = list(dict.fromkeys(names))
    if len(names) > 3:
        return f"{len(command.entity_ids)} devices"
    return " and ".join(names)


def _sentence(command: Command, registry: Registry) -> str:
    who = _names(command, registry)
    data = dict(command.data)
    service = command.service
    if service == "turn_on" and command.domain in ("scene", "script"):
        return f"Activating {who}."
    if service == "add_item":
        return f"Adding {data.get('item')} to {who}."
    if "brightness_pct" in data:
        return f"Setting {who} to {data['brightness_pct']}%."
    if "brightness_step_pct" in data:
        step = data["brightness_step_pct"]
        return f"{'Brightening' if step > 0 else 'Dimming'} {who} by {abs(step)}%."
    if "color_name" in data:
        return f"Setting {who} to {data['color_name']}."
    if "color_temp_kelvin" in data:
        return f"Setting {who} to {data['color_temp_kelvin']} K."
    if "position" in data:
        return f"Setting {who} to {data['position']}%."
    if "temperature" in data:
        return f"Setting {who} to {data['temperature']}°."
    if "percentage" in data:
        return f"Setting {who} to {data['percentage']}%."
    if "volume_level" in data:
        return f"Setting {who} volume to {round(data['volume_level'] * 100)}%."
    if "is_volume_muted" in data:
        return f"{'Muting' if data['is_volume_muted'] else 'Unmuting'} {who}."
    if "hvac_mode" in data:
        return f"Setting {who} to {data['hvac_mode']}."
    if "oscillating" in data:
        return f"{'Starting' if data['oscillating'] else 'Stopping'} oscillation on {who}."
    verb = VERBS.get(service, service.replace("_", " ").capitalize())
    return f"{verb} {who}."
