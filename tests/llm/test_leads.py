"""The words a line likely starts with, read from the request (hub.llm.leads)."""

from __future__ import annotations

import pytest

from hub.llm.leads import lead


@pytest.mark.parametrize(
    "request_text, expected",
    [
        # a level or a colour said: a "set" line
        ("change the brightness of bedroom lamp to 50 percent", "set"),
        ("bedroom lamp 50%", "set"),
        ("turn the volume down to 90 percent on the TV", "set"),
        ("bedroom lamp maximum brightness", "set"),
        ("bedroom red", "set"),
        ("make the lamp warm white", "set"),
        # switched off or on, however it is said
        ("deactivate the living room fans", "turn off"),
        ("kitchen lights out", "turn off"),
        ("switch off the lights in the kitchen", "turn off"),
        ("ceiling fan on", "turn on"),
        ("i want the lights on in the living room", "turn on"),
        ("switch on the lights in every room", "turn on"),
        ("light up our living room", "turn on"),
        ("illuminate our entire home", "turn on"),
        # tracks
        ("skip song on the TV", "next"),
        ("go back to the previous song on the TV", "previous"),
        # verbs the lines keep, wherever the request says them
        ("TV pause", "pause"),
        ("open living room curtains to 50%", "open"),
        ("put apples on the shopping list", "add"),
        ("activate the party mode", "activate"),
        ("lock the front door", "lock"),
        # another language, with its English gloss (hub.llm.prompt.user_message)
        ("mach das licht aus\n(in English: switch off the light)", "turn off"),
    ],
)
def test_the_lead_of_a_request(request_text: str, expected: str) -> None:
    assert lead(request_text) == expected


@pytest.mark.parametrize(
    "request_text",
    [
        "what's the weather like tomorrow?",
        "skip back on the TV",  # "back": not the next track; the request's own words lead
        "TV play the previous song",  # "play previous song on tv" as often as "previous ..."
        "play the music on the porch",
        "go back on the porch speaker",
    ],
)
def test_no_lead_where_the_request_does_not_tell(request_text: str) -> None:
    assert lead(request_text) is None
