"""Grounding: a line about nothing the request names is doubted (hub.tiers.grounding)."""

from __future__ import annotations

import pytest

from hub.messages import Command
from hub.registry import Area, Device, Registry
from hub.tiers.grounding import Mentions


def _on(*entity_ids: str) -> list[Command]:
    return [Command(f"{entity_ids[0].split('.')[0]}.turn_on", entity_ids)]


LIGHTS = [
    "light.kitchen_ceiling", "light.kitchen_counter", "light.living_room_lamp",
    "light.living_room_ceiling", "light.hallway", "light.bedroom_lamp", "light.kids_room_lamp",
    "light.office_lamp", "light.garden", "light.bedroom_reading", "light.office_reading",
]  # fmt: skip


def test_a_named_place_grounds_its_devices_and_nothing_elsewhere(registry: Registry) -> None:
    mentions = Mentions.find("water the garden", registry)
    assert mentions.areas == frozenset({"garden"}) and not mentions.devices
    assert mentions.grounds(_on("switch.garden_sprinkler"), registry)
    assert not mentions.grounds([Command("vacuum.start", ("vacuum.robot",))], registry)


def test_a_device_is_named_by_its_alias(registry: Registry) -> None:
    mentions = Mentions.find("the coffee maker should be running", registry)
    assert mentions.devices == frozenset({"switch.coffee_machine"}) and not mentions.places
    assert mentions.grounds(_on("switch.coffee_machine"), registry)
    assert not mentions.grounds([Command("vacuum.start", ("vacuum.robot",))], registry)


def test_a_floor_names_its_areas(registry: Registry) -> None:
    floor = registry.floors[0]
    areas = {a.id for a in registry.areas if a.floor == floor.id}
    assert areas
    found = Mentions.find(f"lights off on the {floor.name}", registry)
    assert found.areas == areas and found.places


def test_a_request_naming_nothing_is_not_checked(registry: Registry) -> None:
    mentions = Mentions.find("i'm cold", registry)
    assert not mentions
    assert mentions.grounds([Command("vacuum.start", ("vacuum.robot",))], registry)


def test_where_it_was_said_counts_only_beside_another_name(registry: Registry) -> None:
    assert not Mentions.find("lights on", registry, area="kitchen")
    found = Mentions.find("the coffee maker please", registry, area="kitchen")
    assert "kitchen" in found.areas and not found.places  # not named in the text itself


def test_a_device_with_no_place_is_never_held_against_a_line(registry: Registry) -> None:
    mentions = Mentions.find("movie time in the garden", registry)
    assert mentions.grounds([Command("scene.turn_on", ("scene.movie_night",))], registry)


@pytest.mark.parametrize(
    ("text", "fits", "contradicts"),
    [
        ("brew me a coffee", "switch.coffee_machine", "vacuum.robot"),
        ("get the coffee going", "switch.coffee_machine", "vacuum.robot"),
        ("turn on the fan in the bedroom", "fan.bedroom", "light.bedroom_lamp"),
        ("put the hoover on", "vacuum.robot", "switch.coffee_machine"),
        ("the heater in the lounge", "climate.living_room", "light.living_room_lamp"),
        # words that speak of one kind alone, verbs among them
        ("heat the bedroom", "climate.bedroom", "light.bedroom_lamp"),
        ("make the living room louder", "media_player.living_room_tv", "light.living_room_lamp"),
        ("a bit brighter in the office", "light.office_lamp", "switch.coffee_machine"),
    ],
)
def test_a_kind_the_request_names_is_not_answered_with_another(
    registry: Registry, text: str, fits: str, contradicts: str
) -> None:
    mentions = Mentions.find(text, registry)
    assert mentions.fits_kinds(_on(fits))
    assert not mentions.fits_kinds(_on(contradicts))


@pytest.mark.parametrize(
    "text",
    ["water the garden", "turn the kitchen on", "I'm cold", "make it warmer in the bedroom"],
)
def test_verbs_and_places_name_no_kind(registry: Registry, text: str) -> None:
    """ "water" is a word of the tap's alias, "kitchen" of the Kitchen Light's name: neither
    says what kind of device is meant, so no line is held against them."""
    assert not Mentions.find(text, registry).kinds


