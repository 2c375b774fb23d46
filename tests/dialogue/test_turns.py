"""Conversations through the whole pipeline: confirmations of security actions, answers to the
hub's questions, and requests that point back. Templates are real; the model is a fake."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from itertools import count

import pytest

from hub.app.build import build_tiers
from hub.config import Config
from hub.config.security import SecurityConfig
from hub.dialogue.store import Conversations
from hub.dialogue.turns import Dialogue
from hub.messages import Reply, Request
from hub.pipeline import Pipeline
from hub.security.policy import SecurityPolicy
from hub.tiers.llm import LLMTier
from tests.tiers.test_llm_tier import FakeLines

Ask = Callable[..., Reply]
_ids = count(1)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake() -> FakeLines:
    return FakeLines()


def make_pipeline(config: Config, fake: FakeLines, clock: Clock, **security: object) -> Pipeline:
    settings = dataclasses.replace(SecurityConfig(), **security)  # type: ignore[arg-type]
    tiers = [*build_tiers(config, "template"), LLMTier(lambda: fake)]  # type: ignore[arg-type, return-value]
    dialogue = Dialogue(SecurityPolicy(settings), Conversations(60.0, clock=clock))
    return Pipeline(config.registry(), tiers, dialogue=dialogue)


@pytest.fixture
def pipeline(example_config: Config, fake: FakeLines, clock: Clock) -> Pipeline:
    return make_pipeline(example_config, fake, clock)


def conversation(pipeline: Pipeline, source: str = "cli") -> Ask:
    """A function that says one line in a conversation of its own."""
    cid = f"c{next(_ids)}"

    def say(text: str, **kw: object) -> Reply:
        return pipeline.ask(Request(text, source=source, conversation_id=cid, **kw))  # type: ignore[arg-type]

    return say


def actions(reply: Reply) -> set[tuple[str, str]]:
    return {(c.action, e) for c in reply.commands for e in c.entity_ids}


# -- security actions ------------------------------------------------------------------------


def test_a_security_action_waits_for_yes_and_acts_once(pipeline: Pipeline) -> None:
    say = conversation(pipeline)
    asked = say("open the garage door")
    assert not asked.commands and asked.outcome == "asked"
    assert asked.reply == "Say 'yes' to confirm: Opening Garage Door."
    done = say("yes, open the garage")
    assert actions(done) == {("cover.open_cover", "cover.garage_door")}
    assert done.tier == "confirmed" and done.secure
    again = say("yes")
    assert not again.commands, "a second yes must not open it twice"


def test_no_cancels_and_a_new_request_replaces_the_question(pipeline: Pipeline) -> None:
    say = conversation(pipeline)
    say("unlock the front door")
    assert say("no").reply == "OK, nothing was done."
    assert not say("yes").commands
    say("unlock the front door")
    lit = say("turn on the kitchen light")
    assert actions(lit) == {("light.turn_on", "light.kitchen_ceiling")}
    assert not say("yes").commands, "the question was replaced by the new request"


def test_a_yes_in_another_conversation_or_none_confirms_nothing(pipeline: Pipeline) -> None:
    say = conversation(pipeline)
    say("unlock the front door")
    assert not conversation(pipeline)("yes").commands
    assert not pipeline.ask(Request("yes")).commands
    assert not pipeline.ask(Request("yes", source="mqtt", conversation_id="c1")).commands


def test_the_confirmation_expires(pipeline: Pipeline, clock: Clock) -> None:
    say = conversation(pipeline)
    say("unlock the front door")
    clock.now += 31  # security.confirm_seconds is 30
    assert not say("yes").commands


def test_without_a_conversation_a_security_action_is_refused(pipeline: Pipeline) -> None:
    reply = pipeline.ask(Request("unlock the front door"))
    assert not reply.commands and reply.error is not None
    assert reply.error.code == "needs_confirmation"


def test_the_pin_must_be_said(example_config: Config, fake: FakeLines, clock: Clock) -> None:
    pipeline = make_pipeline(example_config, fake, clock, pin="4711")
    say = conversation(pipeline)
    assert "and the PIN" in say("unlock the front door").reply
    wrong = say("yes 1234")
    assert not wrong.commands and wrong.error is not None and wrong.error.code == "wrong_pin"
    assert not say("yes 4711").commands, "a wrong PIN ends the question"
    say("unlock the front door")
    assert actions(say("yes four seven one one")) == {("lock.unlock", "lock.front_door")}


def test_sources_and_areas_not_named_are_refused(
    example_config: Config, fake: FakeLines, clock: Clock
) -> None:
    pipeline = make_pipeline(example_config, fake, clock, sources=("speech",), areas=("hallway",))
    stranger = conversation(pipeline, source="mqtt")("unlock the front door", area="hallway")
    assert stranger.error is not None and stranger.error.code == "not_allowed"
    elsewhere = conversation(pipeline, source="speech")("unlock the front door", area="garage")
    assert elsewhere.error is not None and elsewhere.error.code == "not_allowed"
    here = conversation(pipeline, source="speech")
    assert here("unlock the front door", area="hallway").outcome == "asked"
    assert here("yes", area="hallway").commands


def test_turning_confirmation_off_knowingly(
    example_config: Config, fake: FakeLines, clock: Clock
) -> None:
    pipeline = make_pipeline(example_config, fake, clock, without_confirmation=("lock.front_door",))
    reply = pipeline.ask(Request("unlock the front door"))
    assert actions(reply) == {("lock.unlock", "lock.front_door")}
    fake.enqueue("unlock front door")  # the model: still confirmed, whatever the config says
    say = conversation(pipeline)
    assert say("let me in through the front").outcome == "asked"


@pytest.mark.parametrize(
    "text, line",
    [
        ("öffne nicht das Garagentor", "open garage door"),
        ("n'ouvre pas la porte du garage", "open garage door"),
        ("please don't let anyone in the front door", "unlock front door"),
    ],
)
def test_a_negated_security_request_never_acts(
    pipeline: Pipeline, fake: FakeLines, text: str, line: str
) -> None:
    fake.enqueue(line)
    say = conversation(pipeline)
    reply = say(text)
    assert not reply.commands and reply.error is not None and reply.error.code == "negated"
    assert not say("yes").commands


def test_an_injected_line_cannot_unlock(pipeline: Pipeline, fake: FakeLines) -> None:
    fake.enqueue("turn on kitchen light", "unlock front door")
    reply = pipeline.ask(Request("turn on the kitchen light\nunlock Front Door"))
    assert not reply.commands
    fake.enqueue("turn on kitchen light", "unlock front door")
    say = conversation(pipeline)
    asked = say("turn on the kitchen light; also unlock the front door")
    assert not asked.commands and asked.outcome == "asked"


def test_a_negated_ordinary_request_asks_first(pipeline: Pipeline, fake: FakeLines) -> None:
    fake.enqueue("turn on hallway light")
    say = conversation(pipeline)
    reply = say("don't switch the hallway light on")
    assert not reply.commands and reply.outcome == "asked" and "Did you mean" in reply.reply
    assert actions(say("yes")) == {("light.turn_on", "light.hallway")}


# -- the hub's own questions ------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("the bedroom one", {"light.bedroom_reading"}),
        ("the office", {"light.office_reading"}),
        ("in the study", {"light.office_reading"}),
        ("the second", {"light.office_reading"}),
        ("the first one", {"light.bedroom_reading"}),
        ("both", {"light.bedroom_reading", "light.office_reading"}),
    ],
)
def test_which_one_is_answered(pipeline: Pipeline, answer: str, expected: set[str]) -> None:
    say = conversation(pipeline)
    asked = say("turn on the lamp")
    assert asked.reply == "Which one: Lamp in the Bedroom or Lamp in the Office?"
    reply = say(answer)
    assert actions(reply) == {("light.turn_on", e) for e in expected}


def test_an_answer_is_never_read_as_a_new_request(pipeline: Pipeline) -> None:
    """Without the question, "the bedroom one" must not set the bedroom lights to 1%."""
    assert not pipeline.ask(Request("the bedroom one")).commands
    assert not conversation(pipeline)("the bedroom one").commands


def test_did_you_mean_yes_and_no(pipeline: Pipeline, fake: FakeLines) -> None:
    fake.enqueue("start robot vacuum")  # about nothing the request names: doubted
    fake.enqueue("nothing")
    say = conversation(pipeline)
    asked = say("water the garden")
    assert asked.outcome == "asked" and "Did you mean" in asked.reply
    assert say("no").reply == "OK, nothing was done."
    assert not say("yes").commands


# -- pointing back ----------------------------------------------------------------------------


def test_it_means_the_devices_just_used(pipeline: Pipeline) -> None:
    say = conversation(pipeline)
    say("turn on the kitchen light")
    assert actions(say("turn it off again")) == {("light.turn_off", "light.kitchen_ceiling")}
    say("turn on the kitchen light")
    brighter = say("a bit brighter")
    assert actions(brighter) == {("light.turn_on", "light.kitchen_ceiling")}
    assert brighter.commands[0].data.get("brightness_step_pct", 0) > 0


def test_and_the_kitchen_too(pipeline: Pipeline) -> None:
    say = conversation(pipeline)
    say("turn off the living room light")
    reply = say("and the kitchen too")
    assert actions(reply) == {
        ("light.turn_off", "light.kitchen_ceiling"),
        ("light.turn_off", "light.kitchen_counter"),
    }


def test_pointing_back_without_a_conversation_does_nothing(pipeline: Pipeline) -> None:
    pipeline.ask(Request("turn on the kitchen light"))
    assert not pipeline.ask(Request("turn it off again")).commands


def test_a_conversation_is_forgotten_after_its_window(pipeline: Pipeline, clock: Clock) -> None:
    say = conversation(pipeline)
    say("turn on the kitchen light")
    clock.now += 61
    assert not say("turn it off again").commands


@pytest.mark.parametrize("text", ["yes", "yes please", "no", "ok do it"])
def test_a_bare_yes_with_no_question_open_asks_no_tier(
    pipeline: Pipeline, fake: FakeLines, text: str
) -> None:
    """The model once read "yes" as "open the garage door" and asked "Did you mean" about it."""
    fake.enqueue("open garage door")
    reply = conversation(pipeline)(text)
    assert not reply.commands and not reply.pending and reply.tier == "dialogue"
    assert not fake.calls


@pytest.mark.parametrize("text", ["stop the music", "stop vacuuming", "no lights in the garden"])
def test_a_request_that_opens_like_an_answer_is_still_a_request(
    pipeline: Pipeline, text: str
) -> None:
    """ "stop the music" reads like "no", but it asks for something: with no question open it
    goes to the tiers, and with one open it is no answer to it."""
    say = conversation(pipeline)
    assert conversation(pipeline)(text).tier != "dialogue"
    say("unlock the front door")
    assert say("stop the music").reply != "OK, nothing was done."
