"""The template tier end to end on the example home: sentence in, validated commands out."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import replace
from itertools import count
from typing import Any

import pytest

from hub.app.build import build_pipeline
from hub.config import parse_config
from hub.messages import Request
from hub.pipeline import NeedsModel, Pipeline, make_request
from hub.registry import Device, Registry

_conversations = count(1)


def ask(pipeline: Pipeline, text: str, area: str | None = None, **kw: Any) -> Any:
    """Each request a conversation of its own, so that a security action asks to be
    confirmed (its commands are then ``pending``) instead of being refused."""
    request = make_request(pipeline.registry, text, area=area, **kw)
    return pipeline.ask(replace(request, conversation_id=f"test-{next(_conversations)}"))


def atoms(reply: Any) -> set[tuple[str, str, tuple[tuple[str, Any], ...]]]:
    """What the reply does, or, for a security action, what its confirmation would do."""
    commands = reply.pending if reply.secure and reply.outcome == "asked" else reply.commands
    return {(c.action, e, tuple(sorted(c.data.items()))) for c in commands for e in c.entity_ids}


CASES = [
    (
        "dim the kitchen to 30%",
        None,
        {
            ("light.turn_on", "light.kitchen_ceiling", (("brightness_pct", 30),)),
            ("light.turn_on", "light.kitchen_counter", (("brightness_pct", 30),)),
        },
    ),
    ("lock the front door", None, {("lock.lock", "lock.front_door", ())}),
    ("unlock the back door", None, {("lock.unlock", "lock.back_door", ())}),
    ("open the garage door", None, {("cover.open_cover", "cover.garage_door", ())}),
    ("close the garage door", None, {("cover.close_cover", "cover.garage_door", ())}),
    (
        "set the bedroom curtains to 40%",
        None,
        {("cover.set_cover_position", "cover.bedroom_curtains", (("position", 40),))},
    ),
    (
        "set the thermostat to 22 degrees",
        None,
        {("climate.set_temperature", "climate.living_room", (("temperature", 22),))},
    ),
    ("turn on the coffee maker", None, {("switch.turn_on", "switch.coffee_machine", ())}),
    (
        "turn off the lights upstairs",
        None,
        {
            ("light.turn_off", e, ())
            for e in (
                "light.bedroom_lamp",
                "light.kids_room_lamp",
                "light.office_lamp",
                "light.bedroom_reading",
                "light.office_reading",
            )
        },
    ),
    (
        "turn on the lights",
        "kitchen",
        {
            ("light.turn_on", "light.kitchen_ceiling", ()),
            ("light.turn_on", "light.kitchen_counter", ()),
        },
    ),
    ("turn on the lamp", "office", {("light.turn_on", "light.office_reading", ())}),
    (
        "set the reading lamp to red",
        None,
        {("light.turn_on", "light.living_room_lamp", (("color_name", "red"),))},
    ),
    (
        "dim the lights",
        "living_room",
        {
            ("light.turn_on", e, (("brightness_step_pct", -20),))
            for e in ("light.living_room_lamp", "light.living_room_ceiling")
        },
    ),
    ("pause the tv", None, {("media_player.media_pause", "media_player.living_room_tv", ())}),
    (
        "set the tv volume to 25%",
        None,
        {("media_player.volume_set", "media_player.living_room_tv", (("volume_level", 0.25),))},
    ),
    ("start the roomba", None, {("vacuum.start", "vacuum.robot", ())}),
    ("activate movie night", None, {("scene.turn_on", "scene.movie_night", ())}),
    (
        "add milk to my shopping list",
        None,
        {("todo.add_item", "todo.shopping_list", (("item", "milk"),))},
    ),
    ("open the garden tap", None, {("valve.open_valve", "valve.garden_water", ())}),
    # a degree from where the thermostat is set now (bedroom 18, living room 21)
    (
        "it's freezing in the bedroom",
        None,
        {("climate.set_temperature", "climate.bedroom", (("temperature", 19),))},
    ),
    (
        "turn down the heating in the bedroom",
        None,
        {("climate.set_temperature", "climate.bedroom", (("temperature", 17),))},
    ),
    (
        "make it warmer",
        "bedroom",
        {("climate.set_temperature", "climate.bedroom", (("temperature", 19),))},
    ),
    (
        "turn up the thermostat",
        None,
        {("climate.set_temperature", "climate.living_room", (("temperature", 22),))},
    ),
]


@pytest.mark.parametrize(("text", "area", "expected"), CASES)
def test_sentences_become_the_right_commands(
    template_pipeline: Pipeline, text: str, area: str | None, expected: set[Any]
) -> None:
    reply = ask(template_pipeline, text, area)
    assert reply.tier == "template", reply
    assert atoms(reply) == expected
    assert not reply.rejected
    assert reply.reply  # a person-readable confirmation


def test_ambiguous_name_asks_which_one(template_pipeline: Pipeline) -> None:
    reply = ask(template_pipeline, "turn on the lamp")
    assert reply.commands == ()
    assert reply.reply == "Which one: Lamp in the Bedroom or Lamp in the Office?"


def test_no_device_of_that_kind_in_the_area_gives_no_command(template_pipeline: Pipeline) -> None:
    reply = ask(template_pipeline, "turn on the fan in the kitchen")
    assert reply.commands == ()
    assert reply.tier == "template"


def test_out_of_range_values_are_refused_with_a_reason(template_pipeline: Pipeline) -> None:
    reply = ask(template_pipeline, "set the thermostat to 45 degrees")
    assert reply.commands == ()
    assert reply.rejected and reply.rejected[0].code == "out_of_range"
    assert "45" in reply.reply


def test_a_relative_temperature_needs_a_known_target_and_stays_in_range(
    template_pipeline: Pipeline,
) -> None:
    which = ask(template_pipeline, "turn up the heat")
    assert which.commands == () and which.reply.startswith("Which one:")
    at_max = {
        "climate.bedroom": {"state": "heat", "attributes": {"temperature": 28, "max_temp": 28}}
    }
    top = ask(template_pipeline, "make the bedroom warmer", states=at_max)
    assert top.commands == ()
    assert top.reply == "Bedroom Radiator is already at its highest setting, 28°."
    near = {"climate.bedroom": {"state": "heat", "attributes": {"temperature": 7.5, "min_temp": 7}}}
    assert atoms(ask(template_pipeline, "it's too hot in the bedroom", states=near)) == {
        ("climate.set_temperature", "climate.bedroom", (("temperature", 7),))
    }
    unknown = ask(
        template_pipeline, "it's cold in the bedroom", states={"climate.bedroom": {"state": "heat"}}
    )
    assert unknown.commands == () and "To what temperature?" in unknown.reply
    nowhere = ask(template_pipeline, "it's too hot in the kitchen")
    assert nowhere.reply == "There is no thermostat in the Kitchen."


def test_per_request_state_does_not_leak(template_pipeline: Pipeline) -> None:
    reply = ask(
        template_pipeline,
        "is the front door locked",
        states={"lock.front_door": {"state": "unlocked"}},
    )
    assert "unlocked" in reply.reply
    reply = ask(template_pipeline, "is the front door locked")
    assert "is locked" in reply.reply


def test_unknown_requests_fall_through_with_a_reply(template_pipeline: Pipeline) -> None:
    reply = ask(template_pipeline, "what is the capital of France")
    assert reply.commands == ()
    assert reply.tier == "none"
    assert "didn't understand" in reply.reply


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty_request"),
        ("   ", "empty_request"),
        ("x" * 100_000, "too_long"),
        ("turn on\x00 the tv", "bad_text"),
    ],
)
def test_bad_requests_are_errors_not_crashes(
    template_pipeline: Pipeline, text: str, code: str
) -> None:
    reply = ask(template_pipeline, text)
    assert reply.error is not None and reply.error.code == code
    assert reply.commands == ()


def test_unknown_request_area_is_an_error(template_pipeline: Pipeline) -> None:
    reply = ask(template_pipeline, "turn on the lights", "attic")
    assert reply.error is not None and reply.error.code == "unknown_area"


GERMAN_HOME = """
languages: [en]
areas:
  - {id: kueche, name: Küche}
  - {id: wohnzimmer, name: Wohnzimmer}