@pytest.mark.parametrize(
    "text, pinned",
    [
        ("turn on the bedroom fan", "fan.bedroom"),  # the one fan in the bedroom
        ("the thermostat in the lounge", "climate.living_room"),
        ("put the hoover on", "vacuum.robot"),  # the home's one vacuum
        ("turn on the coffee maker", "switch.coffee_machine"),  # named by its alias
        ("the bedroom lights", "light.bedroom_lamp light.bedroom_reading"),  # all of them
        ("pause the living room tv", "media_player.living_room_tv"),
    ],
)
def test_a_request_pins_its_devices(registry: Registry, text: str, pinned: str) -> None:
    mentions = Mentions.find(text, registry)
    assert mentions.pins(_on(*pinned.split()), registry)


@pytest.mark.parametrize(
    "text, touched",
    [
        ("turn on the fan", "fan.bedroom"),  # two fans, no place: which one is a guess
        ("the bedroom lights", "light.bedroom_lamp"),  # one of the two
        ("turn on the heating", "climate.bedroom"),  # one of two thermostats
        ("turn on the bedroom fan", "light.bedroom_lamp"),  # not the kind named
        ("play something", "media_player.kitchen_speaker"),  # nothing named at all
        ("it's dark in the bedroom", "light.bedroom_lamp"),  # a place, but no kind
        # every light of the home is no answer to "the outdoor lights" (no place it knows)
        ("turn the outdoor lights on", " ".join(LIGHTS)),
        # the kitchen's speaker is not in the living room the request names
        (
            "pause the tv in the living room",
            "media_player.living_room_tv media_player.kitchen_speaker",
        ),
        # the Ceiling Fan by its name, but it is not in the office the request names
        ("turn on the ceiling fan in the office", "fan.bedroom"),
    ],
)
def test_a_request_leaves_a_choice(registry: Registry, text: str, touched: str) -> None:
    mentions = Mentions.find(text, registry)
    assert not mentions.pins(_on(*touched.split()), registry)


def test_a_device_called_by_its_own_word_is_not_its_whole_kind() -> None:
    """ "the TV in the living room" is the Smart TV, not every media player there."""
    registry = Registry(
        areas=[Area("living", "Living Room")],
        devices=[
            Device("media_player.tv", "Smart TV", "living"),
            Device("media_player.speaker", "Smart Speaker", "living"),
        ],
    )
    mentions = Mentions.find("pause the tv in the living room", registry)
    both = [Command("media_player.media_pause", ("media_player.tv", "media_player.speaker"))]
    assert not mentions.pins(both, registry)
    assert mentions.pins([Command("media_player.media_pause", ("media_player.tv",))], registry)


def _three_bedrooms() -> Registry:
    return Registry(
        areas=[Area("bedroom", "Bedroom"), Area("guest", "Guest Bedroom"),
               Area("master", "Master Bedroom")],
        devices=[Device("climate.a", "Smart Thermostat", "bedroom"),
                 Device("climate.b", "Smart Thermostat", "guest"),
                 Device("climate.c", "Smart Thermostat", "master")],
    )  # fmt: skip


def test_a_longer_place_name_is_not_also_the_shorter_one_inside_it() -> None:
    registry = _three_bedrooms()
    mentions = Mentions.find("turn off the guest bedroom thermostat", registry)
    assert mentions.areas == frozenset({"guest"})
    assert mentions.pins([Command("climate.turn_off", ("climate.b",))], registry)
    both = Mentions.find("the bedroom and the master bedroom", registry)
    assert both.areas == frozenset({"bedroom", "master"})


def test_the_room_a_request_is_made_in_pins_its_one_device_of_the_kind() -> None:
    """ "turn on the thermostat" said in the master bedroom is its thermostat; said nowhere
    known, or answered with another room's, it is a choice."""
    registry = _three_bedrooms()
    here = Mentions.find("turn on the thermostat", registry, area="master")
    assert here.pins([Command("climate.turn_on", ("climate.c",))], registry)
    assert not here.pins([Command("climate.turn_on", ("climate.a",))], registry)
    nowhere = Mentions.find("turn on the thermostat", registry)
    assert not nowhere.pins([Command("climate.turn_on", ("climate.c",))], registry)


