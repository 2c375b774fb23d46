"""Home Assistant intents to commands, the way Home Assistant handles them.

``handle_intent`` takes an intent name and its slots (from hassil) and returns commands, a
question when a name is ambiguous, or a reply that says why nothing can be done. HassTurnOn on
a lock locks it and on a cover opens it, HassLightSet sets brightness, colour or white
temperature, and so on. Targets are resolved with ``hub.targets``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from hub.actions import LIGHT_STEP_PCT
from hub.messages import Command, Request
from hub.registry import Device, Registry
from hub.targets import Resolution, TargetQuery, ask_which, resolve


@dataclass(frozen=True)
class Answer:
    """Commands (their reply text is made from them after validation, see hub.replies), or a
    reply alone: why nothing can be done, or a question."""

    commands: tuple[Command, ...] = ()
    reply: str = ""
    question: bool = False
    choices: tuple[str, ...] = ()  # a "Which one" question: the entity ids it offers
    # No device matched what the request names ("There is no door in the Garage"): the
    # template may have read a name as something else, so a later tier may still answer
    unresolved: bool = False


Slots = Mapping[str, Any]
Handler = Callable[[Slots, Registry, Request], Answer]

ON_ACTIONS = {
    "light": "turn_on", "switch": "turn_on", "input_boolean": "turn_on", "fan": "turn_on",
    "cover": "open_cover", "valve": "open_valve", "lock": "lock", "media_player": "turn_on",
    "vacuum": "start", "scene": "turn_on", "script": "turn_on", "climate": "turn_on",
}  # fmt: skip
OFF_ACTIONS = {
    "light": "turn_off", "switch": "turn_off", "input_boolean": "turn_off", "fan": "turn_off",
    "cover": "close_cover", "valve": "close_valve", "lock": "unlock",
    "media_player": "turn_off", "vacuum": "return_to_base", "climate": "turn_off",
}  # fmt: skip
TOGGLE_ACTIONS = {d: "toggle" for d in ("light", "switch", "input_boolean", "fan", "cover")}
MEDIA_ACTIONS = {
    "HassMediaPause": "media_pause",
    "HassMediaUnpause": "media_play",
    "HassMediaNext": "media_next_track",
    "HassMediaPrevious": "media_previous_track",
}


def _as_set(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, list | tuple | set):
        return {str(v) for v in value}
    return {str(value)}


def _query(slots: Slots, request: Request, domains: set[str] | None = None) -> TargetQuery:
    slot_domains = _as_set(slots.get("domain"))
    if domains is not None:
        slot_domains = (slot_domains & domains) if slot_domains else set(domains)
    return TargetQuery(
        name=slots.get("name"),
        area=slots.get("area"),
        floor=slots.get("floor"),
        domains=slot_domains,
        device_classes=_as_set(slots.get("device_class")),
        context_area=request.area,
        focus=request.focus,
    )


def _failed(resolution: Resolution) -> Answer:
    ambiguous = resolution.code == "ambiguous"
    choices = tuple(d.entity_id for d in resolution.choices) if ambiguous else ()
    return Answer(
        reply=resolution.reason, question=ambiguous, choices=choices, unresolved=not ambiguous
    )


def _group(
    devices: Sequence[Device], actions: Mapping[str, str], data: Mapping[str, Any] | None = None
) -> tuple[Command, ...]:
    """One command per action, targets in registry order; devices with no such action dropped."""
    by_action: dict[str, list[str]] = {}
    for device in devices:
        service = actions.get(device.domain)
        if service:
            by_action.setdefault(f"{device.domain}.{service}", []).append(device.entity_id)
    return tuple(Command(action, tuple(ids), dict(data or {})) for action, ids in by_action.items())


def _names(devices: Sequence[Device]) -> str:
    names = list(dict.fromkeys(d.name for d in devices))
    if len(names) <= 3:
        return " and ".join(names)
    return f"{len(devices)} devices"


# -- on / off -----------------------------------------------------------------------------


# Verbs that only some domains do: "open the barn door" (HassTurnOn) never means a light that
# happens to be called Barn Door too.
VERB_DOMAINS = {
    "open": {"cover", "valve", "lock"},
    "close": {"cover", "valve", "lock"},
    "shut": {"cover", "valve", "lock"},
    "lock": {"lock"},
    "unlock": {"lock"},
}
_VERB = re.compile(r"\b(" + "|".join(VERB_DOMAINS) + r")\b", re.IGNORECASE)


def _on_off(actions: Mapping[str, str], verb: str) -> Handler:
    def handler(slots: Slots, registry: Registry, request: Request) -> Answer:
        query = _query(slots, request)
        if not query.domains and not query.name:
            query = _query(slots, request, set(actions))
        said = _VERB.search(request.text)
        able = actions
        if said is not None:  # only the domains that do what the request says
            able = {d: a for d, a in actions.items() if d in VERB_DOMAINS[said.group(1).lower()]}
        resolution = _able(resolve(registry, query), able or actions, registry)
        if not resolution.ok:
            return _failed(resolution)
        commands = _group(resolution.devices, actions)
        if not commands:
            return Answer(reply=f"{_names(resolution.devices)} can't be turned {verb}.")
        return Answer(commands)

    return handler


def _able(resolution: Resolution, actions: Mapping[str, str], registry: Registry) -> Resolution:
    """A choice that cannot do the action is no choice: "lock the back door" with a lock and a
    door sensor both called Back Door means the lock."""
    if resolution.code != "ambiguous":
        return resolution
    able = tuple(d for d in resolution.choices if d.domain in actions)
    if len(able) == 1:
        return Resolution(devices=able)
    if 1 < len(able) < len(resolution.choices):
        return replace(resolution, reason=ask_which(registry, able), choices=able)
    return resolution


# -- setting values -----------------------------------------------------------------------


def _light_set(slots: Slots, registry: Registry, request: Request) -> Answer:
    data: dict[str, Any] = {}
    feature = None
    if slots.get("brightness") is not None:
        data["brightness_pct"] = round(float(slots["brightness"]))
        feature = "brightness"
    if slots.get("color") is not None:
        data["color_name"] = str(slots["color"]).replace(" ", "").lower()
        feature = "color"
    if slots.get("temperature") is not None:
        data["color_temp_kelvin"] = round(float(slots["temperature"]))
        feature = "color_temp"
    if not data:
        return Answer(reply="What should I set the light to?", question=True)
    resolution = resolve(registry, _query(slots, request, {"light"}))
    if not resolution.ok:
        return _failed(resolution)
    able = [d for d in resolution.devices if feature is None or d.supports(feature)]
    if not able:
        return Answer(reply=f"{_names(resolution.devices)} can't change {feature}.")
    return Answer(_group(able, {"light": "turn_on"}, data))


def _light_step(slots: Slots, registry: Registry, request: Request) -> Answer:
    step = -LIGHT_STEP_PCT if slots.get("direction") == "down" else LIGHT_STEP_PCT
    resolution = resolve(registry, _query(slots, request, {"light"}))
    if not resolution.ok:
        return _failed(resolution)
    able = [d for d in resolution.devices if d.supports("brightness")]
    if not able:
        return Answer(reply=f"{_names(resolution.devices)} can't be dimmed.")
    return Answer(_group(able, {"light": "turn_on"}, {"brightness_step_pct": step}))


def _set_position(slots: Slots, registry: Registry, request: Request) -> Answer:
    position = round(float(slots["position"]))
    resolution = resolve(registry, _query(slots, request, {"cover", "valve"}))
    if not resolution.ok:
        return _failed(resolution)
    able = [d for d in resolution.devices if d.supports("position")]
    if not able:
        return Answer(reply=f"{_names(resolution.devices)} can't be set to a position.")
    actions = {"cover": "set_cover_position", "valve": "set_valve_position"}
    return Answer(
        _group(able, actions, {"position": position}),
    )


def _single_domain_default(
    slots: Slots, registry: Registry, request: Request, domain: str
) -> Resolution:
    """Targets for intents that may name nothing: the request's area, else the only one."""
    query = _query(slots, request, {domain})
    if query.name or query.area or query.floor:
        return resolve(registry, query)
    if request.area:
        here = resolve(registry, TargetQuery(area=request.area, domains={domain}))
        if here.ok:
            return here
    everywhere = resolve(registry, TargetQuery(domains={domain}, focus=request.focus))
    if everywhere.ok and len(everywhere.devices) > 1:
        focused = tuple(d for d in everywhere.devices if d.entity_id in request.focus)
        if focused:
            return Resolution(devices=focused)
        return Resolution(
            code="ambiguous",
            reason=ask_which(registry, everywhere.devices),
            choices=everywhere.devices,
        )
    return everywhere


