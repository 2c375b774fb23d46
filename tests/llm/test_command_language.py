"""The command language: every line parses to commands the validator accepts."""

from __future__ import annotations

import json
import re

from hub.llm.command_language import NOTHING, build_language, device_labels
from hub.registry import Area, Device, Registry
from hub.validator import validate


def test_every_line_of_the_example_home_validates(registry: Registry) -> None:
    language = build_language(registry)
    assert len(language.lines) > 1000
    for line, commands in language.lines.items():
        for command in commands:
            checked = validate(command, registry)
            # Temperatures outside a device's limits are left to the validator on purpose.
            assert checked.ok or checked.rejection.code == "out_of_range", (line, checked.rejection)  # type: ignore[union-attr]


def test_lines_mean_what_they_say(registry: Registry) -> None:
    language = build_language(registry)
    assert language.parse(NOTHING) == ()
    (command,) = language.parse("set reading lamp brightness to 40%") or ()
    assert command.to_dict() == {
        "action": "light.turn_on",
        "target": {"entity_id": ["light.living_room_lamp"]},
        "data": {"brightness_pct": 40},
    }
    (command,) = language.parse("close garage door") or ()
    assert command.action == "cover.close_cover"
    (command,) = language.parse("set tv volume to 25") or ()
    assert command.data == {"volume_level": 0.25}
    (command,) = language.parse("turn off the kitchen lights") or ()
    assert set(command.entity_ids) == {"light.kitchen_ceiling", "light.kitchen_counter"}
    (command,) = language.parse("turn off ground floor lights except hallway light") or ()
    assert (
        "light.hallway" not in command.entity_ids and "light.kitchen_ceiling" in command.entity_ids
    )
    (command,) = language.parse("add to shopping list: oat milk") or ()
    assert command.data == {"item": "oat milk"}
    (command,) = language.parse("set desk lamp color to warm white") or ()
    assert command.data == {"color_temp_kelvin": 2700}


def test_no_line_for_what_a_device_cannot_do(registry: Registry) -> None:
    language = build_language(registry)
    assert language.parse("set hallway light brightness to 40") is None  # on/off only
    assert language.parse("set kitchen light color to red") is None  # white tones only
    assert language.parse("lock garage door") is None
    assert language.parse("turn on front door contact") is None  # sensors take no actions
    assert language.parse("turn on the kitchen light please") is None  # not the language's form


def test_duplicate_names_get_their_area() -> None:
    registry = Registry(
        areas=[Area("a", "Attic"), Area("b", "Basement")],
        devices=[
            Device("light.one", "Lamp", "a"),
            Device("light.two", "Lamp", "b"),
            Device("sensor.t", "Lamp", "a"),
        ],
    )
    assert device_labels(registry, registry.devices) == {
        "light.one": "lamp in attic",
        "light.two": "lamp in basement",
    }
    language = build_language(registry)
    assert language.parse("Turn on lamp in Basement") == language.lines["turn on lamp in basement"]


def test_json_schema_patterns_accept_the_lines(registry: Registry) -> None:
    language = build_language(registry)
    schema = language.json_schema()
    json.dumps(schema)  # serialisable
    pattern = re.compile(schema["properties"]["commands"]["items"]["pattern"])
    for line in (
        "turn on kitchen light",
        "set tv volume to 25",
        "turn off kitchen lights",
        "add to shopping list: milk",
    ):
        assert pattern.match(line), line
    assert not pattern.match("unlock garage door")


def test_a_device_may_be_named_with_the_as_people_say_it(registry: Registry) -> None:
    """ "pause the tv": a model copying the request's "the" must still reach the tv's line, not
    only a group ("pause the living room speakers"); a device's own name wins over a group
    that happens to read the same ("the kitchen light" is the light called Kitchen Light)."""
    language = build_language(registry)
    for line, action, entity in (
        ("pause the tv", "media_player.media_pause", "media_player.living_room_tv"),
        # as Home Assistant reads it, stopping a player pauses it (a pause can be undone)
        ("stop the tv", "media_player.media_pause", "media_player.living_room_tv"),
        ("set the tv volume to 10", "media_player.volume_set", "media_player.living_room_tv"),
        ("turn on the kitchen light", "light.turn_on", "light.kitchen_ceiling"),
        ("open the garden tap", "valve.open_valve", "valve.garden_water"),
    ):
        parsed = language.parse(line)
        assert parsed is not None and [(c.action, c.entity_ids) for c in parsed] == [
            (action, (entity,))
        ], line
    assert language.parse("pause the the tv") is None


def test_a_line_in_all_its_wordings(registry: Registry) -> None:
    """A line the request speaks against is refused in every wording of what it means."""
    language = build_language(registry)
    next_track = language.synonyms("next track on tv")
    assert {"skip track on tv", "next track on tv", "next song on the tv"} <= next_track
    assert all(language.parse(x) == language.parse("skip track on tv") for x in next_track)
    assert "previous track on tv" not in next_track
    assert language.synonyms("sing a song") == frozenset()


def test_the_steps_of_a_home_are_its_lines_that_change_a_level_a_step(registry: Registry) -> None:
    """ "brighten desk lamp", "turn up tv volume", "speed up ceiling fan": the lines a retry
    for "a touch brighter" may write; no level, no switching, no other way."""
    language = build_language(registry)
    up, down = language.steps("up"), language.steps("down")
    assert {"brighten desk lamp", "make tv louder", "speed up ceiling fan"} <= up
    assert {"dim desk lamp", "make tv quieter", "slow down ceiling fan"} <= down
    assert not up & down
    for line in up:
        for command in language.lines[line]:
            assert command.action in {
                "light.turn_on",
                "media_player.volume_up",
                "fan.increase_speed",
            }
            if command.action == "light.turn_on":
                assert command.data["brightness_step_pct"] > 0
    assert "turn on desk lamp" not in up and "set desk lamp brightness to 100" not in up
