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

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.actions import HVAC_MODES, LIGHT_STEP_PCT
from hub.messages import Command
from hub.registry import Device, Registry

NOTHING = "nothing"

# Colours a person names, and the white tones that map to a colour temperature.
COLORS = (
    "red", "orange", "yellow", "green", "blue", "purple", "pink", "white", "cyan", "magenta",
    "violet", "turquoise", "gold", "lime", "teal", "indigo", "crimson", "coral", "salmon",
    "lavender",
)  # fmt: skip
WHITES = {"warm white": 2700, "neutral white": 4000, "cool white": 5000, "daylight": 6500}

# Plural nouns for group commands, by domain and (for covers) device class.
GROUP_NOUNS = {"light": "lights", "fan": "fans", "switch": "switches", "media_player": "speakers"}
SINGULAR = {
    "lights": "light", "fans": "fan", "switches": "switch", "speakers": "speaker",
    "blinds": "blind", "curtains": "curtain", "shades": "shade", "shutters": "shutter",
    "windows": "window", "garage doors": "garage door", "doors": "door", "awnings": "awning",
    "gates": "gate", "covers": "cover",
}  # fmt: skip
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


def _meaning(commands: tuple[Command, ...]) -> Any:
    return tuple(
        (c.action, c.entity_ids, tuple(sorted(map(repr, c.data.items())))) for c in commands
    )


@dataclass
class CommandLanguage:
    """Every line the model may write for a home, and what each line means."""

    lines: dict[str, tuple[Command, ...]] = field(default_factory=dict)
    free: list[FreeForm] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)  # one regex per form, for JSON schema
    labels: dict[str, str] = field(default_factory=dict)  # entity id -> label used in lines
    whole_home: set[str] = field(default_factory=set)  # lines for every device of a kind
    # the lines by what they mean, built on first use (see synonyms)
    _by_meaning: dict[Any, set[str]] | None = field(default=None, repr=False, compare=False)

    def synonyms(self, line: str) -> frozenset[str]:
        """The lines that mean exactly what ``line`` means ("skip tv", "next track on tv"):
        a line the request speaks against is refused in all its wordings."""
        commands = self.parse(line)
        if commands is None:
            return frozenset()
        return frozenset(self.meanings().get(_meaning(commands), ()))

    def meanings(self) -> dict[Any, set[str]]:
        """The lines by what they mean (built once; the LLM tier's warm-up builds it)."""
        if self._by_meaning is None:
            self._by_meaning = {}
            for text, meaning in self.lines.items():
                self._by_meaning.setdefault(_meaning(meaning), set()).add(text)
        return self._by_meaning

    def steps(self, direction: str) -> frozenset[str]:
        """The lines that only change a level by a step ``direction`` ("up" or "down"):
        "brighten desk lamp", "turn up tv volume", "slow down fan"."""
        return frozenset(
            line
            for line, commands in self.lines.items()
            if commands and all(step_of(c) == direction for c in commands)
        )

    def parse(self, line: str) -> tuple[Command, ...] | None:
        """The commands a line means; None for a line outside the language."""
        line = " ".join(line.strip().lower().split())
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
    """The name each device goes by in lines: its name in lower case (as people type it), or
    "name in area" when several devices share a name."""
    devices = [d for d in devices if d.domain in DOMAIN_FORMS]
    counts: dict[str, int] = {}
    for device in devices:
        counts[_lower(device.name)] = counts.get(_lower(device.name), 0) + 1
    labels: dict[str, str] = {}
    for device in devices:
        label = _lower(device.name)
        if counts[label] > 1:
            area = registry.area(device.area)
            label = f"{label} in {_lower(area.name)}" if area else device.entity_id
        labels[device.entity_id] = label
    taken: dict[str, str] = {}
    for entity_id, label in list(labels.items()):
        if label in taken:  # still shared (same name, same area): ids are unique
            labels[entity_id] = entity_id
            labels[taken[label]] = taken[label]
        taken[label] = entity_id
    return labels


def _lower(text: str) -> str:
    return " ".join(text.lower().split())