def _climate_set(slots: Slots, registry: Registry, request: Request) -> Answer:
    temperature = float(slots["temperature"])
    resolution = _single_domain_default(slots, registry, request, "climate")
    if not resolution.ok:
        return _failed(resolution)
    value: float | int = int(temperature) if temperature.is_integer() else temperature
    return Answer(
        _group(resolution.devices, {"climate": "set_temperature"}, {"temperature": value}),
    )


CLIMATE_STEP = 1  # degrees: "make it warmer", "turn down the heat"


def _climate_step(slots: Slots, registry: Registry, request: Request) -> Answer:
    """The target a degree up or down from where it is set now, within the device's range."""
    step = -CLIMATE_STEP if slots.get("direction") == "down" else CLIMATE_STEP
    resolution = _single_domain_default(slots, registry, request, "climate")
    if not resolution.ok:
        return _failed(resolution)
    commands = []
    for device in resolution.devices:
        attrs = device.state.attributes
        target = attrs.get("temperature")
        if isinstance(target, bool) or not isinstance(target, int | float):
            return Answer(
                reply=f"I don't know what {device.name} is set to. To what temperature?",
                question=True,
            )
        value = target + step
        low, high = attrs.get("min_temp"), attrs.get("max_temp")
        if isinstance(low, int | float) and value < low:
            value = low
        if isinstance(high, int | float) and value > high:
            value = high
        if value == target:
            end = "highest" if step > 0 else "lowest"
            return Answer(reply=f"{device.name} is already at its {end} setting, {target}°.")
        value = int(value) if float(value).is_integer() else value
        commands.append(
            Command("climate.set_temperature", (device.entity_id,), {"temperature": value})
        )
    return Answer(tuple(commands))