def test_louder_speaks_of_a_media_player_and_the_room_pins_the_one_there(
    registry: Registry,
) -> None:
    """ "make it louder" answered with a light is of no kind the request speaks of; said in
    the kitchen, the kitchen's one speaker is the answer."""
    mentions = Mentions.find("make it louder", registry, area="kitchen")
    assert not mentions.fits_kinds(_on("light.kitchen_ceiling"))
    louder = [Command("media_player.volume_up", ("media_player.kitchen_speaker",))]
    assert mentions.fits_kinds(louder) and mentions.pins(louder, registry)
    assert not Mentions.find("make it louder", registry).pins(louder, registry)


@pytest.mark.parametrize(
    "text, areas",
    [
        ("pause the porch speaker", {"porch"}),  # a word of one place's name alone
        ("water the garden", {"garden"}),
        ("turn on the tv", set()),  # a kind is not the TV Room
        ("make the house warmer", set()),  # nor "house" the Guest House
        ("lights off in the guest house", {"guest_house"}),
        ("the bedroom lamp", {"bedroom"}),  # the whole name, not the Guest Bedroom too
    ],
)
def test_a_word_only_one_place_holds_names_it(text: str, areas: set[str]) -> None:
    registry = Registry(
        areas=[Area("porch", "Wrap-Around Porch"), Area("bedroom", "Bedroom"),
               Area("guest", "Guest Bedroom"), Area("tv_room", "TV Room"),
               Area("guest_house", "Guest House"), Area("garden", "Front Garden")],
    )  # fmt: skip
    assert Mentions.find(text, registry).areas == frozenset(areas)


def _living_and_bedroom() -> Registry:
    return Registry(
        areas=[Area("living", "Living Room"), Area("bed", "Bedroom"), Area("hall", "Hall")],
        devices=[Device("media_player.tv", "Smart TV", "living"),
                 Device("media_player.speaker", "Smart Speaker", "living"),
                 Device("media_player.bed_speaker", "Echo", "bed"),
                 Device("light.bed", "Ceiling", "bed"), Device("light.living", "Lamp", "living"),
                 Device("light.hall", "Spots", "hall")],
    )  # fmt: skip


def test_an_answer_about_another_room_strays_when_this_room_has_such_a_device() -> None:
    registry = _living_and_bedroom()
    play = Mentions.find("play", registry, area="bed")
    assert play.strays([Command("media_player.media_play", ("media_player.speaker",))])
    assert not play.strays([Command("media_player.media_play", ("media_player.bed_speaker",))])
    # all the lights take in this room's too; a named device or place is the person's choice
    lights = Mentions.find("all lights off", registry, area="bed")
    assert not lights.strays([Command("light.turn_off", ("light.bed", "light.living"))])
    named = Mentions.find("play in the living room", registry, area="bed")
    assert not named.strays([Command("media_player.media_play", ("media_player.speaker",))])


def test_said_in_a_room_without_such_a_device_no_other_room_s_is_meant() -> None:
    registry = _living_and_bedroom()
    # as Home Assistant's satellites read it: "play" in the hall is about the hall
    nowhere = Mentions.find("play", registry, area="hall")
    assert nowhere.strays([Command("media_player.media_play", ("media_player.speaker",))])
    # a device in no room is in no room: "pause" said in the hall, a TV and speakers nowhere
    roomless = Registry(
        areas=[Area("hall", "Hall")],
        devices=[Device("media_player.tv", "TV"), Device("media_player.sonos", "Speakers"),
                 Device("light.hall", "Spots", "hall"), Device("scene.movie", "Movie night"),
                 Device("climate.nest", "Nest")],
    )  # fmt: skip
    pause = Mentions.find("pause", roomless, area="hall")
    assert pause.strays([Command("media_player.media_pause", ("media_player.tv",))])
    # but the home's only thermostat is no guess
    warm = Mentions.find("set the heating to 21", roomless, area="hall")
    assert not warm.strays([Command("climate.set_temperature", ("climate.nest",))])
    # the TV by name, the whole home, a scene: not strays
    tv = Mentions.find("pause the tv", roomless, area="hall")
    assert not tv.strays([Command("media_player.media_pause", ("media_player.tv",))])
    movie = Mentions.find("movie time", roomless, area="hall")
    assert not movie.strays([Command("scene.turn_on", ("scene.movie",))])
    # the hall has no lights of its own: "lights off" there is no room's, "all the lights"
    # (or "partout", glossed "everywhere") is every room's
    dark = Registry(
        areas=[Area("living", "Living Room"), Area("bed", "Bedroom"), Area("hall", "Hall")],
        devices=[Device("light.bed", "Ceiling", "bed"), Device("light.living", "Lamp", "living"),
                 Device("switch.hall", "Fan plug", "hall")],
    )  # fmt: skip
    both = [Command("light.turn_off", ("light.bed", "light.living"))]
    assert Mentions.find("lights off", dark, area="hall").strays(both)
    assert not Mentions.find("turn off all the lights", dark, area="hall").strays(both)
    partout = Mentions.find("éteins les lumières partout turn off lights everywhere", dark, "hall")
    assert not partout.strays(both)