class _Builder:
    def __init__(self, lang: CommandLanguage) -> None:
        self.lang = lang
        self.device_lines: list[str] | None = None  # the lines of the device being built

    def line(self, text: str, *commands: Command) -> None:
        self.lang.lines.setdefault(text, commands)
        if self.device_lines is not None:
            self.device_lines.append(text)

    def fixed(self, text: str, command: Command) -> None:
        self.line(text, command)
        self.lang.patterns.append(re.escape(text))

    def numbers(
        self,
        before: str,
        values: Iterable[int],
        make: Callable[[int], Command],
        units: tuple[str, ...] = ("", "%"),
    ) -> None:
        """Lines for every value, bare and with each unit ("to 50", "to 50%")."""
        values = list(values)
        for value in values:
            command = make(value)
            for unit in units:
                self.line(f"{before}{value}{unit}", command)
        unit_regex = "(" + "|".join(re.escape(u) for u in units) + ")"
        self.lang.patterns.append(re.escape(before) + _number_regex(values) + unit_regex)

    def choices(self, before: str, options: dict[str, Command]) -> None:
        for word, command in options.items():
            self.line(f"{before}{word}", command)
        self.lang.patterns.append(re.escape(before) + "(" + "|".join(map(re.escape, options)) + ")")

    def free(self, prefix: str, build: Callable[[str], tuple[Command, ...]]) -> None:
        self.lang.free.append(FreeForm(prefix, build))
        self.lang.patterns.append(re.escape(prefix) + r" [^\n]{1,80}")


def _number_regex(values: Sequence[int]) -> str:
    return "(" + "|".join(str(v) for v in sorted(set(values), key=lambda v: -len(str(v)))) + ")"


_STEPS = {
    "media_player.volume_up": "up",
    "media_player.volume_down": "down",
    "fan.increase_speed": "up",
    "fan.decrease_speed": "down",
}


def step_of(command: Command) -> str | None:
    """ "up" or "down" for a command that changes a level by a step, else None."""
    step = command.data.get("brightness_step_pct")
    if command.action == "light.turn_on" and isinstance(step, (int, float)) and step:
        return "up" if step > 0 else "down"
    return _STEPS.get(command.action)


def _cmd(device: Device, service: str, **data: Any) -> Command:
    return Command(f"{device.domain}.{service}", (device.entity_id,), data)


def _temperature_range(device: Device) -> range:
    attrs = device.state.attributes
    low, high = attrs.get("min_temp"), attrs.get("max_temp")
    if isinstance(low, int | float) and isinstance(high, int | float) and low < high:
        return range(int(low), int(high) + 1)
    return range(0, 101)


# -- per-domain device forms ------------------------------------------------------------------
# Several verbs may say the same thing ("switch off", "turn off"): the model keeps the words it
# would use anyway, and every one of them maps to the same command.

DEGREES = ("", "°", " degrees", " degrees celsius")
# Both directions are said the same ways: a line that begins like the request ("play the ...")
# must be able to end in either, or greedy decoding that copied "play the" is left with only
# "play the previous track" for "play the next song".
NEXT_TRACK = (
    "next track on",
    "next song on",
    "skip track on",
    "skip song on",
    "skip to the next track on",
    "play the next track on",
    "play the next song on",
    "play next track on",
    "play next song on",
)
PREVIOUS_TRACK = (
    "previous track on",
    "previous song on",
    "last track on",
    "go back on",
    "go back a track on",
    "skip back on",
    "play the previous track on",
    "play the previous song on",
    "play previous track on",
    "play previous song on",
    "replay the last track on",
)
BRIGHTER = ("brighten {}", "make {} brighter", "increase {} brightness", "raise {} brightness",
            "turn up {} brightness")  # fmt: skip
DIMMER = ("dim {}", "make {} dimmer", "make {} darker", "decrease {} brightness",
          "lower {} brightness", "reduce {} brightness", "turn down {} brightness")  # fmt: skip
ON = ("turn on", "switch on", "activate")
OFF = ("turn off", "switch off")


def _verbs(b: _Builder, verbs: Iterable[str], target: str, command: Command) -> None:
    for verb in verbs:
        b.fixed(f"{verb} {target}", command)
        if verb in ON[:2] or verb in OFF:  # "kitchen lights off", the way people say it
            b.fixed(f"{target} {verb.split()[-1]}", command)


def _brightness(b: _Builder, target: str, make: Callable[..., Command]) -> None:
    b.numbers(f"set {target} brightness to ", range(0, 101), lambda v: make(brightness_pct=v))
    # A step, said the ways people say it ("increase the bedroom light brightness", "make the
    # office light dimmer"): a line that starts like the request must not have to end in a
    # level the request never said.
    up, down = make(brightness_step_pct=LIGHT_STEP_PCT), make(brightness_step_pct=-LIGHT_STEP_PCT)
    for form in BRIGHTER:
        b.fixed(form.format(target), up)
    for form in DIMMER:
        b.fixed(form.format(target), down)


def _colors(
    b: _Builder, target: str, devices: Sequence[Device], make: Callable[..., Command]
) -> None:
    options: dict[str, Command] = {}
    if all(d.supports("color") for d in devices):
        options.update({c: make(color_name=c) for c in COLORS})
    if all(d.supports("color_temp") for d in devices):
        options.update({w: make(color_temp_kelvin=k) for w, k in WHITES.items()})
    if options:
        b.choices(f"set {target} color to ", options)


