"""Reading follow-ups: yes and no in several languages, spoken PINs, choices."""

from __future__ import annotations

import pytest

from hub.dialogue.followup import (
    bare_answer,
    chosen,
    points_back,
    spoken_digits,
    with_target,
    yes_or_no,
)
from hub.registry import Registry

LAMPS = ("light.bedroom_reading", "light.office_reading")


@pytest.mark.parametrize(
    "text, said",
    [
        ("yes", "yes"),
        ("Yes, open the garage", "yes"),
        ("ok do it", "yes"),
        ("ja bitte", "yes"),
        ("oui", "yes"),
        ("sí", "yes"),
        ("네", "yes"),
        ("はい", "yes"),
        ("好的", "yes"),
        ("no", "no"),
        ("nope, cancel that", "no"),
        ("nein", "no"),
        ("never mind", "no"),
        ("不要", "no"),
        ("아니요", "no"),
        ("turn on the light", None),
        ("the bedroom one", None),
    ],
)
def test_yes_or_no(text: str, said: str | None) -> None:
    assert yes_or_no(text) == said


def test_spoken_digits() -> None:
    assert spoken_digits("yes 4711") == "4711"
    assert spoken_digits("yes four seven one one") == "4711"
    assert spoken_digits("yes, 47 11") == "4711"
    assert spoken_digits("yes") == ""


@pytest.mark.parametrize(
    "text, expected",
    [
        ("the bedroom one", LAMPS[:1]),
        ("the one in the office", LAMPS[1:]),
        ("upstairs", ()),  # both are upstairs: that tells nothing
        ("the lamp", ()),  # both are called Lamp
        ("second", LAMPS[1:]),
        ("2", LAMPS[1:]),
        ("the last one", LAMPS[1:]),
        ("both of them", LAMPS),
        ("beide", LAMPS),
        ("the kitchen", ()),
    ],
)
def test_chosen(registry: Registry, text: str, expected: tuple[str, ...]) -> None:
    assert chosen(text, LAMPS, registry) == expected


def test_points_back_and_with_target() -> None:
    assert points_back("turn it off again")
    assert points_back("and the kitchen too")
    assert points_back("a bit brighter")
    assert not points_back("turn on the kitchen light")
    assert with_target("turn it off again", "Desk Lamp")[0] == "turn Desk Lamp off"
    assert "make Desk Lamp a bit brighter" in with_target("a bit brighter", "Desk Lamp")


@pytest.mark.parametrize(
    "text, bare",
    [("yes", True), ("ok do it", True), ("no thanks", True), ("はい", True),
     ("stop the music", False), ("yes open the garage", False), ("turn on the light", False)],
)  # fmt: skip
def test_bare_answer(text: str, bare: bool) -> None:
    assert bare_answer(text) is bare
