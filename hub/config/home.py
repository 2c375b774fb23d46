"""The home in the config: languages, floors, areas and devices (bench/FORMAT.md's shape)."""

from __future__ import annotations

from typing import Any

from hub.config.binding import BindingSpecError, parse_binding
from hub.config.reader import Reader
from hub.registry import Area, Device, Floor, State
from hub.text.fold import slugify


def languages(top: Reader) -> tuple[str, ...]:
    if top.has("language") and top.has("languages"):
        top.fail("languages", "give either 'language' or 'languages', not both")
    key = "languages" if top.has("languages") else "language"
    languages = top.strings(key) or ("en",)
    known = _known_languages()
    for i, lang in enumerate(languages):
        if lang not in known:
            where = f"{key}[{i}]" if key == "languages" else key
            close = sorted(k for k in known if k.split("-")[0] == lang.split("-")[0].lower())
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            top.fail(where, f"unknown language {lang!r}{hint}")
    return tuple(dict.fromkeys(languages))


def _known_languages() -> set[str]:
    from home_assistant_intents import get_languages

    return set(get_languages())


def floors_and_areas(top: Reader) -> tuple[tuple[Floor, ...], tuple[Area, ...]]:
    floors: dict[str, Floor] = {}
    for r in top.items("floors"):
        r.only("id", "name", "aliases", "level")
        name = r.text("name") or r.required_text("id")
        fid = r.text("id") or slugify(name)
        if fid in floors:
            r.fail("id", f"duplicate floor id {fid!r}")
        level = r.get("level", int, 0) if r.has("level") else None
        floors[fid] = Floor(fid, name, r.strings("aliases"), level)
    by_name = {slugify(f.name): f.id for f in floors.values()}

    areas: dict[str, Area] = {}
    for r in top.items("areas"):
        r.only("id", "name", "floor", "aliases")
        name = r.text("name") or r.required_text("id")
        aid = r.text("id") or slugify(name)
        if aid in areas:
            r.fail("id", f"duplicate area id {aid!r}")
        floor_ref = r.text("floor")
        floor_id = None
        if floor_ref:
            floor_id = floor_ref if floor_ref in floors else by_name.get(slugify(floor_ref))
            if floor_id is None:
                if top.has("floors"):
                    r.fail("floor", f"unknown floor {floor_ref!r} (not in floors:)")
                # Without a floors: section, areas name their floors (FORMAT.md shape).
                floor_id = slugify(floor_ref)
                floors[floor_id] = Floor(floor_id, floor_ref)
                by_name[floor_id] = floor_id
        areas[aid] = Area(aid, name, floor_id, r.strings("aliases"))
    return tuple(floors.values()), tuple(areas.values())


def devices(top: Reader, area_ids: set[str]) -> tuple[Device, ...]:
    devices: dict[str, Device] = {}
    for r in top.items("devices"):
        r.only("id", "name", "area", "aliases", "features", "state", "device_class", "binding")
        entity_id = r.required_text("id")
        domain, _, object_id = entity_id.partition(".")
        if not domain or not object_id or not _is_slug(domain) or not _is_slug(object_id):
            r.fail("id", f"{entity_id!r} is not an entity id like 'light.kitchen'")
        if entity_id in devices:
            r.fail("id", f"duplicate device id {entity_id!r}")
        area = r.text("area")
        if area and area not in area_ids:
            r.fail(
                "area", f"unknown area {area!r} (areas: {', '.join(sorted(area_ids)) or 'none'})"
            )
        state_raw = r.data.get("state")
        if state_raw is not None:
            state_reader = r.section("state")
            state_reader.only("state", "attributes")
            if state_reader.has("attributes"):
                state_reader.get("attributes", dict, {})
        state = State.from_dict(state_raw)
        device_class = r.text("device_class") or state.attributes.get("device_class")
        binding = _binding(r, entity_id) if r.has("binding") else None
        devices[entity_id] = Device(
            entity_id=entity_id,
            name=r.text("name") or object_id.replace("_", " ").title(),
            area=area,
            aliases=r.strings("aliases"),
            features=frozenset(r.strings("features")),
            device_class=str(device_class) if device_class else None,
            state=state,
            binding=binding,
        )
    return tuple(devices.values())


def _is_slug(text: str) -> bool:
    return bool(text) and all(ch.isalnum() or ch == "_" for ch in text) and text == text.lower()


def _binding(r: Reader, entity_id: str) -> dict[str, Any]:
    raw = r.get("binding", dict, {})
    try:
        parse_binding(raw, entity_id)
    except BindingSpecError as exc:
        r.section("binding").fail(exc.key, exc.reason)
    return raw
