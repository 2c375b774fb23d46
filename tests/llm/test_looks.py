"""A light's look named by a sight or mood becomes a colour hint (hub.llm.looks)."""

from __future__ import annotations

import pytest

from hub.llm.looks import look_colour
from hub.llm.prompt import user_message


@pytest.mark.parametrize(
    "text, colour",
    [
        ("make the reading lamp look like a sunset", "orange"),
        ("give the bedroom lights an ocean feel", "blue"),
        ("cozy candlelight in the living room lamp please", "warm white"),
        ("lights like a forest", "green"),
    ],
)
def test_a_look_becomes_its_colour(text: str, colour: str) -> None:
    assert look_colour(text) == colour


@pytest.mark.parametrize(
    "text",
    [
        "activate the sunset scene",  # not about a light's look: a scene may be called that
        "make the lamp blue like the sea",  # the colour is named already
        "turn on the garden lights",  # no look at all
        "close the blinds, the sun is in my face",
    ],
)
def test_no_hint_without_a_look_or_with_a_colour(text: str) -> None:
    assert look_colour(text) is None


def test_the_hint_is_a_line_of_its_own_after_the_request() -> None:
    message = user_message("make the reading lamp look like a sunset", "Living Room")
    assert message == "[in living room] make the reading lamp look like a sunset\n(colour: orange)"
