"""The request's own words against the line's actions and values (hub.tiers.said)."""

from __future__ import annotations

import pytest

from hub.llm.glossary import gloss
from hub.messages import Command
from hub.registry import Area, Device, Registry
from hub.tiers.said import (
    at_lowest,
    contradicts,
    ignores,
    invents,
    misreads,
    misses_extreme,
    said_values,
    step_direction,
    unsaid_choice,
)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("dim the kitchen to 30%", {30}),
        ("set the heat to 21.5 degrees", {21.5}),
        ("twenty-five percent, or forty two", {25, 42}),
        ("put the blinds at a quarter", {25}),
        ("open them halfway", {50}),
        ("three quarters open", {75}),
        ("ninety-nine or Ninety nine", {99}),
        ("one two three four", {1, 2, 3, 4}),  # a word after a small number is its own
        ("half one", {50, 1}),  # only tens take a unit after them
        ("turn the telly down", set()),
        ("bedroom lamp to maximum brightness", None),  # an extreme: any value may be meant
        ("set the brightness to the lowest", None),
    ],
)
def test_the_numbers_a_request_says(text: str, values: set[float] | None) -> None:
    said = said_values(text)
    assert (None if said is None else set(said)) == values


def test_a_level_the_request_does_not_say_is_invented() -> None:
    volume = [Command("media_player.volume_set", ("media_player.tv",), {"volume_level": 0.3})]
    assert invents(volume, frozenset())
    assert not invents(volume, frozenset({30.0}))
    assert not invents(volume, None)
    step = [Command("light.turn_on", ("light.a",), {"brightness_step_pct": -20})]
    assert not invents(step, frozenset())  # a step is no level
    assert not invents([Command("light.turn_on", ("light.a",))], frozenset())


def test_unbolting_is_never_locking(registry: Registry) -> None:
    lock = [Command("lock.lock", ("lock.back_door",))]
    unlock = [Command("lock.unlock", ("lock.back_door",))]
    assert contradicts(lock, "unbolt the kitchen door", registry)
    assert not contradicts(unlock, "unbolt the kitchen door", registry)
    assert contradicts(unlock, "bolt the back door", registry)


def test_louder_is_never_switching_on(registry: Registry) -> None:
    on = [Command("media_player.turn_on", ("media_player.kitchen_speaker",))]
    assert contradicts(on, "make the kitchen speaker louder", registry)
    assert contradicts(on, "Dreh das Radio mal lauter turn up volume", registry)  # the gloss
    assert not contradicts(on, "switch the kitchen speaker on", registry)


def test_a_lock_the_thing_is_glossed_apart_from_the_verb() -> None:
    registry = Registry(areas=[], devices=[Device("lock.front", "Aqara", None)])
    unlock = [Command("lock.unlock", ("lock.front",))]
    assert not contradicts(unlock, "déverrouille la serrure unlock deadbolt", registry)
    assert contradicts(unlock, "don't unlock the door, lock it", registry)
    assert contradicts([Command("lock.lock", ("lock.front",))], "unlock the lock", registry)


def test_extremes_in_other_languages_are_glossed_max_and_min() -> None:
    from hub.llm.glossary import gloss

    for text in ("brillo al máximo", "auf die niedrigste Stufe", "op z'n hoogst", "亮度调到最大"):
        english = gloss(text)
        assert english is not None
        assert said_values(f"{text} {english}") is None, text


@pytest.mark.parametrize(
    ("text", "mode", "unsaid"),
    [
        ("bedroom thermostat on", "auto", True),  # on is no mode
        ("turn the heating on", "heat", False),
        ("put the ac on cooling", "cool", False),
        ("set the thermostat to automatic", "auto", False),
        ("thermostat to heat and cool", "heat_cool", False),
        ("just the fan please", "fan_only", False),
    ],
)
def test_a_mode_the_request_never_says_is_the_model_s_own(
    text: str, mode: str, unsaid: bool
) -> None:
    command = Command("climate.set_hvac_mode", ("climate.bedroom",), {"hvac_mode": mode})
    assert unsaid_choice([command], text) is unsaid


