"""The LLM tier with a fake model: lines in, validated commands out, one retry, clean failures."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from hub.actions import LIGHT_STEP_PCT
from hub.errors import ModelError
from hub.llm.backend import NO_NUMBER, Prompt
from hub.llm.command_language import CommandLanguage
from hub.llm.lines import LineAnswer
from hub.messages import Command, Request
from hub.pipeline import Pipeline
from hub.registry import Area, Device, Registry, State
from hub.tiers.base import TierResult
from hub.tiers.llm import LLMTier, choose_candidates
from hub.tiers.templates import TemplateTier


@dataclass
class FakeLines:
    """Answers with queued lines and records every call (like llm's MockModel.enqueue)."""

    answers: list[list[str]] = field(default_factory=list)
    calls: list[tuple[Prompt, bool, frozenset[str]]] = field(default_factory=list)
    name: str = "fake"
    context: int = 0  # characters of fixed prompt that fit (0: it cannot tell)
    only: list[frozenset[str] | None] = field(default_factory=list)  # each call's ``only``
    within: list[frozenset[str] | None] = field(default_factory=list)  # and ``within``
    coverage: float = 1.0  # the share of its belief the model put on allowed tokens

    def enqueue(self, *lines: str) -> None:
        self.answers.append(list(lines))

    def answer(
        self,
        prompt: Prompt,
        language: CommandLanguage,
        key: str,
        *,
        local: bool = False,
        refused: frozenset[str] = frozenset(),
        only: frozenset[str] | None = None,
        within: frozenset[str] | None = None,
    ) -> LineAnswer:
        self.calls.append((prompt, local, refused))
        self.only.append(only)
        self.within.append(within)
        lines = self.answers.pop(0) if self.answers else ["nothing"]
        return LineAnswer(
            tuple(lines), confidence=0.9, coverage=self.coverage, raw="\n".join(lines)
        )

    def warm(self, prompt: Prompt, language: CommandLanguage, key: str) -> None:
        pass

    def fits(self, prompt: Prompt) -> bool:
        size = len(prompt.system) + sum(len(q) + len(a) for q, a in prompt.examples)
        return size <= self.context


def tier_with(fake: FakeLines, **kw: float) -> LLMTier:
    return LLMTier(lambda: fake, **kw)  # type: ignore[arg-type, return-value]


def test_lines_become_commands(registry: Registry) -> None:
    fake = FakeLines()
    fake.enqueue("turn off tv", "set bedroom radiator temperature to 21")
    result = tier_with(fake).handle(
        Request("switch off the telly and warm the bedroom to 21"), registry
    )
    assert result is not None
    assert [c.action for c in result.commands] == [
        "media_player.turn_off",
        "climate.set_temperature",
    ]
    prompt = fake.calls[0][0]
    assert prompt.user == "switch off the telly and warm the bedroom to 21"
    assert "bedroom radiator" in prompt.system


def test_the_request_area_is_given_to_the_model(registry: Registry) -> None:
    fake = FakeLines()
    tier_with(fake).handle(Request("lights on", area="kitchen"), registry)
    assert fake.calls[0][0].user == "[in kitchen] lights on"


def test_refused_line_is_excluded_and_asked_once_more(registry: Registry) -> None:
    fake = FakeLines()
    fake.enqueue("set bedroom radiator temperature to 40")  # max_temp is 28
    fake.enqueue("set bedroom radiator temperature to 25")
    result = tier_with(fake).handle(Request("bedroom to 40 degrees, or 25"), registry)
    assert result is not None
    assert [dict(c.data) for c in result.commands] == [{"temperature": 25}]
    assert fake.calls[1][2] == frozenset({"set bedroom radiator temperature to 40"})
    assert len(fake.calls) == 2


def test_at_most_one_retry_and_never_an_invalid_command(registry: Registry) -> None:
    fake = FakeLines()
    fake.enqueue("set bedroom radiator temperature to 40")
    fake.enqueue("set bedroom radiator temperature to 99", "turn on the moon")
    result = tier_with(fake).handle(Request("make the bedroom hot"), registry)
    assert result is not None and result.commands == ()
    assert len(fake.calls) == 2


def test_nothing_means_no_command(registry: Registry) -> None:
    fake = FakeLines()
    fake.enqueue("nothing")
    result = tier_with(fake).handle(Request("what's the capital of France"), registry)
    assert result is not None and result.commands == () and result.reply


def test_low_confidence_asks_instead_of_acting(registry: Registry) -> None:
    fake = FakeLines()
    fake.enqueue("turn off tv")
    result = tier_with(fake, min_confidence=0.95).handle(Request("tele aus"), registry)
    assert result is not None and result.commands == () and result.question
    assert "Did you mean" in result.reply and "TV" in result.reply


def test_low_coverage_asks_unless_the_request_pins_the_device(registry: Registry) -> None:
    """The model wanted to write something the home has no line for: a device it may not have,
    so the hub asks; unless the request leaves no other device ("the bedroom fan", and the
    bedroom has one), when only the words were the model's own."""
    fake = FakeLines(coverage=0.002)
    fake.enqueue("turn on ceiling fan")
    pinned = tier_with(fake, min_coverage=0.01).handle(Request("turn on the bedroom fan"), registry)
    assert pinned is not None and not pinned.question
    assert [c.entity_ids for c in pinned.commands] == [("fan.bedroom",)]
    fake.enqueue("turn on ceiling fan")
    loose = tier_with(fake, min_coverage=0.01).handle(Request("turn on the fan"), registry)
    assert loose is not None and loose.question and not loose.commands  # two fans: a guess
    assert "Did you mean" in loose.reply


def test_a_missing_model_is_an_error_reply_not_a_crash(registry: Registry) -> None:
    def broken() -> FakeLines:
        raise ModelError("no language model at /x; run `hub model install` to install it")

    result = LLMTier(broken).handle(Request("hello"), registry)  # type: ignore[arg-type]
    assert isinstance(result, TierResult)
    assert result.error is not None and result.error.code == "model"
    assert "hub model install" in result.reply


def test_templates_answer_first_and_the_model_only_on_a_miss(registry: Registry) -> None:
    fake = FakeLines()
    fake.enqueue("turn on coffee machine")
    pipeline = Pipeline(registry, [TemplateTier(["en"]), tier_with(fake)])
    reply = pipeline.ask(Request("lock the front door"))
    assert reply.tier == "template" and not fake.calls
    reply = pipeline.ask(Request("I need caffeine"))
    assert reply.tier == "llm" and reply.commands[0].action == "switch.turn_on"
    assert reply.reply == "Turning on Coffee Machine."


def test_large_homes_show_the_model_only_candidates() -> None:
    areas = [Area(f"room{i}", f"Room {i}") for i in range(60)]
    devices = [Device(f"light.room{i}", f"Room {i} Light", f"room{i}") for i in range(60)]
    devices += [Device("climate.hall", "Hall Thermostat", "room7", state=State("heat"))]
    registry = Registry(areas=areas, devices=devices)
    chosen = choose_candidates(registry, registry.devices, "turn off the lihgt in room 42", 5)
    assert chosen[0].entity_id == "light.room42"
    warm = choose_candidates(registry, registry.devices, "it's cold, raise the temperature", 5)
    assert warm[0].entity_id == "climate.hall"
    fake = FakeLines()
    tier_with(fake, max_candidates=10).handle(Request("turn off the light in room 42"), registry)
    system = fake.calls[0][0].system
    assert "room 42 light" in system and system.count("- room") == 10


def large_home(rooms: int = 60) -> Registry:
    areas = [Area(f"room{i}", f"Room {i}") for i in range(rooms)]
    # listed out of order, as discovery may learn them
    devices = [
        Device(f"light.room{i}", f"Room {i} Light", f"room{i}") for i in reversed(range(rooms))
    ]
    devices += [Device("fan.room3", "Ceiling Fan", "room3"), Device("switch.pump", "Pump", None)]
    return Registry(areas=areas, devices=devices)


def test_a_large_home_that_fits_the_context_is_shown_whole_in_one_stable_prompt() -> None:
    registry = large_home()
    fake = FakeLines(context=100_000)
    tier = tier_with(fake, max_candidates=10)
    tier.handle(Request("turn off the light in room 42"), registry)
    tier.handle(Request("switch on the pump"), registry)
    first, second = fake.calls[0][0], fake.calls[1][0]
    assert first.system == second.system and first.examples == second.examples
    listed = [line.split(":")[0][2:] for line in first.system.splitlines() if line.startswith("- ")]
    assert len(listed) == 62
    # by area in the home's order, devices of one area by name, devices of no area last
    assert listed[:5] == [
        "room 0 light",
        "room 1 light",
        "room 2 light",
        "ceiling fan",
        "room 3 light",
    ]
    assert listed[-1] == "pump"
    # the same devices learnt in another order give the same prompt
    shuffled = Registry(
        areas=registry.areas, devices=sorted(registry.devices, key=lambda d: d.name)
    )
    tier_with(again := FakeLines(context=100_000), max_candidates=10).handle(
        Request("turn off the light in room 42"), shuffled
    )
    assert again.calls[0][0].system == first.system


def test_a_large_home_that_does_not_fit_falls_back_to_candidates() -> None:
    fake = FakeLines(context=1_000)
    tier_with(fake, max_candidates=10).handle(
        Request("turn off the light in room 42"), large_home()
    )
    system = fake.calls[0][0].system
    assert "room 42 light" in system and system.count("- ") == 10


@pytest.mark.parametrize("text", ["", "x"])
def test_prompt_prefix_is_identical_between_requests(registry: Registry, text: str) -> None:
    fake = FakeLines()
    tier = tier_with(fake)
    tier.handle(Request("first request"), registry)
    tier.handle(Request(text or "second"), registry)
    a, b = fake.calls[0][0], fake.calls[1][0]
    assert a.system == b.system and a.examples == b.examples


def test_a_request_naming_a_room_cannot_mean_the_whole_home(registry: Registry) -> None:
    fake = FakeLines()
    tier = tier_with(fake)
    tier.handle(Request("switch off all the lights in the kitchen"), registry)
    tier.handle(Request("switch off all the lights in here", area="office"), registry)
    tier.handle(Request("switch off all the lights"), registry)
    assert [local for _, local, _ in fake.calls] == [True, True, False]


def test_a_line_about_nothing_the_request_names_is_asked_about_not_done(
    registry: Registry,
) -> None:
    fake = FakeLines()
    fake.enqueue("start robot vacuum")  # the garden is named; the vacuum lives indoors
    fake.enqueue("start robot vacuum")
    result = tier_with(fake).handle(Request("water the garden"), registry)
    assert result is not None and result.commands == () and result.question
    assert "Robot Vacuum" in result.reply
    assert frozenset({"start robot vacuum"}) <= fake.calls[1][2]  # asked again without it


def test_asked_again_the_model_may_find_the_named_device(registry: Registry) -> None:
    fake = FakeLines()
    fake.enqueue("start robot vacuum")
    fake.enqueue("turn on sprinkler")
    result = tier_with(fake).handle(Request("water the garden"), registry)
    assert result is not None and not result.question
    assert [(c.action, c.entity_ids) for c in result.commands] == [
        ("switch.turn_on", ("switch.garden_sprinkler",))
    ]


def test_a_line_beside_one_about_a_named_place_is_kept(registry: Registry) -> None:
    """ "The telly" is no name the home knows; the answer is still about the named bedroom."""
    fake = FakeLines()
    fake.enqueue("turn off tv", "set bedroom radiator temperature to 21")
    result = tier_with(fake).handle(Request("telly off and warm the bedroom to 21"), registry)
    assert result is not None and len(result.commands) == 2 and len(fake.calls) == 1


def test_a_level_the_request_never_says_is_asked_about_not_set(registry: Registry) -> None:
    """ "Turn the telly down" says no number: "set tv volume to 30" is the model's invention."""
    fake = FakeLines()
    fake.enqueue("set tv volume to 30")
    fake.enqueue("turn down tv volume")
    result = tier_with(fake).handle(Request("baja el volumen de la tele"), registry)
    assert result is not None and not result.question
    assert [c.action for c in result.commands] == ["media_player.volume_down"]
    # asked again without that setting's levels, nor any level at all: no number was said
    assert frozenset({"set tv volume to *", NO_NUMBER}) <= fake.calls[1][2]

    fake.enqueue("set tv volume to 30")
    fake.enqueue("set tv volume to 35")
    unsure = tier_with(fake).handle(Request("turn the telly down"), registry)
    assert unsure is not None and unsure.question and unsure.commands == ()
    assert "Did you mean" in unsure.reply

    fake.enqueue("set tv volume to 30")
    said = tier_with(fake).handle(Request("tv volume to thirty please"), registry)
    assert said is not None and [c.data for c in said.commands] == [{"volume_level": 0.3}]


def test_the_next_song_is_never_the_previous_track(registry: Registry) -> None:
    """A word of the request that speaks against the line's action ("next" against the
    previous track) makes the line doubtful: asked again, and never acted on as it was, nor
    in other words ("previous song on the tv" means the same)."""
    fake = FakeLines()
    fake.enqueue("previous track on tv")
    fake.enqueue("play the next song on tv")
    result = tier_with(fake).handle(Request("play the next song on the tv"), registry)
    assert result is not None
    assert [c.action for c in result.commands] == ["media_player.media_next_track"]
    assert "previous track on tv" in fake.calls[1][2]  # refused on the retry
    assert "previous song on the tv" in fake.calls[1][2]  # in every wording

    fake = FakeLines()
    fake.enqueue("next track on tv")
    fake.enqueue("next track on tv")
    doubted = tier_with(fake).handle(Request("skip back a song on the tv"), registry)
    assert doubted is not None and not doubted.commands and doubted.question


def test_an_answer_of_the_wrong_kind_is_asked_again_about_that_kind_only(
    registry: Registry,
) -> None:
    fake = FakeLines()
    fake.enqueue("turn on kitchen light")  # "the heating" answered with a light
    fake.enqueue("turn on thermostat")  # the example's thermostat is also called "heating"
    result = tier_with(fake).handle(Request("turn on the heating"), registry)
    assert result is not None
    assert [c.entity_ids for c in result.commands] == [("climate.living_room",)]
    assert fake.only[0] is None
    assert fake.only[1] is not None and "climate.living_room" in fake.only[1]
    assert "light.kitchen_ceiling" not in fake.only[1]


def test_the_language_says_steps_and_switching_water_the_ways_people_do(
    registry: Registry,
) -> None:
    from hub.llm.command_language import build_language

    language = build_language(registry)
    up = language.parse("increase reading lamp brightness")
    down = language.parse("make reading lamp dimmer")
    assert up is not None and up[0].data == {"brightness_step_pct": LIGHT_STEP_PCT}
    assert down is not None and down[0].data == {"brightness_step_pct": -LIGHT_STEP_PCT}
    nxt, prev = language.parse("play the next song on tv"), language.parse("skip back on tv")
    assert nxt is not None and nxt[0].action == "media_player.media_next_track"
    assert prev is not None and prev[0].action == "media_player.media_previous_track"
    water = language.parse("turn on garden tap")
    assert water is not None and water[0].action == "valve.open_valve"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("can you open up the garage for me", "turn on hallway light"),
        ("water the garden please", "turn on garden lights"),
        ("send the robot back to its base", "start robot vacuum"),
        ("continue playing on the tv", "next track on tv"),
    ],
)
def test_an_action_the_request_speaks_against_is_never_acted_on(
    registry: Registry, text: str, line: str
) -> None:
    fake = FakeLines()
    fake.enqueue(line)
    fake.enqueue(line)
    result = tier_with(fake).handle(Request(text), registry)
    assert result is not None and not result.commands, result.reply


