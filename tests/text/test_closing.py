"""Requests that only close a conversation (hub.text.closing)."""

from __future__ import annotations

import pytest

from hub.messages import Request
from hub.pipeline import CLOSING_REPLY, Pipeline
from hub.text.closing import is_closing


@pytest.mark.parametrize(
    "text",
    ["thanks", "Thanks, that's all", "thank you very much", "Danke, das war's", "merci beaucoup",
     "gracias, eso es todo", "dank je wel", "谢谢"],
)  # fmt: skip
def test_thanks_and_ends_ask_for_nothing(text: str) -> None:
    assert is_closing(text)


@pytest.mark.parametrize(
    "text", ["thanks, turn off the light", "all lights off thanks", "ok", "that's all", ""]
)
def test_a_request_beside_the_thanks_is_a_request(text: str) -> None:
    assert not is_closing(text)


def test_the_pipeline_acts_on_no_thanks(template_pipeline: Pipeline) -> None:
    """ "Danke, das war's" once made the model turn a lamp off: no tier is asked now."""
    reply = template_pipeline.ask(Request("Danke, das war's"))
    assert reply.commands == () and reply.reply == CLOSING_REPLY and reply.outcome == "answered"
    asked = template_pipeline.ask(Request("thanks, turn off the kitchen light"))
    assert asked.reply != CLOSING_REPLY  # a request beside the thanks goes to the tiers