def _fan_speed(slots: Slots, registry: Registry, request: Request) -> Answer:
    percentage = round(float(slots["percentage"]))
    resolution = _single_domain_default(slots, registry, request, "fan")
    if not resolution.ok:
        return _failed(resolution)
    return Answer(
        _group(resolution.devices, {"fan": "set_percentage"}, {"percentage": percentage}),
    )


# -- media, vacuum, lists -------------------------------------------------------------------


def _media(service: str, data: Mapping[str, Any] | None = None) -> Handler:
    def handler(slots: Slots, registry: Registry, request: Request) -> Answer:
        resolution = _single_domain_default(slots, registry, request, "media_player")
        if not resolution.ok:
            return _failed(resolution)
        commands = _group(resolution.devices, {"media_player": service}, data)
        return Answer(commands)

    return handler


def _set_volume(slots: Slots, registry: Registry, request: Request) -> Answer:
    level = round(float(slots.get("volume_level", slots.get("volume", 0))) / 100, 2)
    return _media("volume_set", {"volume_level": level})(slots, registry, request)


def _volume_relative(slots: Slots, registry: Registry, request: Request) -> Answer:
    step = str(slots.get("volume_step", "up"))
    service = "volume_down" if step == "down" or step.startswith("-") else "volume_up"
    return _media(service)(slots, registry, request)


def _vacuum(service: str) -> Handler:
    def handler(slots: Slots, registry: Registry, request: Request) -> Answer:
        resolution = _single_domain_default(slots, registry, request, "vacuum")
        if not resolution.ok:
            return _failed(resolution)
        return Answer(_group(resolution.devices, {"vacuum": service}))

    return handler