@pytest.mark.parametrize(
    ("text", "colour", "unsaid"),
    [
        ("brightness to the max please", "white", True),
        ("make the lamp red", "red", False),
        ("make the lamp look like a sunset", "orange", False),  # a look means its colour
    ],
)
def test_a_colour_the_request_never_says_is_the_model_s_own(
    text: str, colour: str, unsaid: bool
) -> None:
    command = Command("light.turn_on", ("light.lamp",), {"color_name": colour})
    assert unsaid_choice([command], text) is unsaid


def test_an_answer_that_leaves_out_the_level_or_colour_said_is_doubted() -> None:
    registry = Registry(areas=[], devices=[Device("light.red", "Red Lamp"), Device("light.b", "B")])
    on = [Command("light.turn_on", ("light.b",))]
    assert ignores(on, "allume la lampe b à 50% turn on light b to 50 %", registry)
    assert ignores(on, "turn lamp b on in green", registry)
    assert not ignores(on, "turn on lamp b", registry)
    assert not ignores([Command("light.turn_on", ("light.b",), {"brightness_pct": 50})],
                       "lamp b to 50%", registry)  # fmt: skip
    # a colour of the device's own name is no setting
    assert not ignores([Command("light.turn_on", ("light.red",))], "turn on the red lamp", registry)


def test_an_extreme_is_not_a_step_nor_the_other_end() -> None:
    lamp = ("light.lamp",)
    said = "brillo al máximo brightness max"
    assert misses_extreme([Command("light.turn_on", lamp, {"brightness_step_pct": 20})], said)
    assert misses_extreme([Command("light.turn_on", lamp, {"brightness_pct": 1})], said)
    assert not misses_extreme([Command("light.turn_on", lamp, {"brightness_pct": 100})], said)
    lowest = "dormitorio mínimo brillo bedroom min brightness"
    assert misses_extreme([Command("light.turn_on", lamp, {"brightness_pct": 100})], lowest)
    assert not misses_extreme([Command("light.turn_on", lamp, {"brightness_pct": 1})], lowest)
    # a thermostat's "max" is no percentage
    heat = [Command("climate.set_temperature", ("climate.x",), {"temperature": 30})]
    assert not misses_extreme(heat, "heating to the max")


def test_a_percentage_is_not_degrees_nor_an_item_another_word() -> None:
    heat = [Command("climate.set_temperature", ("climate.x",), {"temperature": 50})]
    assert misreads(heat, "baisser le rez-de-chaussée à 50 % lower ground floor to 50 %")
    assert not misreads(heat, "heat to 50 degrees")
    lamp = [Command("light.turn_on", ("light.x",), {"brightness_pct": 19})]
    assert misreads(lamp, "eerste verdieping 19 graden first floor 19 degrees")
    assert not misreads(lamp, "lamp to 19%")
    add = [Command("todo.add_item", ("todo.shopping",), {"item": "mangoes"})]
    assert misreads(add, "añade manzanas a mi lista de la compra")
    assert not misreads(add, "add mangoes to my shopping list")
    apples = [Command("todo.add_item", ("todo.shopping",), {"item": "苹果"})]
    assert not misreads(apples, "把苹果加到购物清单")


def test_a_step_is_no_level_said() -> None:
    registry = Registry(areas=[], devices=[Device("light.b", "B")])
    step = [Command("light.turn_on", ("light.b",), {"brightness_step_pct": 20})]
    assert ignores(step, "monte la lampe b à 50% raise light b to 50 %", registry)
    assert not ignores(step, "brighter please", registry)


def test_off_speaks_against_switching_on_unless_on_is_said_too() -> None:
    registry = Registry(areas=[], devices=[Device("fan.x", "Ventilator")])
    on = [Command("fan.turn_on", ("fan.x",))]
    assert contradicts(on, "schalte den Ventilator ab switch fan turn off", registry)
    assert not contradicts(on, "turn on the fan and the lights off", registry)
    script = Registry(areas=[], devices=[Device("script.bed", "Bedtime")])
    assert not contradicts([Command("script.turn_on", ("script.bed",))], "kick off bedtime", script)
    cover = Registry(areas=[], devices=[Device("cover.g", "Garage")])
    close = [Command("cover.close_cover", ("cover.g",))]
    assert contradicts(close, "rolluik open doen shutters open", cover)
    # "off" of another action in the same request is not held against this one
    light = Registry(areas=[], devices=[Device("light.k", "Kitchen")])
    set30 = [Command("light.turn_on", ("light.k",), {"brightness_pct": 30})]
    assert not contradicts(set30, "kitchen light to 30% and the fan off", light)


