"""A template answer never ends a request wrongly: "no such device" lets the model try, and a
choice that cannot do the action is no choice."""

from __future__ import annotations

from hub.app.build import build_tiers
from hub.config import parse_config
from hub.messages import Request
from hub.pipeline import Pipeline
from hub.tiers.llm import LLMTier
from tests.tiers.test_llm_tier import FakeLines

HOME = """
areas: [{id: hall, name: Hall}, {id: garage, name: Garage}]
devices:
  - {id: lock.back_door, name: Back Door, area: hall}
  - {id: binary_sensor.back_door, name: Back Door, area: hall}
  - {id: cover.main_opener, name: Main Opener, area: garage}
  - {id: light.hall, name: Hall Light, area: hall}
llm: {backend: "off"}
"""


def pipeline(fake: FakeLines | None = None) -> Pipeline:
    config = parse_config(HOME)
    tiers = list(build_tiers(config, "template"))
    if fake is not None:
        tiers.append(LLMTier(lambda: fake))  # type: ignore[arg-type, return-value]
    return Pipeline(config.registry(), tiers)


def test_a_sensor_is_no_choice_for_locking() -> None:
    reply = pipeline().ask(Request("lock the back door"))
    assert [(c.action, c.entity_ids) for c in reply.commands] == [
        ("lock.lock", ("lock.back_door",))
    ]


def test_no_such_device_lets_the_model_answer() -> None:
    fake = FakeLines()
    fake.enqueue("close main opener")
    reply = pipeline(fake).ask(Request("close the garage door"))
    assert reply.tier == "llm"
    assert [(c.action, c.entity_ids) for c in reply.commands] == [
        ("cover.close_cover", ("cover.main_opener",))
    ]


def test_no_such_device_stands_when_nothing_else_answers() -> None:
    fake = FakeLines()
    fake.enqueue("nothing")
    reply = pipeline(fake).ask(Request("close the garage door"))
    assert not reply.commands and reply.tier == "template"
    assert reply.reply == "There is no door in the Garage."


BARN = """
areas: [{id: barn, name: Barn}]
devices:
  - {id: cover.barn_door, name: Barn Door, area: barn, device_class: shutter}
  - {id: light.barn_door, name: Barn Door, area: barn}
llm: {backend: "off"}
"""


def test_a_light_is_no_choice_for_opening() -> None:
    """A light and a cover both called Barn Door: "open" and "close" mean the cover (the light
    stays a choice for "turn on")."""
    config = parse_config(BARN)
    barn = Pipeline(config.registry(), list(build_tiers(config, "template")))
    for text, action in (("open the barn door", "cover.open_cover"),
                         ("please close the barn door", "cover.close_cover")):  # fmt: skip
        reply = barn.ask(Request(text))
        assert [(c.action, c.entity_ids) for c in reply.commands] == [
            (action, ("cover.barn_door",))
        ], reply.reply
    asked = barn.ask(Request("turn on the barn door"))
    assert not asked.commands and asked.reply.startswith("Which one")