def _add_item(shopping: bool) -> Handler:
    def handler(slots: Slots, registry: Registry, request: Request) -> Answer:
        item = str(slots.get("item", "")).strip()
        if not item:
            return Answer(reply="What should I add?", question=True)
        if shopping:
            todo = registry.device("todo.shopping_list")
            lists = [todo] if todo else registry.find_devices("shopping list")
            lists = [d for d in lists if d.domain == "todo"] or registry.by_domain("todo")
            if len(lists) != 1:
                return Answer(reply="I don't know which list is the shopping list.")
            resolution = Resolution(devices=(lists[0],))
        else:
            resolution = resolve(registry, _query(slots, request, {"todo"}))
        if not resolution.ok:
            return _failed(resolution)
        return Answer(
            _group(resolution.devices, {"todo": "add_item"}, {"item": item}),
        )

    return handler


# -- answers without commands ---------------------------------------------------------------


def _get_state(slots: Slots, registry: Registry, request: Request) -> Answer:
    query = _query(slots, request)
    if not (query.name or query.area or query.floor or query.domains or query.device_classes):
        return Answer(reply="Which device do you mean?", question=True)
    return _describe_states(resolve(registry, query))


def _climate_temperature(slots: Slots, registry: Registry, request: Request) -> Answer:
    return _describe_states(_single_domain_default(slots, registry, request, "climate"))


def _describe_states(resolution: Resolution) -> Answer:
    if not resolution.ok:
        return _failed(resolution)
    parts = []
    for device in resolution.devices[:5]:
        state = device.state.state
        unit = device.state.attributes.get("unit_of_measurement", "")
        if device.domain == "climate" and "current_temperature" in device.state.attributes:
            state = f"{device.state.attributes['current_temperature']}°"
        parts.append(f"{device.name} is {state or 'unknown'}{unit and ' ' + str(unit)}")
    return Answer(reply=". ".join(parts) + ".")


def _time(slots: Slots, registry: Registry, request: Request) -> Answer:
    return Answer(reply=f"It is {dt.datetime.now():%H:%M}.")


def _date(slots: Slots, registry: Registry, request: Request) -> Answer:
    return Answer(reply=f"Today is {dt.date.today():%A, %d %B %Y}.")


def _nevermind(slots: Slots, registry: Registry, request: Request) -> Answer:
    return Answer(reply="OK.")


HANDLERS: dict[str, Handler] = {
    "HassTurnOn": _on_off(ON_ACTIONS, "on"),
    "HassTurnOff": _on_off(OFF_ACTIONS, "off"),
    "HassToggle": _on_off(TOGGLE_ACTIONS, "over"),
    "HassLightSet": _light_set,
    "HubLightStep": _light_step,
    "HassSetPosition": _set_position,
    "HassClimateSetTemperature": _climate_set,
    "HubClimateStep": _climate_step,
    "HassFanSetSpeed": _fan_speed,
    **{intent: _media(service) for intent, service in MEDIA_ACTIONS.items()},
    "HassSetVolume": _set_volume,
    "HassSetVolumeRelative": _volume_relative,
    "HassMediaPlayerMute": _media("volume_mute", {"is_volume_muted": True}),
    "HassMediaPlayerUnmute": _media("volume_mute", {"is_volume_muted": False}),
    "HassVacuumStart": _vacuum("start"),
    "HassVacuumReturnToBase": _vacuum("return_to_base"),
    "HassShoppingListAddItem": _add_item(shopping=True),
    "HassListAddItem": _add_item(shopping=False),
    "HassGetState": _get_state,
    "HassClimateGetTemperature": _climate_temperature,
    "HassGetCurrentTime": _time,
    "HassGetCurrentDate": _date,
    "HassNevermind": _nevermind,
}
HANDLED_INTENTS = frozenset(HANDLERS)


def handle_intent(intent: str, slots: Slots, registry: Registry, request: Request) -> Answer | None:
    handler = HANDLERS.get(intent)
    if handler is None or _one_is_a_choice(intent, slots, request):
        return None
    return handler(slots, registry, request)


_ONE = re.compile(r"\bone\b(?!\s*(%|percent|per cent))", re.IGNORECASE)


def _one_is_a_choice(intent: str, slots: Slots, request: Request) -> bool:
    """ "The bedroom one" picks a device; Home Assistant's templates read it as brightness 1%.
    A level of 1 said only as the word "one" is no level."""
    return (
        intent == "HassLightSet"
        and slots.get("brightness") == 1
        and "1" not in request.text
        and bool(_ONE.search(request.text))
    )
