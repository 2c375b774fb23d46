"""The home in the config: languages, floors, areas and devices (bench/FORMAT.md's shape)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from hub.actions import ACTIONS, DOMAINS
from hub.config.binding import BindingSpecError, parse_binding
from hub.config.reader import Reader
from hub.registry import Area, Device, Floor, State
from hub.text.fold import slugify

# The features a device may list, by domain: the ones the action table's actions and data keys
# need (hub.actions: ActionSpec.feature, Param.feature), Home Assistant's names.
FEATURES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        domain: frozenset(
            feature
            for spec in ACTIONS.values()
            if spec.domain == domain
            for feature in (spec.feature, *(p.feature for p in spec.params.values()))
            if feature
        )
        for domain in DOMAINS
    }
)
# Names Home Assistant uses elsewhere (colour modes, entity feature flags) for a feature of ours
_HA_NAMES = {
    "rgb": "color",
    "rgbw": "color",
    "rgbww": "color",
    "hs": "color",
    "xy": "color",
    "dimmable": "brightness",
    "set_position": "position",
    "set_percentage": "set_speed",
}


def languages(top: Reader) -> tuple[str, ...]:
    if top.has("language") and top.has("languages"):
        top.fail("languages", "give either 'language' or 'languages', not both")
    key = "languages" if top.has("languages") else "language"
    languages = top.strings(key)
    known = _known_languages()
    found = []
    for i, lang in enumerate(languages):
        if lang not in known:
            where = f"{key}[{i}]" if isinstance(top.data.get(key), list) else key
            close = sorted(k for k in known if k.split("-")[0] == lang.split("-")[0].lower())
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            top.fail(where, f"unknown language {lang!r}{hint}")
        else:
            found.append(lang)
    return tuple(dict.fromkeys(found)) or ("en",)


def _known_languages() -> set[str]:
    from home_assistant_intents import get_languages

    return set(get_languages())


def all_named(top: Reader, key: str, *names: str) -> bool:
    """Whether every item of the list at ``key`` is a mapping that names itself (by the first of
    ``names`` it has). Only then is a reference to an item that is not there the reference's own
    mistake; else it may name an item the list's own problems left out, and is not checked."""
    value = top.data.get(key)
    if value is None:
        return True
    return isinstance(value, list) and all(_named(item, names) for item in value)


def _named(item: Any, names: tuple[str, ...]) -> bool:
    if not isinstance(item, Mapping):
        return False
    value = next((item[name] for name in names if item.get(name) is not None), None)
    return (
        not isinstance(value, bool)
        and isinstance(value, str | int | float)
        and bool(str(value).strip())
    )


def floors_and_areas(top: Reader) -> tuple[tuple[Floor, ...], tuple[Area, ...]]:
    floors: dict[str, Floor] = {}
    for r in top.items("floors"):
        r.only("id", "name", "aliases", "level")
        name = r.text("name") or r.required_text("id")
        fid = r.text("id") or slugify(name)
        if not fid:
            continue  # no id nor name: a problem recorded already
        if fid in floors:
            r.fail("id", f"duplicate floor id {fid!r}")
            continue
        level = r.get("level", int, 0) if r.has("level") else None
        floors[fid] = Floor(fid, name, r.strings("aliases"), level)
    by_name = {slugify(f.name): f.id for f in floors.values()}

    areas: dict[str, Area] = {}
    for r in top.items("areas"):
        r.only("id", "name", "floor", "aliases")
        name = r.text("name") or r.required_text("id")
        aid = r.text("id") or slugify(name)
        floor_ref = r.text("floor")
        floor_id = None
        if floor_ref:
            floor_id = floor_ref if floor_ref in floors else by_name.get(slugify(floor_ref))
            if floor_id is None and top.has("floors") and all_named(top, "floors", "id", "name"):
                r.fail("floor", f"unknown floor {floor_ref!r} (not in floors:)")
            elif floor_id is None:
                # Without a floors: section, areas name their floors (FORMAT.md shape).
                floor_id = slugify(floor_ref)
                floors[floor_id] = Floor(floor_id, floor_ref)
                by_name[floor_id] = floor_id
        aliases = r.strings("aliases")
        if not aid:
            continue  # no id nor name: a problem recorded already
        if aid in areas:
            r.fail("id", f"duplicate area id {aid!r}")
            continue
        areas[aid] = Area(aid, name, floor_id, aliases)
    return tuple(floors.values()), tuple(areas.values())


