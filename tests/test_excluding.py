"""Exceptions in a request: what is asked of the tiers, and which devices are left out."""

from __future__ import annotations

import pytest

from hub.excluding import leave_out, split_exclusion
from hub.messages import Command
from hub.pipeline import Pipeline, make_request
from hub.registry import Registry


@pytest.mark.parametrize(
    ("text", "main", "left_out"),
    [
        (
            "kill the lights downstairs except the hall",
            "kill the lights downstairs",
            {"light.hallway"},
        ),
        ("turn off all the lights, but not the hallway light.", "turn off all the lights", None),
        ("turn everything off apart from the bedroom and the office", "turn everything off", None),
        ("turn off all lights other than upstairs", "turn off all lights", None),
    ],
)
def test_an_exception_of_known_names_is_split_off(
    registry: Registry, text: str, main: str, left_out: set[str] | None
) -> None:
    found = split_exclusion(text, registry)
    assert found is not None
    assert found.text == main
    if left_out is not None:
        assert left_out <= found.entity_ids
    assert all(registry.device(e) is not None for e in found.entity_ids)


def test_what_an_exception_leaves_out(registry: Registry) -> None:
    upstairs = split_exclusion("turn off all lights except upstairs", registry)
    assert upstairs is not None
    assert upstairs.entity_ids == {d.entity_id for d in registry.on_floor("upstairs")}
    both = split_exclusion("lights off except the bedroom and the office", registry)
    assert both is not None
    assert both.entity_ids == {
        d.entity_id for a in ("bedroom", "office") for d in registry.in_area(a)
    }
    tv = split_exclusion("switch off the living room but the TV", registry)
    assert tv is not None and tv.entity_ids == {"media_player.living_room_tv"}


@pytest.mark.parametrize(
    "text",
    [
        "turn on the lights but dim the kitchen",  # a second request, not an exception
        "what day is bin day except on holidays",
        "turn off the lights except",
        "except the kitchen",
        "turn on the lights in the kitchen",
    ],
)
def test_anything_else_is_left_alone(registry: Registry, text: str) -> None:
    assert split_exclusion(text, registry) is None


def test_leave_out_drops_targets_and_empty_commands() -> None:
    commands = (
        Command("light.turn_off", ("light.a", "light.b")),
        Command("light.turn_off", ("light.c",)),
    )
    assert leave_out(commands, frozenset({"light.b", "light.c"})) == (
        Command("light.turn_off", ("light.a",)),
    )


def test_the_pipeline_asks_without_the_exception_and_leaves_its_devices_out(
    template_pipeline: Pipeline,
) -> None:
    reply = template_pipeline.ask(
        make_request(template_pipeline.registry, "turn off the lights downstairs except the hall")
    )
    assert reply.text == "turn off the lights downstairs except the hall"
    targets = {e for c in reply.commands for e in c.entity_ids}
    downstairs = {
        d.entity_id for d in template_pipeline.registry.on_floor("ground") if d.domain == "light"
    }
    assert targets == downstairs - {"light.hallway"} and targets
    nothing = template_pipeline.ask(
        make_request(template_pipeline.registry, "turn off the hallway light except the hall")
    )
    assert nothing.commands == ()
    assert nothing.reply == "Nothing is left once the hall is left out."