def _light(b: _Builder, d: Device, x: str) -> None:
    _verbs(b, ON, x, _cmd(d, "turn_on"))
    _verbs(b, OFF, x, _cmd(d, "turn_off"))
    if d.supports("brightness"):
        _brightness(b, x, lambda **data: _cmd(d, "turn_on", **data))
    _colors(b, x, [d], lambda **data: _cmd(d, "turn_on", **data))


def _on_off(b: _Builder, d: Device, x: str) -> None:
    _verbs(b, ON, x, _cmd(d, "turn_on"))
    _verbs(b, OFF, x, _cmd(d, "turn_off"))


def _fan(b: _Builder, d: Device, x: str) -> None:
    _on_off(b, d, x)
    if d.supports("set_speed"):
        b.numbers(
            f"set {x} speed to ", range(0, 101), lambda v: _cmd(d, "set_percentage", percentage=v)
        )
        b.fixed(f"speed up {x}", _cmd(d, "increase_speed"))
        b.fixed(f"slow down {x}", _cmd(d, "decrease_speed"))


def _position(b: _Builder, x: str, make: Callable[[int], Command]) -> None:
    b.numbers(f"set {x} position to ", range(0, 101), make)
    b.numbers(f"open {x} to ", range(0, 101), make)


def _cover(b: _Builder, d: Device, x: str) -> None:
    _verbs(b, ("open",), x, _cmd(d, "open_cover"))
    _verbs(b, ("close", "shut"), x, _cmd(d, "close_cover"))
    b.fixed(f"stop {x}", _cmd(d, "stop_cover"))
    if d.supports("position"):
        _position(b, x, lambda v: _cmd(d, "set_cover_position", position=v))


def _valve(b: _Builder, d: Device, x: str) -> None:
    # "turn on the sprinkler" opens it: people switch water on and off
    _verbs(b, ("open", *ON), x, _cmd(d, "open_valve"))
    _verbs(b, ("close", "shut", *OFF), x, _cmd(d, "close_valve"))
    if d.supports("position"):
        _position(b, x, lambda v: _cmd(d, "set_valve_position", position=v))