def devices(top: Reader, area_ids: set[str] | None) -> tuple[Device, ...]:
    """The devices; ``area_ids`` None: the areas have problems, the devices' are not checked."""
    devices: dict[str, Device] = {}
    for r in top.items("devices"):
        r.only("id", "name", "area", "aliases", "features", "state", "device_class", "binding")
        entity_id = r.required_text("id")
        domain, _, object_id = entity_id.partition(".")
        valid_id = bool(domain and object_id and _is_slug(domain) and _is_slug(object_id))
        if entity_id and not valid_id:
            r.fail("id", f"{entity_id!r} is not an entity id like 'light.kitchen'")
        elif entity_id in devices:
            r.fail("id", f"duplicate device id {entity_id!r}")
        area = r.text("area")
        if area and area_ids is not None and area not in area_ids:
            r.fail(
                "area", f"unknown area {area!r} (areas: {', '.join(sorted(area_ids)) or 'none'})"
            )
        features = r.strings("features")
        if valid_id:
            _check_features(r, domain, features)
        state = _state(r)
        device_class = r.text("device_class") or state.attributes.get("device_class")
        binding = _binding(r, entity_id) if r.has("binding") and valid_id else None
        if not valid_id or entity_id in devices:
            continue
        devices[entity_id] = Device(
            entity_id=entity_id,
            name=r.text("name") or object_id.replace("_", " ").title(),
            area=area,
            aliases=r.strings("aliases"),
            features=frozenset(features),
            device_class=str(device_class) if device_class else None,
            state=state,
            binding=binding,
        )
    return tuple(devices.values())


def _is_slug(text: str) -> bool:
    return bool(text) and all(ch.isalnum() or ch == "_" for ch in text) and text == text.lower()


def _check_features(r: Reader, domain: str, features: tuple[str, ...]) -> None:
    """Each listed feature must be one the domain's actions know (a typo would otherwise
    quietly leave a light on/off only)."""
    known = FEATURES.get(domain, frozenset())
    listed = isinstance(r.data.get("features"), list)
    for i, feature in enumerate(features):
        if feature in known:
            continue
        where = f"features[{i}]" if listed else "features"
        r.fail(where, f"unknown {domain} feature {feature!r}{_feature_hint(feature, domain)}")


def _feature_hint(feature: str, domain: str) -> str:
    known = sorted(FEATURES.get(domain, frozenset()))
    if domain not in DOMAINS:
        return f" ({domain} devices have no actions, so no features: leave features out)"
    if not known:
        return f" (no {domain} action needs a feature: leave features out)"
    ours = _HA_NAMES.get(feature.lower())
    close = [ours] if ours in known else difflib.get_close_matches(feature, known, n=1)
    guess = f"did you mean {close[0]!r}? " if close else ""
    return f" ({guess}{domain} features: {', '.join(known)})"


def _state(r: Reader) -> State:
    if r.data.get("state") is None:
        return State()
    state_reader = r.section("state")
    state_reader.only("state", "attributes")
    attributes = state_reader.get("attributes", dict, {})
    if not isinstance(r.data["state"], Mapping):
        return State()  # a problem recorded already
    return State.from_dict({**r.data["state"], "attributes": attributes})


def _binding(r: Reader, entity_id: str) -> dict[str, Any] | None:
    raw = r.get("binding", dict, None)
    if raw is None:
        return None  # not a mapping: a problem recorded already
    try:
        parse_binding(raw, entity_id)
    except BindingSpecError as exc:
        r.section("binding").fail(exc.key, exc.reason)
    return raw
