"""A reply's outcome decides Handled or NotHandled (the table in hub/wyoming/replies.py)."""

from __future__ import annotations

import pytest
from wyoming.handle import Handled, NotHandled

from hub.messages import Command, ErrorInfo, Reply
from hub.pipeline import Pipeline
from hub.wyoming.replies import to_event

ON = Command("light.turn_on", ("light.kitchen_ceiling",))


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (Reply("x", (ON,), "Turning on Kitchen Light.", outcome="acted"), Handled),
        (Reply("x", reply="It is 21 degrees.", outcome="answered"), Handled),
        (Reply("x", reply="Which one: A or B?", outcome="asked"), Handled),
        (Reply("x", reply="I can't do that: no such thing.", outcome="refused"), NotHandled),
        (
            Reply("x", reply="Sorry, I didn't understand that.", outcome="not_understood"),
            NotHandled,
        ),
        (Reply("x", reply="The request is empty.", outcome="error"), NotHandled),
    ],
)
def test_each_outcome(reply: Reply, kind: type) -> None:
    event = to_event(reply, "conv-1")
    assert type(event) is kind
    assert event.text == reply.reply
    assert event.context == {"conversation_id": "conv-1"}


def test_an_error_wins_over_the_outcome() -> None:
    """The daemon turns an acted reply into an error when the broker is away: not handled."""
    message = "The MQTT broker is unreachable, so nothing was done."
    reply = Reply(
        "x", reply=message, outcome="acted", error=ErrorInfo("broker_unavailable", message)
    )
    event = to_event(reply)
    assert isinstance(event, NotHandled)
    assert event.text == message
    assert event.context is None


def test_an_error_without_reply_text_says_its_message() -> None:
    reply = Reply("x", error=ErrorInfo("busy", "The hub is busy; nothing was done."))
    assert to_event(reply).text == "The hub is busy; nothing was done."


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("turn on the kitchen light", Handled),
        ("turn on the lamp", Handled),  # two lamps: the hub asks which one
        ("is the front door locked", Handled),  # answered from the home's state
        ("blorp the zibble", NotHandled),
        ("set the thermostat to 99 degrees", NotHandled),  # refused: out of range
        ("unlock the front door", NotHandled),  # refused: a security action
        ("", NotHandled),
    ],
)
def test_real_replies(template_pipeline: Pipeline, text: str, kind: type) -> None:
    from hub.messages import Request

    reply = template_pipeline.ask(Request(text, source="wyoming"))
    assert type(to_event(reply)) is kind, reply