def test_a_light_at_its_lowest_is_on_at_one_percent() -> None:
    zero = (Command("light.turn_on", ("light.x",), {"brightness_pct": 0}),)
    assert at_lowest(zero, "lámpara al mínimo lamp min")[0].data["brightness_pct"] == 1
    assert at_lowest(zero, "lamp to 0%") == zero  # 0% said is 0%


def test_the_colour_of_a_place_or_of_another_action_is_not_left_out() -> None:
    registry = Registry(
        areas=[Area("green", "Green Room")], devices=[Device("light.g", "Ceiling", "green")]
    )
    assert not ignores(
        [Command("light.turn_off", ("light.g",))], "lights off in the green room", registry
    )
    assert not ignores(
        [Command("light.turn_on", ("light.g",))], "ceiling on in the green room", registry
    )
    assert not ignores(
        [Command("light.turn_on", ("light.g",))], "ceiling on and the lamp to 50%", registry
    )


def test_play_is_not_another_track_unless_next_or_previous_is_said() -> None:
    registry = Registry(areas=[], devices=[Device("media_player.s", "Speaker")])
    skip = [Command("media_player.media_next_track", ("media_player.s",))]
    assert contradicts(skip, "play music", registry)
    assert contradicts(skip, "play on the porch", registry)
    assert not contradicts(skip, "play the next song", registry)
    assert not contradicts(skip, "skip this one and play the next", registry)
    back = [Command("media_player.media_previous_track", ("media_player.s",))]
    assert contradicts(back, "play on the porch", registry)
    assert not contradicts(back, "play the previous song", registry)
    assert not contradicts(back, "play that one again", registry)
    # "again" with "on": switched back on or resumed, not the previous track
    remets = "Remets le visionnage de l'épisode en marche sur la TV"
    assert gloss(remets) == "again playback episode on sur tv"
    assert contradicts(back, f"{remets} {gloss(remets)}", registry)
    assert contradicts(back, "turn the speaker on again", registry)
    assert not contradicts(back, "play the last song again on the speaker", registry)
    assert not contradicts(back, "play that one again", registry)
    # "Spiele vorheriges Stück" and its gloss: every form of "vorherig" is "last"
    assert gloss("Spiele vorheriges Stück am TV") == "play last stuck tv"
    assert not contradicts(back, "Spiele vorheriges Stück am TV play last stuck tv", registry)


def test_what_is_said_of_playing_is_not_switching(registry: Registry) -> None:
    """ "skip", "resume", the movie or the playback speak of what plays, not of the set."""
    player = registry.by_domain("media_player")[0].entity_id
    on = [Command("media_player.turn_on", (player,))]
    off = [Command("media_player.turn_off", (player,))]
    assert contradicts(on, "salta pista en la TV skip track in tv", registry)
    assert contradicts(off, "Arrête le film sur la TV turn off movie sur tv", registry)
    assert contradicts(on, "remettre la lecture en marche again playback on", registry)
    assert not contradicts(on, "turn the tv on", registry)
    light = registry.by_domain("light")[0].entity_id
    assert contradicts([Command("light.turn_on", (light,))], "saltar pista skip track", registry)
    vacuum = registry.by_domain("vacuum")[0].entity_id
    assert contradicts([Command("vacuum.start", (vacuum,))], "start next song", registry)
    assert not contradicts([Command("vacuum.start", (vacuum,))], "resume cleaning", registry)


def test_an_open_door_is_never_locked(registry: Registry) -> None:
    lock = [Command("lock.lock", ("lock.back_door",))]
    assert contradicts(lock, "Haustür auf front door open", registry)
    assert contradicts(lock, "maak voordeur ontgrendeld turn front door unlocked", registry)
    assert not contradicts(lock, "lock the back door", registry)


def test_a_shade_of_white_never_said_is_a_choice(registry: Registry) -> None:
    lamp = registry.by_domain("light")[0].entity_id
    warmer = [Command("light.turn_on", (lamp,), {"color_temp_kelvin": 2700})]
    assert unsaid_choice(warmer, "can I have the desk lamp a little dimmer")
    assert not unsaid_choice(warmer, "make the desk lamp warm white")