def test_a_word_of_the_devices_own_name_is_no_contradiction() -> None:
    from hub.tiers.said import contradicts

    registry = Registry(
        devices=[
            Device("light.water_feature", "Water Feature Light", None),
            Device("light.garden", "Garden Light", None),
        ]
    )
    feature = [Command("light.turn_on", ("light.water_feature",))]
    assert not contradicts(feature, "turn on the water feature light", registry)
    assert contradicts([Command("light.turn_on", ("light.garden",))], "water the plants", registry)


def test_a_line_about_more_than_the_named_device_is_doubted() -> None:
    """ "set the tv volume to 10" answered with the whole living room's volume would change
    the speaker too: asked again, and never acted on as it was."""
    registry = Registry(
        areas=[Area("living", "Living Room")],
        devices=[
            Device("media_player.tv", "TV", "living"),
            Device("media_player.speaker", "Speaker", "living"),
        ],
    )
    fake = FakeLines()
    fake.enqueue("set living room volume to 10")
    fake.enqueue("set tv volume to 10")
    result = tier_with(fake).handle(Request("set the tv volume to 10"), registry)
    assert result is not None
    assert [c.entity_ids for c in result.commands] == [("media_player.tv",)]
    assert "set living room volume to *" in fake.calls[1][2]
    fake = FakeLines()
    fake.enqueue("set living room volume to 10")
    whole = tier_with(fake).handle(Request("set the living room volume to 10"), registry)
    assert whole is not None and len(whole.commands[0].entity_ids) == 2  # the room was named
    smart = Registry(
        areas=registry.areas,
        devices=[
            Device("media_player.tv", "Smart TV", "living"),
            Device("media_player.speaker", "Speaker", "living"),
        ],
    )
    fake = FakeLines()  # "the tv" calls the Smart TV by a word of its name, not the speaker
    fake.enqueue("set living room volume to 10")
    fake.enqueue("set living room volume to 10")
    kind = tier_with(fake).handle(Request("set the tv volume to 10"), smart)
    assert kind is not None and not kind.commands