def test_a_kind_s_word_in_another_language_is_not_a_device_s_own_name() -> None:
    """ "lumière" of "lumière du plafond" is French for light: "les lumières" are every
    light, not that one; "plafond" (ceiling) is its own word."""
    registry = Registry(
        areas=[Area("bed", "chambre"), Area("hall", "entrée")],
        devices=[Device("light.ceiling", "lumière du plafond", "bed"),
                 Device("light.bedside", "lampe de chevet", "bed"),
                 Device("light.hall", "lampe de l'entrée", "hall")],
    )  # fmt: skip
    lights = Mentions.find("éteins les lumières turn off lights", registry)
    assert lights.called == frozenset()
    assert lights.kinds == {"light.ceiling", "light.bedside", "light.hall"}
    ceiling = Mentions.find("allume le plafond", registry)
    assert ceiling.called == {"light.ceiling"}
    # "l'entrée" is the place, not a word "lentree" only the hall lamp's name holds
    hall = Mentions.find("reprends la musique dans l'entrée", registry)
    assert hall.areas == {"hall"} and hall.called == frozenset()


def test_the_living_room_tv_is_not_the_living_room_s_every_player() -> None:
    registry = _living_and_bedroom()
    mentions = Mentions.find("set the volume of the living room tv to 10", registry)
    both = [Command("media_player.volume_set", ("media_player.speaker", "media_player.tv"))]
    assert mentions.widens(both)
    assert not mentions.widens([Command("media_player.volume_set", ("media_player.tv",))])
    assert not Mentions.find("the living room lights", registry).widens(
        [Command("light.turn_on", ("light.living",))]
    )


def test_a_retry_chooses_among_this_room_s_devices_of_the_kind_when_none_is_named() -> None:
    registry = _living_and_bedroom()
    assert Mentions.find("make it louder", registry, area="bed").choices == {
        "media_player.bed_speaker"
    }
    # a named place, or a room without such a device, leaves every one of the kind
    assert len(Mentions.find("make the living room louder", registry, area="bed").choices) == 3
    assert len(Mentions.find("make it louder", registry, area="hall").choices) == 3
    assert not Mentions.find("good morning", registry, area="bed").choices


def test_a_home_named_in_french_is_called_by_its_words_not_its_articles() -> None:
    registry = Registry(
        areas=[Area("salon", "salon"), Area("cuisine", "cuisine"), Area("chambre", "chambre")],
        devices=[Device("cover.left", "rideau gauche", "salon"),
                 Device("cover.right", "rideau droit", "salon"),
                 Device("cover.bed", "rideau de la chambre", "chambre"),
                 Device("switch.kitchen", "interrupteur de la cuisine", "cuisine"),
                 Device("light.ceiling", "lumière du plafond", "chambre")],
    )  # fmt: skip
    lamp = Mentions.find("allume la cuisine en rouge turn on kitchen red", registry)
    assert "cover.bed" not in lamp.called  # not by "la"
    assert not lamp.fits_kinds([Command("switch.turn_on", ("switch.kitchen",))])  # red: a light
    left = Mentions.find("ferme le rideau gauche", registry)
    assert left.widens([Command("cover.close_cover", ("cover.left", "cover.right"))])
    assert not left.widens([Command("cover.close_cover", ("cover.left",))])


def test_lights_off_said_in_a_room_is_that_room_s_lights() -> None:
    registry = _living_and_bedroom()
    every = [Command("light.turn_off", ("light.bed", "light.living", "light.hall"))]
    assert Mentions.find("lights off", registry, area="bed").strays(every)
    assert not Mentions.find("all the lights off", registry, area="bed").strays(every)
    assert not Mentions.find("lights off", registry, area="bed").strays(
        [Command("light.turn_off", ("light.bed",))]
    )