devices:
  - {id: light.kueche, name: Küchenlicht, area: kueche, features: [brightness]}
  - {id: light.stehlampe, name: Stehlampe, area: wohnzimmer, features: [brightness]}
  - {id: cover.garagentor, name: Garagentor, device_class: garage}
"""


def german_home(**changes: Any) -> Pipeline:
    config = dataclasses.replace(parse_config(GERMAN_HOME), **changes)
    pipeline = build_pipeline(config, "template")
    pipeline.warm()
    return pipeline


def test_a_request_in_another_language_loads_its_templates_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="hub.tiers.templates")
    pipeline = german_home()
    english = ask(pipeline, "turn on the Stehlampe")
    assert atoms(english) == {("light.turn_on", "light.stehlampe", ())}
    assert ask(pipeline, "what is the capital of France").tier == "none"
    assert "A request in" not in caplog.text  # English needs nothing more

    reply = ask(pipeline, "Schalte das Licht in der Küche ein")
    assert (reply.tier, reply.language) == ("template", "de")
    assert atoms(reply) == {("light.turn_on", "light.kueche", ())}
    dimmed = ask(pipeline, "Stelle die Helligkeit im Wohnzimmer auf 40%")
    assert atoms(dimmed) == {("light.turn_on", "light.stehlampe", (("brightness_pct", 40),))}
    assert atoms(ask(pipeline, "Öffne das Garagentor")) == {
        ("cover.open_cover", "cover.garagentor", ())
    }
    assert caplog.text.count("A request in de: loaded its sentence templates") == 1
    assert ask(pipeline, "turn off the Stehlampe").commands  # English still first


def test_the_fast_lane_hands_a_language_load_to_the_slow_one() -> None:
    """Loading a language takes seconds: a fast ask (the daemon's worker) must not do it, or
    every request behind it waits; the model's thread asks again in full and loads it."""
    pipeline = german_home()
    assert ask(pipeline, "turn on the Stehlampe").commands  # English: no load, fast
    assert pipeline.ask(Request("turn on the Stehlampe"), fast=True).commands
    with pytest.raises(NeedsModel):
        pipeline.ask(Request("Schalte das Licht in der Küche ein"), fast=True)
    reply = pipeline.ask(Request("Schalte das Licht in der Küche ein"))  # the slow lane loads
    assert (reply.tier, reply.language) == ("template", "de")
    fast = pipeline.ask(Request("Schalte das Licht in der Küche aus"), fast=True)
    assert atoms(fast) == {("light.turn_off", "light.kueche", ())}


def test_languages_on_demand_off_keeps_to_the_listed_languages() -> None:
    pipeline = german_home(languages_on_demand=False)
    reply = ask(pipeline, "Schalte das Licht in der Küche ein")
    assert reply.commands == () and reply.tier == "none"


def test_a_language_loaded_on_demand_does_not_have_the_last_word(
    template_pipeline: Pipeline,
) -> None:
    """French templates read "porte" as a door, and the example garage door is a garage cover:
    "There is no door in the Garage" would be wrong, so the request goes on to the next tier."""
    reply = ask(template_pipeline, "ferme la porte du garage")
    assert reply.tier == "none" and reply.commands == ()
    assert "no door" not in reply.reply


def test_project_templates_do_not_redefine_home_assistant_rules_or_lists() -> None:
    """Templates are merged over Home Assistant's: a rule named like one of theirs ("here")
    would silently change every sentence that uses it."""
    import yaml
    from home_assistant_intents import get_intents

    from hub.tiers.templates import PROJECT_INTENTS_DIR

    files = sorted(PROJECT_INTENTS_DIR.glob("*/*.yaml"))
    assert files
    for file in files:
        theirs = get_intents(file.parent.name) or {}
        ours = yaml.safe_load(file.read_text(encoding="utf-8"))
        for section in ("expansion_rules", "lists"):
            clash = set(ours.get(section) or {}) & set(theirs.get(section) or {})
            assert not clash, f"{file.name} redefines {section} {sorted(clash)}"


def test_a_changed_home_is_matched_at_once_and_only_warm_builds_its_matcher(
    registry: Registry,
) -> None:
    """After discovery changes the home, a request must not wait for the fast matcher (about a
    second for hundreds of devices): hassil answers it, and ``warm`` (on another thread in the
    daemon) builds the matcher, which knows the new names."""
    from hub.tiers.templates import TemplateTier

    tier = TemplateTier(["en"])
    tier.warm(registry)
    [english] = tier._langs
    assert english.matcher is not None
    changed = Registry(
        areas=registry.areas,
        floors=registry.floors,
        devices=[*registry.devices, Device("light.shed", "Shed Lamp", None)],
    )
    assert changed.version != registry.version
    result = tier.handle(Request("turn on the shed lamp"), changed)
    assert result is not None and [c.entity_ids for c in result.commands] == [("light.shed",)]
    assert english.matcher is None  # the old one knew the old names; none was built inline
    tier.warm(changed)
    assert english.matcher is not None
    again = tier.handle(Request("turn off the shed lamp"), changed)
    assert again is not None and [c.action for c in again.commands] == ["light.turn_off"]