def test_a_level_with_a_number_said_refuses_only_that_setting(registry: Registry) -> None:
    """ "set the tv to 30" said a number: the retry may still write a level."""
    fake = FakeLines()
    fake.enqueue("set tv volume to 40")
    fake.enqueue("set tv volume to 30")
    tier_with(fake).handle(Request("set the tv volume to 30 please"), registry)
    assert frozenset({"set tv volume to *"}) <= fake.calls[1][2]


def test_a_retry_after_an_invented_level_stays_with_the_kind_the_request_speaks_of(
    registry: Registry,
) -> None:
    """ "make it louder" answered with a level is asked again about the media players only, so
    the retry cannot turn to a lamp's colour."""
    fake = FakeLines()
    fake.enqueue("set tv volume to 30")
    fake.enqueue("make tv louder")
    result = tier_with(fake).handle(Request("make it louder"), registry)
    assert result is not None
    assert fake.only[1] is not None and "media_player.living_room_tv" in fake.only[1]
    assert not any(e.startswith("light.") for e in fake.only[1])


def test_a_mode_the_request_never_says_is_asked_again_without_any_mode(
    registry: Registry,
) -> None:
    fake = FakeLines()
    fake.enqueue("set thermostat mode to auto")
    fake.enqueue("turn on thermostat")
    result = tier_with(fake).handle(Request("thermostat on"), registry)
    assert result is not None and [c.action for c in result.commands] == ["climate.turn_on"]
    assert "set thermostat mode to *" in fake.calls[1][2]