def test_all_the_lamps_in_this_room_are_this_room_s() -> None:
    registry = _living_and_bedroom()
    every = [Command("light.turn_off", ("light.bed", "light.living", "light.hall"))]
    here = Mentions.find("alle lampen uit in deze ruimte all lights off here", registry, "bed")
    assert not here.everywhere
    assert here.strays(every)


def test_a_place_alone_pins_all_of_its_devices_of_the_kind_answered() -> None:
    registry = Registry(
        areas=[Area("hall", "entrée"), Area("bed", "chambre")],
        devices=[Device("light.hall", "lumière de l'entrée", "hall"),
                 Device("light.bed", "plafonnier", "bed"), Device("light.bed2", "chevet", "bed")],
    )  # fmt: skip
    hall = Mentions.find("éteins dans l'entrée turn off in hallway", registry)
    assert hall.pins([Command("light.turn_off", ("light.hall",))], registry)
    bed = Mentions.find("éteins la chambre", registry)
    assert bed.pins([Command("light.turn_off", ("light.bed", "light.bed2"))], registry)
    assert not bed.pins([Command("light.turn_off", ("light.bed",))], registry)


def test_all_that_is_not_all_of_anything_is_not_the_whole_home() -> None:
    registry = _living_and_bedroom()
    assert not Mentions.find("all right, lights off", registry, "bed").everywhere
    assert not Mentions.find("lights all the way up", registry, "bed").everywhere
    assert Mentions.find("all the lights off", registry, "bed").everywhere


def test_a_name_said_inside_a_longer_name_is_not_named() -> None:
    registry = Registry(
        areas=[],
        devices=[Device("light.lamp", "Lamp"), Device("light.desk", "Desk Lamp"),
                 Device("light.bed", "卧室灯"), Device("light.master", "主卧室灯")],
    )  # fmt: skip
    assert Mentions.find("turn on the desk lamp", registry).devices == {"light.desk"}
    assert Mentions.find("打开主卧室灯", registry).devices == {"light.master"}
    assert Mentions.find("lamp and desk lamp", registry).devices == {"light.lamp", "light.desk"}


# -- a kind in a place, a place alone, a room's devices and those in no room ----------------
DUTCH_LIVING_ROOM = Registry(
    areas=[Area("woonkamer", "Woonkamer"), Area("keuken", "Keuken"), Area("salon", "Salon")],
    devices=[
        Device("cover.gordijn_links", "Gordijn links", "woonkamer", device_class="curtain"),
        Device("cover.gordijn_rechts", "Gordijn rechts", "woonkamer", device_class="curtain"),
        Device("cover.rolluik", "Rolluik", "woonkamer", device_class="shutter"),
        Device("light.keuken_plafond", "Keuken plafond", "keuken"),
        Device("light.slaapkamer_lamp", "Slaapkamer lamp", None),
        Device("switch.keuken", "Koffiezetapparaat", "keuken"),
        Device("media_player.tv", "TV", None),
    ],
)


def _close(*entity_ids: str) -> list[Command]:
    return [Command("cover.close_cover", (e,)) for e in entity_ids]


@pytest.mark.parametrize(
    ("text", "gloss", "area"),
    [
        ("sluit in de woonkamer de gordijnen", "close in living room curtains", None),
        ("gordijnen dicht doen", "curtains close", "woonkamer"),
        ("close the curtains in the woonkamer", None, None),
    ],
)
def test_a_kind_in_a_place_is_all_of_it_there(text: str, gloss: str | None, area: str) -> None:
    """One of two curtains leaves the other out; the shutter beside them is no curtain."""
    mentions = Mentions.find(text, DUTCH_LIVING_ROOM, area, gloss=gloss)
    assert mentions.plural
    assert mentions.left_out(_close("cover.gordijn_links"), DUTCH_LIVING_ROOM) == {
        "cover.gordijn_rechts"
    }
    both = _close("cover.gordijn_links", "cover.gordijn_rechts")
    assert not mentions.left_out(both, DUTCH_LIVING_ROOM)