def _climate(b: _Builder, d: Device, x: str) -> None:
    _on_off(b, d, x)
    b.numbers(
        f"set {x} temperature to ",
        _temperature_range(d),
        lambda v: _cmd(d, "set_temperature", temperature=v),
        DEGREES,
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
    _verbs(
        b,
        ("resume", "unpause", "play", "continue", "continue playing on"),
        x,
        _cmd(d, "media_play"),
    )
    # as Home Assistant reads it: "stop the TV" pauses what plays (a pause can be undone)
    b.fixed(f"stop {x}", _cmd(d, "media_pause"))
    for verb in NEXT_TRACK:
        b.fixed(f"{verb} {x}", _cmd(d, "media_next_track"))
    for verb in PREVIOUS_TRACK:
        b.fixed(f"{verb} {x}", _cmd(d, "media_previous_track"))
    b.numbers(
        f"set {x} volume to ", range(0, 101), lambda v: _cmd(d, "volume_set", volume_level=v / 100)
    )
    for verb in ("turn up", "raise", "increase"):
        b.fixed(f"{verb} {x} volume", _cmd(d, "volume_up"))
    for verb in ("turn down", "lower", "decrease", "reduce"):
        b.fixed(f"{verb} {x} volume", _cmd(d, "volume_down"))
    b.fixed(f"make {x} louder", _cmd(d, "volume_up"))
    b.fixed(f"make {x} quieter", _cmd(d, "volume_down"))
    b.fixed(f"mute {x}", _cmd(d, "volume_mute", is_volume_muted=True))
    b.fixed(f"unmute {x}", _cmd(d, "volume_mute", is_volume_muted=False))


def _vacuum(b: _Builder, d: Device, x: str) -> None:
    b.fixed(f"start {x}", _cmd(d, "start"))
    b.fixed(f"clean with {x}", _cmd(d, "start"))
    b.fixed(f"let {x} clean", _cmd(d, "start"))
    b.fixed(f"stop {x}", _cmd(d, "stop"))
    b.fixed(f"pause {x}", _cmd(d, "pause"))
    for form in ("send {} home", "dock {}", "return {} to base", "return {} to its base",
                 "send {} back to base", "send {} back to the dock"):  # fmt: skip
        b.fixed(form.format(x), _cmd(d, "return_to_base"))


def _scene(b: _Builder, d: Device, x: str) -> None:
    _verbs(b, ("activate", "turn on"), x, _cmd(d, "turn_on"))


def _script(b: _Builder, d: Device, x: str) -> None:
    _verbs(b, ("run", "turn on"), x, _cmd(d, "turn_on"))


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
    b.device_lines = []
    DOMAIN_FORMS[device.domain](b, device, label)
    lines, b.device_lines = b.device_lines, None
    # Each line with "the" before the device too ("pause the tv", "set the tv volume to 10"):
    # people say it, the model copies it from the request, and a line that cannot go on
    # after "the" leaves it only a group of other devices ("pause the living room speakers").
    name = re.compile(rf"(?<!the )\b{re.escape(label)}\b")
    for text in lines:
        variant = name.sub(f"the {label}", text, count=1)
        if variant != text:
            b.lang.lines.setdefault(variant, b.lang.lines[text])


# -- group forms: "turn off kitchen lights", "close upstairs blinds", "turn off all lights" -----


def _places(registry: Registry, devices: Sequence[Device]) -> list[tuple[str, list[Device]]]:
    """("all", every device), then each area and floor (by name and aliases) with its devices."""
    places: list[tuple[str, list[Device]]] = [("all", list(devices))]
    for area in registry.areas:
        members = [d for d in devices if d.area == area.id]
        places.extend((_lower(name), members) for name in dict.fromkeys(area.names))
    for floor in registry.floors:
        on_floor = {d.entity_id for d in registry.on_floor(floor.id)}
        members = [d for d in devices if d.entity_id in on_floor]
        places.extend((_lower(name), members) for name in dict.fromkeys(floor.names))
    return places


def _scopes(place: str, noun: str) -> list[str]:
    """The ways to name a group: "kitchen lights", "the kitchen light", "all the lights"..."""
    singular = SINGULAR.get(noun, noun)
    if place == "all":
        return [f"all {noun}", f"all the {noun}", f"every {singular}"]
    return [
        f"{place} {noun}",
        f"the {place} {noun}",
        f"{place} {singular}",
        f"the {place} {singular}",
    ]


def _group_forms(b: _Builder, registry: Registry, devices: Sequence[Device]) -> None:
    labels = b.lang.labels
    for place, members in _places(registry, devices):
        for noun, group in _groups(members).items():
            domain = group[0].domain
            dimmable = [m for m in group if m.supports("brightness")]
            positioned = [m for m in group if m.supports("position")]
            for scope in _scopes(place, noun):
                before = set(b.lang.lines) if place == "all" else set()
                for verb, service in _group_verbs(domain):
                    _verbs(b, (verb,), scope, _group_cmd(group, service))
                    if domain == "light" and len(group) > 2 and scope == f"{place} {noun}":
                        for skip in group:
                            rest = [m for m in group if m is not skip]
                            b.line(
                                f"{verb} {scope} except {labels[skip.entity_id]}",
                                _group_cmd(rest, service),
                            )
                if scope.startswith("the "):
                    continue  # settings: "set kitchen lights brightness to 50" only
                if domain == "light":
                    if dimmable:
                        _brightness(b, scope, functools.partial(_group_cmd, dimmable, "turn_on"))
                    _colors(b, scope, group, functools.partial(_group_cmd, group, "turn_on"))
                if domain == "cover" and positioned:
                    _position(b, scope, _valued(positioned, "set_cover_position", "position"))
                if place == "all":
                    b.lang.whole_home.update(set(b.lang.lines) - before)
            if domain == "light" and place != "all":
                # "set kitchen brightness to 50", "set kitchen color to red"
                if dimmable:
                    _brightness(b, place, functools.partial(_group_cmd, dimmable, "turn_on"))
                _colors(b, place, group, functools.partial(_group_cmd, group, "turn_on"))
        players = [d for d in members if d.domain == "media_player"]
        if players and place != "all":
            b.numbers(
                f"set {place} volume to ",
                range(0, 101),
                _valued(players, "volume_set", "volume_level", scale=0.01),
            )
        climates = [d for d in members if d.domain == "climate"]
        if climates and place != "all":
            b.numbers(
                f"set {place} temperature to ",
                range(0, 101),
                _valued(climates, "set_temperature", "temperature"),
                DEGREES,
            )
    b.lang.patterns.append(r"(turn on|switch on|turn off|switch off) [^\n]+ lights except [^\n]+")


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
        return [("open", "open_cover"), ("close", "close_cover"), ("shut", "close_cover")]
    if domain == "media_player":
        return [("pause", "media_pause"), ("turn off", "turn_off")]
    return [(v, "turn_on") for v in ON] + [(v, "turn_off") for v in OFF]


def _valued(
    members: Sequence[Device], service: str, key: str, scale: float = 1
) -> Callable[[int], Command]:
    def make(value: int) -> Command:
        return _group_cmd(
            members, service, **{key: round(value * scale, 4) if scale != 1 else value}
        )

    return make


def _group_cmd(members: Sequence[Device], service: str, **data: Any) -> Command:
    return Command(f"{members[0].domain}.{service}", tuple(m.entity_id for m in members), data)