def test_the_curtains_of_a_room_are_all_of_them() -> None:
    """ "de gordijnen" in the living room answered with one of its two curtains takes in the
    other, as Home Assistant reads a kind in a place; "het gordijn" (one) is asked about."""
    from tests.tiers.test_grounding import DUTCH_LIVING_ROOM

    fake = FakeLines()
    fake.enqueue("close gordijn links")
    result = tier_with(fake).handle(
        Request("close the curtains here", area="woonkamer"), DUTCH_LIVING_ROOM
    )
    assert result is not None and not result.question
    assert sorted(e for c in result.commands for e in c.entity_ids) == [
        "cover.gordijn_links",
        "cover.gordijn_rechts",
    ]
    assert {c.action for c in result.commands} == {"cover.close_cover"}
    fake.enqueue("close gordijn links")
    fake.enqueue("close gordijn links")
    one = tier_with(fake).handle(
        Request("close the curtain here", area="woonkamer"), DUTCH_LIVING_ROOM
    )
    assert one is not None and one.question and not one.commands


def test_one_request_about_one_place_drops_the_line_about_elsewhere(registry: Registry) -> None:
    """ "close the blinds in the living room" answered with them and the garage door: the
    garage is not the living room (a request of two parts may speak of two places)."""
    fake = FakeLines()
    fake.enqueue("close living room blinds", "close garage door")
    fake.enqueue("close living room blinds")  # asked again without the garage door
    result = tier_with(fake).handle(Request("close the blinds in the living room"), registry)
    assert result is not None
    assert [c.entity_ids for c in result.commands] == [("cover.living_room_blinds",)]
    assert frozenset({"close garage door"}) <= fake.calls[1][2]