def test_a_curtain_called_by_its_own_word_leaves_nothing_out() -> None:
    mentions = Mentions.find("sluit het gordijn links", DUTCH_LIVING_ROOM, "woonkamer")
    assert not mentions.left_out(_close("cover.gordijn_links"), DUTCH_LIVING_ROOM)
    singular = Mentions.find("sluit het gordijn hier", DUTCH_LIVING_ROOM, "woonkamer")
    assert not singular.plural
    assert singular.left_out(_close("cover.gordijn_links"), DUTCH_LIVING_ROOM)


def test_a_place_alone_switched_on_is_its_lights() -> None:
    mentions = Mentions.find("zet de keuken aan", DUTCH_LIVING_ROOM)
    assert mentions.beyond_lights(_on("switch.keuken"))
    assert not mentions.beyond_lights(_on("light.keuken_plafond"))
    # a device of a kind the request names is not the room's lights
    assert not Mentions.find(
        "de koffiezetapparaat in de keuken aan", DUTCH_LIVING_ROOM
    ).beyond_lights(_on("switch.keuken"))


def test_a_device_named_after_its_place_is_the_place() -> None:
    registry = Registry(
        areas=[Area("fountain", "Fountain")],
        devices=[Device("switch.fountain_switch", "Fountain Switch", "fountain")],
    )
    mentions = Mentions.find("Turn on the fountain", registry, "fountain")
    assert not mentions.beyond_lights(_on("switch.fountain_switch"))
    assert not Mentions.find("water the fountain", registry).beyond_lights(
        _on("switch.fountain_switch")
    )


def test_a_device_in_no_room_does_not_ground_a_request_naming_a_room() -> None:
    play = [Command("media_player.media_play", ("media_player.tv",))]
    assert not Mentions.find("seguir con la música en el salón", DUTCH_LIVING_ROOM).grounds(
        play, DUTCH_LIVING_ROOM
    )
    assert Mentions.find("seguir con la música", DUTCH_LIVING_ROOM).grounds(play, DUTCH_LIVING_ROOM)
    # called by its own word, it may be in no room
    assert Mentions.find("the TV in the salon", DUTCH_LIVING_ROOM).grounds(play, DUTCH_LIVING_ROOM)


def test_a_compound_of_a_place_and_a_kind_names_the_place() -> None:
    mentions = Mentions.find("wil je de keukenlampen uitschakelen", DUTCH_LIVING_ROOM)
    assert mentions.areas == {"keuken"}
    off = [Command("light.turn_off", ("light.slaapkamer_lamp",))]
    assert not mentions.grounds(off, DUTCH_LIVING_ROOM)
    assert Mentions.find("keukendeur", DUTCH_LIVING_ROOM).areas == {"keuken"}  # deur: door
    assert not Mentions.find("keukenplafondje", DUTCH_LIVING_ROOM).areas  # not a kind


def test_a_name_carried_into_the_gloss_is_not_named_inside_a_longer_one() -> None:
    registry = Registry(
        areas=[Area("kitchen", "cuisine"), Area("hall", "entrée")],
        devices=[
            Device("switch.kitchen", "interrupteur de la cuisine", "kitchen"),
            Device("switch.hall", "interrupteur", "hall"),
        ],
    )
    text = "activer l'interrupteur de la cuisine"
    mentions = Mentions.find(text, registry, gloss="turn on interrupteur kitchen")
    assert mentions.devices == {"switch.kitchen"}
    hall = Mentions.find("active l'interrupteur", registry, gloss="turn on interrupteur")
    assert hall.devices == {"switch.hall"}


def test_a_name_that_is_only_a_kind_is_that_kind_in_the_place_named() -> None:
    """ "the thermostat in the bedroom" is the bedroom's radiator, not the living room's
    device called "Thermostat"; named alone, it is that device."""
    registry = Registry(
        areas=[Area("living_room", "Living Room"), Area("bedroom", "Bedroom")],
        devices=[
            Device("climate.living_room", "Thermostat", "living_room"),
            Device("climate.bedroom", "Bedroom Radiator", "bedroom"),
        ],
    )
    off = [Command("climate.turn_off", ("climate.living_room",))]
    in_bedroom = Mentions.find("turn the thermostat in the bedroom off", registry)
    assert not in_bedroom.devices and not in_bedroom.grounds(off, registry)
    assert Mentions.find("turn the thermostat off", registry).devices == {"climate.living_room"}
