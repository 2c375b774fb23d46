"""Verification: what state confirms a command, and the life of a check."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from hub.messages import Command
from hub.registry import State
from hub.verify import Check, Verifier, expectation


def state(value: str | None, **attrs: object) -> State:
    return State(value, MappingProxyType(dict(attrs)))


@pytest.mark.parametrize(
    ("action", "data", "before", "good", "bad"),
    [
        ("light.turn_on", {}, state("off"), state("on"), state("off")),
        (
            "light.turn_on",
            {"brightness_pct": 50},
            state("off"),
            state("on", brightness=128),
            state("on", brightness=255),
        ),
        ("light.turn_on", {"brightness_pct": 0}, state("on"), state("off"), state("on")),
        ("light.toggle", {}, state("on"), state("off"), state("on")),
        ("switch.turn_off", {}, state("on"), state("off"), state("on")),
        (
            "cover.set_cover_position",
            {"position": 40},
            state("closed"),
            state("open", current_position=40),
            state("open", current_position=100),
        ),
        ("cover.close_cover", {}, state("open"), state("closed"), state("closing")),
        ("lock.lock", {}, state("unlocked"), state("locked"), state("locking")),
        (
            "climate.set_temperature",
            {"temperature": 21.5},
            state("heat"),
            state("heat", temperature=21.5),
            state("heat", temperature=20),
        ),
        ("climate.set_hvac_mode", {"hvac_mode": "off"}, state("heat"), state("off"), state("heat")),
        (
            "fan.set_percentage",
            {"percentage": 66},
            state("off"),
            state("on", percentage=66),
            state("off"),
        ),
        ("valve.open_valve", {}, state("closed"), state("open"), state("closed")),
    ],
)
def test_the_state_that_confirms_each_action(
    action: str, data: dict, before: State, good: State, bad: State
) -> None:
    predicate = expectation(Command(action, ("x.y",), MappingProxyType(data)), before)
    assert predicate is not None
    assert predicate(good) and not predicate(bad)


def test_actions_without_a_visible_effect_have_no_expectation() -> None:
    assert expectation(Command("cover.stop_cover", ("cover.x",)), state("open")) is None
    assert (
        expectation(Command("media_player.media_pause", ("media_player.x",)), state("playing"))
        is None
    )


def test_a_ticket_is_confirmed_unconfirmed_failed_or_published() -> None:
    verifier = Verifier(timeout=2.0)
    on = expectation(Command("light.turn_on", ("light.a",)), state("off"))
    ticket = verifier.start(
        [
            Check("light.a", "light.turn_on", on),
            Check("light.b", "light.turn_on", on),
            Check("light.c", "light.turn_on", on),
            Check("scene.x", "scene.turn_on", None),
        ],
        "ctx",
        now=100.0,
    )
    assert [c.status for c in ticket.checks] == ["", "", "", "published"]
    assert verifier.next_deadline() == 102.0
    assert verifier.observe("light.a", state("off")) == []  # not (yet) the expected state
    assert verifier.observe("light.a", state("on")) == []
    assert verifier.observe("light.b", state("unavailable")) == []
    assert verifier.expire(now=101.0) == []
    assert verifier.expire(now=102.0) == [ticket]
    assert [c.status for c in ticket.checks] == ["confirmed", "failed", "unconfirmed", "published"]
    assert verifier.open == [] and ticket.context == "ctx"


def test_a_ticket_with_nothing_to_check_is_done_at_once() -> None:
    verifier = Verifier(timeout=2.0)
    ticket = verifier.start([Check("scene.x", "scene.turn_on", None)])
    assert ticket.done and verifier.open == []