def test_a_step_answered_with_nothing_is_asked_again_for_a_step(registry: Registry) -> None:
    """ "I can barely hear the television" answered with nothing: asked again, the model may
    write only the lines that turn a level up a step, and the one it writes is acted on."""
    fake = FakeLines()
    fake.enqueue("nothing")
    fake.enqueue("make tv louder")
    result = tier_with(fake).handle(Request("I can barely hear the television"), registry)
    assert result is not None and not result.question
    assert [c.action for c in result.commands] == ["media_player.volume_up"]
    within = fake.within[1]
    assert within is not None and "make tv louder" in within
    assert "make tv quieter" not in within and "turn on tv" not in within


def test_a_step_answered_with_a_level_is_asked_again_for_a_step_of_that_device(
    registry: Registry,
) -> None:
    """ "the desk lamp a little dimmer" answered with a level: the retry may write only the
    steps down of the device it names."""
    fake = FakeLines()
    fake.enqueue("set desk lamp brightness to 20")
    fake.enqueue("dim desk lamp")
    result = tier_with(fake).handle(Request("can I have the desk lamp a little dimmer"), registry)
    assert result is not None and not result.question
    assert [dict(c.data) for c in result.commands] == [{"brightness_step_pct": -20}]
    within = fake.within[1]
    assert within is not None and "dim desk lamp" in within
    assert not any(word in line for line in within for word in ("tv", "bedside", "brighten"))


def test_no_step_for_a_kind_without_one(registry: Registry) -> None:
    """ "turn the heating down" has no step line (a thermostat is set to a level), so the
    retry is not held to the steps of lights and speakers."""
    fake = FakeLines()
    fake.enqueue("set bedroom radiator temperature to 18")
    tier_with(fake).handle(Request("turn the heating down"), registry)
    assert fake.within == [None, None]


def test_an_action_the_request_speaks_against_is_refused_on_every_device(
    registry: Registry,
) -> None:
    """ "the previous song" answered with the next track: asked again, no device's next track
    may be written, not only that speaker's."""
    fake = FakeLines()
    fake.enqueue("next track on kitchen speaker")
    fake.enqueue("previous track on kitchen speaker")
    result = tier_with(fake).handle(Request("previous song on the kitchen speaker"), registry)
    assert result is not None
    assert [c.action for c in result.commands] == ["media_player.media_previous_track"]
    refused = fake.calls[1][2]
    assert {"next track on kitchen speaker", "skip track on tv", "next track on tv"} <= refused
    assert not any("previous" in line for line in refused)
