"""The model's prompt: fixed instructions, the home, and examples made from the home itself.

Everything but the request is byte-identical between requests (for a given registry), so the
embedded backend evaluates it once and reuses the KV cache; a request costs only its own tokens.
The examples use the home's real device names, so the model sees the exact lines it may write.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hub.llm.backend import Prompt
from hub.llm.command_language import COVER_NOUNS, NOTHING, CommandLanguage
from hub.llm.glossary import gloss
from hub.llm.looks import look_colour
from hub.registry import Device, Registry

INSTRUCTIONS = (
    "You control a smart home. Rewrite the user's request as commands for the devices below, "
    "one command per line, in exactly the form of the examples. Requests may be in any "
    "language and may have typos. Use a group command (like 'turn off kitchen lights' or "
    "'turn off all lights') for a whole room, floor or home. If the request is a question, "
    f"small talk, or fits no device, write only: {NOTHING}"
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
        kind = device.domain.replace("_", " ")
        if device.device_class and device.domain == "cover":
            kind = device.device_class.replace("_", " ")
        parts = [kind]
        if area is not None:
            parts.append(f"in {area.name.lower()}")
        extras = [FEATURE_WORDS[f] for f in sorted(device.features) if f in FEATURE_WORDS]
        if extras:
            parts.append(", ".join(extras))
        lines.append(f"- {label}: {', '.join(parts)}")
    floors: dict[str | None, list[str]] = {}
    for area in registry.areas:
        floors.setdefault(area.floor, []).append(area.name.lower())
    places = []
    for floor_id, names in floors.items():
        floor = registry.floor(floor_id)
        places.append(f"{floor.name.lower()}: {', '.join(names)}" if floor else ", ".join(names))
    lines.append("Areas: " + "; ".join(places))
    return "\n".join(lines)


HERE = re.compile(r"\b(in here|in this room|in this area|this room|here)\b", re.IGNORECASE)


def user_message(text: str, area_name: str | None) -> str:
    """The request as the model sees it: where it was said, "here" made explicit, for a
    request in another language its English gloss (``hub.llm.glossary``) on a second line, and
    for a look that names no colour ("like a sunset") the colour (``hub.llm.looks``)."""
    english = gloss(text)
    if english is not None:
        text = f"{text}\n(in English: {english})"
    colour = look_colour(f"{text} {english or ''}")
    if colour is not None:
        text = f"{text}\n(colour: {colour})"
    if not area_name:
        return text
    area = area_name.lower()
    return f"[in {area}] {HERE.sub(f'in the {area}', text)}"


def build_prompt(
    registry: Registry, devices: Sequence[Device], language: CommandLanguage
) -> Prompt:
    """The fixed part of the prompt; ``Prompt.user`` is filled per request."""
    system = INSTRUCTIONS + "\n\n" + describe_home(registry, devices, language.labels)
    return Prompt(system=system, examples=tuple(make_examples(registry, devices, language)))


def make_examples(
    registry: Registry, devices: Sequence[Device], language: CommandLanguage
) -> list[tuple[str, str]]:
    """Examples built from this home's devices; only lines the language has are kept."""
    labels = language.labels
    examples: list[tuple[str, str]] = []

    def first(domain: str, feature: str | None = None) -> Device | None:
        for device in devices:
            if (
                device.domain == domain
                and device.entity_id in labels
                and (feature is None or device.supports(feature))
            ):
                return device
        return None

    def add(request: str, *lines: str) -> None:
        if all(language.parse(line) is not None for line in lines):
            examples.append((request, "\n".join(lines)))

    def name(device: Device) -> str:
        return labels[device.entity_id]

    switch = first("switch") or first("input_boolean")
    if switch is not None:
        add(f"could you switch the {name(switch)} off", f"switch off {name(switch)}")
    light = first("light", "brightness")
    if light is not None:
        add(f"{name(light)} at forty percent please", f"set {name(light)} brightness to 40")
    lit = [registry.area(d.area) for d in devices if d.domain == "light" and d.area]
    areas = [a for a in dict.fromkeys(lit) if a is not None]
    if areas:
        add(
            f"kill all the lights in the {areas[0].name.lower()}",
            f"turn off {areas[0].name.lower()} lights",
        )
        here = areas[-1].name.lower()
        add(f"[in {here}] lights on", f"turn on {here} lights")
        add(f"[in {here}] switch the lights off in the {here}", f"turn off {here} lights")
    add("turn every light off", "turn off all lights")
    add("apaga todas las luces", "turn off all lights")
    covered = [d for d in devices if d.domain == "cover" and d.area and d.device_class]
    if covered:
        c = covered[0]
        area = registry.area(c.area)
        noun = COVER_NOUNS.get(c.device_class or "", "covers")
        if area is not None:
            add(f"[in {area.name.lower()}] close the {noun}", f"close {area.name.lower()} {noun}")
    lock, cover = first("lock"), first("cover")
    if lock is not None and cover is not None:
        add(
            f"lock the {name(lock)} and shut the {name(cover)}",
            f"lock {name(lock)}",
            f"close {name(cover)}",
        )
    climate = first("climate")
    if climate is not None:
        add(f"it's chilly, make the {name(climate)} 22", f"set {name(climate)} temperature to 22")
    player = first("media_player")
    if player is not None:
        add(f"skip this song on the {name(player)}", f"next track on {name(player)}")
        add(f"{name(player)} volume to 30", f"set {name(player)} volume to 30")
        add(f"the {name(player)} is way too loud", f"turn down {name(player)} volume")
    vacuum = first("vacuum")
    if vacuum is not None:
        add(f"get the {name(vacuum)} cleaning", f"start {name(vacuum)}")
    if areas:
        add(
            f"it's too bright in the {areas[0].name.lower()}",
            f"dim {areas[0].name.lower()} lights",
        )
    todo = first("todo")
    if todo is not None:
        add(f"put milk on the {name(todo)}", f"add to {name(todo)}: milk")
    add("what's the weather like tomorrow?", NOTHING)
    add("how are you today?", NOTHING)
    add("is the front door locked?", NOTHING)
    return examples