def test_a_bit_is_never_all_the_way(registry: Registry) -> None:
    curtains = registry.by_domain("cover")[0].entity_id
    close = [Command("cover.close_cover", (curtains,))]
    assert contradicts(close, "close the bedroom curtains a bit", registry)
    assert not contradicts(close, "close the bedroom curtains", registry)


def test_half_said_and_no_level_set_is_left_out(registry: Registry) -> None:
    shutter = registry.by_domain("cover")[0].entity_id
    close = [Command("cover.close_cover", (shutter,))]
    half = [Command("cover.set_cover_position", (shutter,), {"position": 50})]
    text = "Fahr den Rollladen in der Stube auf die Hälfte lower shutters half"
    assert ignores(close, text, registry)
    assert not ignores(half, text, registry)


@pytest.mark.parametrize(
    ("text", "way"),
    [
        ("a touch brighter in here, please", "up"),
        ("I can barely hear the television", "up"),
        ("turn the kitchen radio up", "up"),
        ("stehlampe etwas brighten", "up"),  # "Die Stehlampe etwas heller", glossed
        ("the night light could be a bit softer", "down"),
        ("the desk fan's blowing too hard, slow it down", "down"),
        ("dim the kitchen to 30%", None),  # a number: a level, not a step
        ("turn on the lights upstairs", None),
        ("turn it up, no, turn it down", None),  # both ways
        ("make it a little warmer", None),  # no step words (a thermostat has no step)
    ],
)
def test_the_way_of_a_step_a_request_asks_for(text: str, way: str | None) -> None:
    assert step_direction(text) == way


def test_a_track_or_a_movie_is_never_a_volume(registry: Registry) -> None:
    player = registry.by_domain("media_player")[0].entity_id
    down = [Command("media_player.volume_down", (player,))]
    up = [Command("media_player.volume_up", (player,))]
    # "Wiederhole den letzten Titel auf TV" and its gloss: the last track again
    assert contradicts(
        down, "Wiederhole den letzten Titel auf TV again previous track tv", registry
    )
    assert contradicts(up, "play the next song louder", registry)
    assert not contradicts(down, "turn the tv down", registry)
    assert not contradicts(up, "louder please", registry)


def test_stopping_is_never_another_track_nor_a_vacuum_sent_home_stopped(
    registry: Registry,
) -> None:
    player = registry.by_domain("media_player")[0].entity_id
    skip = [Command("media_player.media_next_track", (player,))]
    assert contradicts(skip, "Arrête le film sur la TV turn off movie sur tv", registry)
    assert not contradicts(skip, "skip this song", registry)
    vacuum = registry.by_domain("vacuum")[0].entity_id
    stop = [Command("vacuum.stop", (vacuum,))]
    assert contradicts(stop, "que aspiradora vuelva a la base vacuum vuelva a base", registry)
    assert not contradicts(stop, "stop the vacuum", registry)


def test_a_colour_said_is_never_a_light_switched_off() -> None:
    registry = Registry(areas=[], devices=[Device("light.b", "Slaapkamerlampje")])
    off = [Command("light.turn_off", ("light.b",))]
    assert ignores(off, "Maak slaapkamerlampje blauw turn bedroom light blue", registry)
    assert not ignores(off, "slaapkamerlampje uit", registry)


def test_more_light_asked_for_is_never_a_light_switched_off() -> None:
    registry = Registry(areas=[], devices=[Device("light.r", "Reading Lamp")])
    off = [Command("light.turn_off", ("light.r",))]
    assert contradicts(off, "it is rather gloomy where I do my reading, sort that out", registry)
    assert contradicts(off, "a touch brighter by the reading lamp", registry)
    assert not contradicts(off, "reading lamp out", registry)
    assert not contradicts(off, "make it dark in here, lights out", registry)
    dimmed = [Command("light.turn_on", ("light.r",), {"brightness_step_pct": -20})]
    assert contradicts(dimmed, "the study is far too gloomy", registry)
    assert not contradicts(dimmed, "the reading lamp is too bright", registry)
    brighter = [Command("light.turn_on", ("light.r",), {"brightness_step_pct": 20})]
    assert not contradicts(brighter, "the study is far too gloomy", registry)
