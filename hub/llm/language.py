"""The command language the model writes in, generated from the live registry.

A small model is much better at writing "turn off Kitchen Light" than at writing Home Assistant
JSON with entity ids, and the short English lines cost a handful of tokens. So the model answers
in lines of this language, one command per line (or the single line ``nothing``), and every line
the model may write is generated here from the registry: only devices that exist, only verbs
their domain has, only settings their features allow. Each line maps back to exact commands.

The same language is offered two ways: as the set of all finite lines (a token trie for the
embedded decoder) and as a JSON schema with one regular expression per form (for servers that
take a JSON-schema response format). Values are range-checked by the validator afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.messages import Command
from hub.registry import Device, Registry

NOTHING = "nothing"
LIGHT_STEP_PCT = 20

# Colours a person names, and the white tones that map to a colour temperature.
COLORS = (
    "red", "orange", "yellow", "green", "blue", "purple", "pink", "white", "cyan", "magenta",
    "violet", "turquoise", "gold", "lime", "teal", "indigo", "crimson", "coral", "salmon",
    "lavender",
)  # fmt: skip
WHITES = {"warm white": 2700, "neutral white": 4000, "cool white": 5000, "daylight": 6500}
HVAC_MODES = ("off", "heat", "cool", "auto", "heat_cool", "dry", "fan_only")

# Plural nouns for group commands, by domain and (for covers) device class.
GROUP_NOUNS = {"light": "lights", "fan": "fans", "switch": "switches", "media_player": "speakers"}
COVER_NOUNS = {
    "blind": "blinds", "curtain": "curtains", "shade": "shades", "shutter": "shutters",
    "window": "windows", "garage": "garage doors", "door": "doors", "awning": "awnings",
    "gate": "gates",
}  # fmt: skip


@dataclass(frozen=True)
class FreeForm:
    """A line that ends in free text: ``add to Shopping List: <item>``."""

    prefix: str
    build: Callable[[str], tuple[Command, ...]]


@dataclass
class CommandLanguage:
    """Every line the model may write for a home, and what each line means."""

    lines: dict[str, tuple[Command, ...]] = field(default_factory=dict)
    free: list[FreeForm] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)  # one regex per form, for JSON schema
    labels: dict[str, str] = field(default_factory=dict)  # entity id -> label used in lines

    def parse(self, line: str) -> tuple[Command, ...] | None:
        """The commands a line means; None for a line outside the language."""
        line = " ".join(line.strip().split())
        if line in self.lines:
            return self.lines[line]
        for form in self.free:
            if line.startswith(form.prefix):
                item = line[len(form.prefix) :].strip()
                if item:
                    return form.build(item)
        return None

    def json_schema(self) -> dict[str, Any]:
        """The language as a JSON schema: ``{"commands": [line, ...]}``."""
        pattern = "^(" + "|".join(self.patterns) + ")$"
        return {
            "type": "object",
            "properties": {
                "commands": {
                    "type": "array",
                    "items": {"type": "string", "pattern": pattern},
                    "maxItems": 6,
                }
            },
            "required": ["commands"],
            "additionalProperties": False,
        }


def build_language(registry: Registry, devices: Sequence[Device] | None = None) -> CommandLanguage:
    """The language for ``devices`` (default: every device) of ``registry``."""
    chosen = list(registry.devices if devices is None else devices)
    lang = CommandLanguage()
    lang.labels = device_labels(registry, chosen)
    lang.lines[NOTHING] = ()
    lang.patterns.append(re.escape(NOTHING))
    builder = _Builder(lang)
    for device in chosen:
        label = lang.labels.get(device.entity_id)
        if label is not None:
            _device_forms(builder, device, label)
    _group_forms(builder, registry, chosen)
    return lang


def device_labels(registry: Registry, devices: Iterable[Device]) -> dict[str, str]:
    """The name each device goes by in lines: its name, or "Name (Area)" when names repeat."""
    devices = [d for d in devices if d.domain in DOMAIN_FORMS]
    counts: dict[str, int] = {}
    for device in devices:
        counts[device.name.casefold()] = counts.get(device.name.casefold(), 0) + 1
    labels: dict[str, str] = {}
    for device in devices:
        label = device.name
        if counts[device.name.casefold()] > 1:
            area = registry.area(device.area)
            label = f"{device.name} ({area.name if area else device.entity_id})"
        labels[device.entity_id] = " ".join(label.split())
    return labels


class _Builder:
    def __init__(self, lang: CommandLanguage) -> None:
        self.lang = lang

    def line(self, text: str, *commands: Command) -> None:
        self.lang.lines.setdefault(text, commands)

    def fixed(self, text: str, command: Command) -> None:
        self.line(text, command)
        self.lang.patterns.append(re.escape(text))

    def numbers(
        self,
        before: str,
        values: Iterable[int],
        make: Callable[[int], Command],
        after: str = "",
    ) -> None:
        values = list(values)
        for value in values:
            self.line(f"{before}{value}{after}", make(value))
        self.lang.patterns.append(re.escape(before) + _number_regex(values) + re.escape(after))

    def choices(self, before: str, options: dict[str, Command]) -> None:
        for word, command in options.items():
            self.line(f"{before}{word}", command)
        self.lang.patterns.append(re.escape(before) + "(" + "|".join(map(re.escape, options)) + ")")

    def free(self, prefix: str, build: Callable[[str], tuple[Command, ...]]) -> None:
        self.lang.free.append(FreeForm(prefix, build))
        self.lang.patterns.append(re.escape(prefix) + r" [^\n]{1,80}")


def _number_regex(values: Sequence[int]) -> str:
    return "(" + "|".join(str(v) for v in sorted(set(values), key=lambda v: -len(str(v)))) + ")"


def _cmd(device: Device, service: str, **data: Any) -> Command:
    return Command(f"{device.domain}.{service}", (device.entity_id,), data)


def _temperature_range(device: Device) -> range:
    attrs = device.state.attributes
    low, high = attrs.get("min_temp"), attrs.get("max_temp")
    if isinstance(low, int | float) and isinstance(high, int | float) and low < high:
        return range(int(low), int(high) + 1)
    return range(0, 101)


# -- per-domain device forms ------------------------------------------------------------------


def _light(b: _Builder, d: Device, x: str) -> None:
    b.fixed(f"turn on {x}", _cmd(d, "turn_on"))
    b.fixed(f"turn off {x}", _cmd(d, "turn_off"))
    if d.supports("brightness"):
        b.numbers(
            f"set {x} brightness to ", range(0, 101), lambda v: _cmd(d, "turn_on", brightness_pct=v)
        )
        b.fixed(f"dim {x}", _cmd(d, "turn_on", brightness_step_pct=-LIGHT_STEP_PCT))
        b.fixed(f"brighten {x}", _cmd(d, "turn_on", brightness_step_pct=LIGHT_STEP_PCT))
    options: dict[str, Command] = {}
    if d.supports("color"):
        options.update({c: _cmd(d, "turn_on", color_name=c) for c in COLORS})
    if d.supports("color_temp"):
        options.update({w: _cmd(d, "turn_on", color_temp_kelvin=k) for w, k in WHITES.items()})
    if options:
        b.choices(f"set {x} color to ", options)


def _on_off(b: _Builder, d: Device, x: str) -> None:
    b.fixed(f"turn on {x}", _cmd(d, "turn_on"))
    b.fixed(f"turn off {x}", _cmd(d, "turn_off"))


def _fan(b: _Builder, d: Device, x: str) -> None:
    _on_off(b, d, x)
    if d.supports("set_speed"):
        b.numbers(
            f"set {x} speed to ", range(0, 101), lambda v: _cmd(d, "set_percentage", percentage=v)
        )
        b.fixed(f"speed up {x}", _cmd(d, "increase_speed"))
        b.fixed(f"slow down {x}", _cmd(d, "decrease_speed"))


def _cover(b: _Builder, d: Device, x: str) -> None:
    b.fixed(f"open {x}", _cmd(d, "open_cover"))
    b.fixed(f"close {x}", _cmd(d, "close_cover"))
    b.fixed(f"stop {x}", _cmd(d, "stop_cover"))
    if d.supports("position"):
        b.numbers(
            f"set {x} position to ",
            range(0, 101),
            lambda v: _cmd(d, "set_cover_position", position=v),
        )


def _valve(b: _Builder, d: Device, x: str) -> None:
    b.fixed(f"open {x}", _cmd(d, "open_valve"))
    b.fixed(f"close {x}", _cmd(d, "close_valve"))
    if d.supports("position"):
        b.numbers(
            f"set {x} position to ",
            range(0, 101),
            lambda v: _cmd(d, "set_valve_position", position=v),
        )


def _climate(b: _Builder, d: Device, x: str) -> None:
    _on_off(b, d, x)
    b.numbers(
        f"set {x} temperature to ",
        _temperature_range(d),
        lambda v: _cmd(d, "set_temperature", temperature=v),
    )
    modes = d.state.attributes.get("hvac_modes")
    allowed = [m for m in HVAC_MODES if not isinstance(modes, list) or m in modes]
    b.choices(f"set {x} mode to ", {m: _cmd(d, "set_hvac_mode", hvac_mode=m) for m in allowed})


def _lock(b: _Builder, d: Device, x: str) -> None:
    b.fixed(f"lock {x}", _cmd(d, "lock"))
    b.fixed(f"unlock {x}", _cmd(d, "unlock"))


def _media(b: _Builder, d: Device, x: str) -> None:
    _on_off(b, d, x)
    b.fixed(f"pause {x}", _cmd(d, "media_pause"))
    b.fixed(f"resume {x}", _cmd(d, "media_play"))
    b.fixed(f"stop {x}", _cmd(d, "media_stop"))
    b.fixed(f"next track on {x}", _cmd(d, "media_next_track"))
    b.fixed(f"previous track on {x}", _cmd(d, "media_previous_track"))
    b.numbers(
        f"set {x} volume to ", range(0, 101), lambda v: _cmd(d, "volume_set", volume_level=v / 100)
    )
    b.fixed(f"turn up {x} volume", _cmd(d, "volume_up"))
    b.fixed(f"turn down {x} volume", _cmd(d, "volume_down"))
    b.fixed(f"mute {x}", _cmd(d, "volume_mute", is_volume_muted=True))
    b.fixed(f"unmute {x}", _cmd(d, "volume_mute", is_volume_muted=False))


def _vacuum(b: _Builder, d: Device, x: str) -> None:
    b.fixed(f"start {x}", _cmd(d, "start"))
    b.fixed(f"stop {x}", _cmd(d, "stop"))
    b.fixed(f"pause {x}", _cmd(d, "pause"))
    b.fixed(f"send {x} home", _cmd(d, "return_to_base"))


def _scene(b: _Builder, d: Device, x: str) -> None:
    b.fixed(f"activate {x}", _cmd(d, "turn_on"))


def _script(b: _Builder, d: Device, x: str) -> None:
    b.fixed(f"run {x}", _cmd(d, "turn_on"))


def _todo(b: _Builder, d: Device, x: str) -> None:
    b.free(f"add to {x}:", lambda item: (_cmd(d, "add_item", item=item),))


DOMAIN_FORMS: dict[str, Callable[[_Builder, Device, str], None]] = {
    "light": _light,
    "switch": _on_off,
    "input_boolean": _on_off,
    "fan": _fan,
    "cover": _cover,
    "valve": _valve,
    "climate": _climate,
    "lock": _lock,
    "media_player": _media,
    "vacuum": _vacuum,
    "scene": _scene,
    "script": _script,
    "todo": _todo,
}


def _device_forms(b: _Builder, device: Device, label: str) -> None:
    DOMAIN_FORMS[device.domain](b, device, label)


# -- group forms: "turn off lights in Kitchen", "close blinds on Upstairs" -----------------------


def _group_forms(b: _Builder, registry: Registry, devices: Sequence[Device]) -> None:
    places: list[tuple[str, set[str]]] = [("", {d.entity_id for d in devices})]
    for area in registry.areas:
        places.append((f" in {area.name}", {d.entity_id for d in devices if d.area == area.id}))
    for floor in registry.floors:
        on_floor = {d.entity_id for d in registry.on_floor(floor.id)}
        places.append(
            (f" on {floor.name}", {d.entity_id for d in devices if d.entity_id in on_floor})
        )
    by_id = {d.entity_id: d for d in devices}
    labels = b.lang.labels
    for where, ids in places:
        groups = _groups([by_id[i] for i in sorted(ids) if i in by_id])
        for noun, members in groups.items():
            if len(members) < 2 and where == "":
                continue
            domain = members[0].domain
            scope = f"all {noun}" if where == "" else f"{noun}{where}"
            verbs = _group_verbs(domain)
            for verb, service in verbs:
                b.fixed(f"{verb} {scope}", _group_cmd(members, service))
                if domain == "light" and len(members) > 2:
                    for skip in members:
                        rest = [m for m in members if m is not skip]
                        b.line(
                            f"{verb} {scope} except {labels[skip.entity_id]}",
                            _group_cmd(rest, service),
                        )
            if domain == "light":
                dimmable = [m for m in members if m.supports("brightness")]
                if dimmable:
                    b.numbers(
                        f"set {scope} brightness to ",
                        range(0, 101),
                        lambda v, ms=dimmable: _group_cmd(ms, "turn_on", brightness_pct=v),  # type: ignore[misc]
                    )
                    b.fixed(
                        f"dim {scope}",
                        _group_cmd(dimmable, "turn_on", brightness_step_pct=-LIGHT_STEP_PCT),
                    )
                    b.fixed(
                        f"brighten {scope}",
                        _group_cmd(dimmable, "turn_on", brightness_step_pct=LIGHT_STEP_PCT),
                    )
            if domain == "cover":
                positioned = [m for m in members if m.supports("position")]
                if positioned:
                    b.numbers(
                        f"set {scope} position to ",
                        range(0, 101),
                        lambda v, ms=positioned: _group_cmd(ms, "set_cover_position", position=v),  # type: ignore[misc]
                    )
    # "except" lines are listed only as lines; their regex form:
    b.lang.patterns.append(r"(turn on|turn off) (all lights|lights (in|on) [^\n]+) except [^\n]+")


def _groups(devices: Sequence[Device]) -> dict[str, list[Device]]:
    groups: dict[str, list[Device]] = {}
    for device in devices:
        if device.domain == "cover":
            noun = COVER_NOUNS.get(device.device_class or "", "covers")
            groups.setdefault(noun, []).append(device)
            if noun != "covers":
                groups.setdefault("covers", []).append(device)
        elif device.domain in GROUP_NOUNS:
            groups.setdefault(GROUP_NOUNS[device.domain], []).append(device)
    return groups


def _group_verbs(domain: str) -> list[tuple[str, str]]:
    if domain == "cover":
        return [("open", "open_cover"), ("close", "close_cover")]
    if domain == "media_player":
        return [("pause", "media_pause"), ("turn off", "turn_off")]
    return [("turn on", "turn_on"), ("turn off", "turn_off")]


def _group_cmd(members: Sequence[Device], service: str, **data: Any) -> Command:
    return Command(f"{members[0].domain}.{service}", tuple(m.entity_id for m in members), data)
