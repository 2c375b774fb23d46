"""The model's prompt: fixed instructions, the home, and examples made from the home itself.

Everything but the request is byte-identical between requests (for a given registry), so the
embedded backend evaluates it once and reuses the KV cache; a request costs only its own tokens.
The examples use the home's real device names, so the model sees the exact lines it may write.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.llm.backend import Prompt
from hub.llm.language import NOTHING, CommandLanguage
from hub.registry import Device, Registry

INSTRUCTIONS = (
    "You control a smart home. Rewrite the user's request as commands for the devices below, "
    "one command per line, in exactly the form of the examples. Requests may be in any "
    "language and may have typos. Use a group command (like 'turn off lights in Kitchen') for "
    "a whole room or floor. If the request is a question, small talk, or fits no device, "
    f"write only: {NOTHING}"
)

FEATURE_WORDS = {
    "brightness": "dimmable",
    "color": "color",
    "color_temp": "white tones",
    "position": "position",
    "set_speed": "speed",
}


def describe_home(registry: Registry, devices: Sequence[Device], labels: dict[str, str]) -> str:
    lines = ["Devices:"]
    for device in devices:
        label = labels.get(device.entity_id)
        if label is None:
            continue
        area = registry.area(device.area)
        parts = [device.domain.replace("_", " ")]
        if device.device_class and device.domain == "cover":
            parts = [device.device_class.replace("_", " ")]
        if area is not None:
            parts.append(f"in {area.name}")
        extras = [FEATURE_WORDS[f] for f in sorted(device.features) if f in FEATURE_WORDS]
        if extras:
            parts.append(", ".join(extras))
        lines.append(f"- {label}: {', '.join(parts)}")
    floors: dict[str | None, list[str]] = {}
    for area in registry.areas:
        floors.setdefault(area.floor, []).append(area.name)
    places = []
    for floor_id, names in floors.items():
        floor = registry.floor(floor_id)
        places.append(f"{floor.name}: {', '.join(names)}" if floor else ", ".join(names))
    lines.append("Areas: " + "; ".join(places))
    return "\n".join(lines)


def user_message(text: str, area_name: str | None) -> str:
    return f"[in {area_name}] {text}" if area_name else text


def build_prompt(
    registry: Registry, devices: Sequence[Device], language: CommandLanguage
) -> Prompt:
    """The fixed part of the prompt; ``Prompt.user`` is filled per request."""
    system = INSTRUCTIONS + "\n\n" + describe_home(registry, devices, language.labels)
    return Prompt(system=system, examples=tuple(make_examples(registry, devices, language)))


def make_examples(
    registry: Registry, devices: Sequence[Device], language: CommandLanguage
) -> list[tuple[str, str]]:
    """A handful of examples built from this home's devices (only lines the language has)."""
    labels = language.labels
    examples: list[tuple[str, str]] = []

    def first(domain: str, feature: str | None = None) -> Device | None:
        for device in devices:
            if (
                device.domain == domain
                and device.entity_id in labels
                and (feature is None or feature in device.features)
            ):
                return device
        return None

    def add(request: str, *lines: str) -> None:
        if all(language.parse(line) is not None for line in lines):
            examples.append((request, "\n".join(lines)))

    switch = first("switch") or first("fan") or first("input_boolean")
    if switch is not None:
        add(
            f"could you switch the {switch.name.lower()} off",
            f"turn off {labels[switch.entity_id]}",
        )
    light = first("light", "brightness")
    if light is not None:
        label = labels[light.entity_id]
        add(f"{light.name.lower()} at forty percent please", f"set {label} brightness to 40")
    area = next((registry.area(d.area) for d in devices if d.domain == "light" and d.area), None)
    if area is not None:
        add(f"kill all the lights in the {area.name.lower()}", f"turn off lights in {area.name}")
        add(f"[in {area.name}] lights on", f"turn on lights in {area.name}")
    lock = first("lock")
    cover = first("cover")
    if lock is not None and cover is not None:
        add(
            f"lock the {lock.name.lower()} and shut the {cover.name.lower()}",
            f"lock {labels[lock.entity_id]}",
            f"close {labels[cover.entity_id]}",
        )
    climate = first("climate")
    if climate is not None:
        add(
            f"it's chilly, make the {climate.name.lower()} 22",
            f"set {labels[climate.entity_id]} temperature to 22",
        )
    add("what's the weather like tomorrow?", NOTHING)
    add("is the front door locked?", NOTHING)
    return examples
