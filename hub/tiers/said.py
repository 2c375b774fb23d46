"""What a request says of actions and values, against what a line the model wrote does.

A line that sets a level ("set TV volume to 30") when the request says no such number ("turn
the telly down") is a number the model made up. ``said_values`` reads the numbers a request
says (digits, English number words, "half", "a quarter"); an extreme ("max", "the lowest") may
mean any value, so it lets every value through, though not a step nor the other end
(``misses_extreme``). A line that leaves out a level or a colour the request says
(``ignores``), that sets a mode or colour it never says (``unsaid_choice``) or whose action a
word of it speaks against (``contradicts``: "the next song" is never the previous track) is
doubted too. Requests in other languages are read with their English gloss beside them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from hub.llm.looks import look_colour
from hub.messages import Command
from hub.registry import Registry
from hub.text.fold import holds, normalize_name
from hub.text.numbers import number_words, spoken_key, words_pattern
from hub.tiers.kinds import words_of_names

_NOT_SWITCHED = "open close shut lock unlock water watering irrigate hoover vacuum"
# what is said of what a player plays, never of switching a thing on or off: "skip this",
# "arrête le film" (stop the movie), "remets la lecture en marche" (resume the playback)
_PLAYING = "pause resume unpause skip next previous movie playback episode"
# and what is said of what plays at all: a track, a song or a movie is no volume, no light
_PLAYED = f"{_PLAYING} song track"
# what asks for more light: never a light switched off or dimmed ("the study is too gloomy")
_MORE_LIGHT = "gloomy murky brighter brighten"
# Words of a request that an action contradicts: "play the next song" is never the previous
# track, "skip back" never the next one. A line whose action a word of the request speaks
# against is doubted (asked about, never acted on).
CONTRADICTED_BY = {
    "media_player.media_next_track": "previous back last before rewind continue again resume "
    "pause stop off",
    "media_player.media_previous_track": "next forward ahead continue resume pause stop off",
    "media_player.media_play": "next previous pause",
    "media_player.media_pause": "resume unpause continue next previous",
    # and a track, a song or a movie is no volume ("Wiederhole den letzten Titel": the last
    # track again, never the TV quieter)
    "media_player.volume_up": f"down quieter lower softer decrease reduce {_PLAYED}",
    "media_player.volume_down": f"up louder raise increase {_PLAYED}",
    "vacuum.start": "return base dock",
    "vacuum.stop": "return base dock",  # "que vuelva a la base": sent home, not stopped
    "lock.lock": "unlock unlocked unbolt unlatch open",
    "lock.unlock": "lock bolt latch secure",
    "cover.open_cover": "close shut lower",
    "cover.close_cover": "open raise",
    # what lights, switches and speakers never do: "open up the garage", "water the garden"
    "light.turn_on": _NOT_SWITCHED,
    # nor is a light switched off what a request for more light asks ("it is rather gloomy
    # where I read, sort that out": the "out" is not "off")
    "light.turn_off": f"{_NOT_SWITCHED} {_MORE_LIGHT}",
    "switch.turn_on": "open close shut lock unlock",
    "switch.turn_off": "open close shut lock unlock",
    # and a louder radio is not a radio switched on ("lauter": "turn up volume")
    # nor a paused one switched off ("mets la TV en pause")
    "media_player.turn_on": f"{_NOT_SWITCHED} {_PLAYING} louder quieter softer volume continue",
    "media_player.turn_off": f"{_NOT_SWITCHED} {_PLAYING} louder quieter softer volume play "
    "continue",
}  # fmt: skip
_CONTRADICTED = {action: frozenset(words.split()) for action, words in CONTRADICTED_BY.items()}
_MORE_LIGHT_WORDS = frozenset(_MORE_LIGHT.split())
# and what is said of playing speaks against every line of a device that plays nothing
# ("saltar pista" answered with the lights, "nächsten Titel" with the robot vacuum)
_PLAYING_WORDS = frozenset(_PLAYED.split())
_PLAYS = frozenset({"media_player", "script", "scene", "automation"})
_CLEANING = frozenset({"pause", "resume", "unpause"})  # a robot vacuum pauses and resumes too
# A device switched on is contradicted by "off" ("schalte den Ventilator ab": "turn off"),
# unless "on" is said too ("the light on and the fan off"); a script or scene is "kicked off"
_STARTED = frozenset({"script", "scene", "automation"})
# "play" is another track only with a word that says which: "play the next song", "skip this
# one", "play that one again"; "play music" or "play on the porch" is neither
_PLAY_NEEDS = {
    "media_player.media_next_track": frozenset({"next", "skip", "forward", "ahead"}),
    "media_player.media_previous_track": frozenset(
        {"previous", "back", "last", "before", "rewind", "again", "replay"}
    ),
}
# "a bit", "a little": part of the way, never all of it
_PARTLY = frozenset({"bit", "little", "slightly", "somewhat", "tad"})
_ALL_THE_WAY = frozenset({"cover.open_cover", "cover.close_cover", "light.turn_off"})
# A request of more than one action ("set the light to 30% and turn the fan off"): what it
# says of one action is not held against another's line
_COMPOUND = re.compile(r"\band\b|[,;]|\bthen\b", re.I)


def is_compound(text: str) -> bool:
    """Whether the request may ask for more than one thing ("the light on and the fan off")."""
    return bool(_COMPOUND.search(text))


# what says a shade of white: "warm white", "cooler", "daylight", "2700 kelvin"
_WHITES = frozenset(
    "warm warmer cool cooler cold colder white daylight kelvin temperature candle".split()  # noqa: SIM905
)


def unsaid_choice(commands: Iterable[Command], text: str) -> bool:
    """Whether a command sets a thermostat's mode or a light's colour the request never says,
    a value like a number ("the thermostat on" answered with auto). "heating" says heat,
    "cooling" cool, "automatic" auto; a look ("like a sunset") means its colour (orange)."""
    words = normalize_name(text).split()
    for command in commands:
        if "color_temp_kelvin" in command.data and not set(words) & _WHITES:
            return True  # "a little dimmer" answered with a warmer white
        colour = command.data.get("color_name")
        if isinstance(colour, str) and colour not in words and colour != look_colour(text):
            return True  # "brightness to the max" answered with white
        mode = command.data.get("hvac_mode") if command.action.endswith(".set_hvac_mode") else None
        if not isinstance(mode, str):
            continue
        keys = [k for k in mode.split("_") if k != "only"]
        if not any(w.startswith(k) for w in words for k in keys):
            return True
    return False


def contradicts(commands: Iterable[Command], text: str, registry: Registry) -> bool:
    """Whether a word of ``text`` speaks against the action of one of ``commands`` (a word of
    the device's own names does not: "turn on the water feature light")."""
    words = frozenset(normalize_name(text).split())
    for command in commands:
        against = words & _CONTRADICTED.get(command.action, frozenset())
        if command.domain not in _PLAYS:
            against |= words & _PLAYING_WORDS - (_CLEANING if command.domain == "vacuum" else set())
        switched_on = command.action.endswith(".turn_on") and command.domain not in _STARTED
        if switched_on and "on" not in words and not _COMPOUND.search(text):
            against |= words & {"off"}
        step = command.data.get("brightness_step_pct")
        if isinstance(step, int | float) and step < 0:
            against |= words & _MORE_LIGHT_WORDS
        if command.action in _ALL_THE_WAY:
            against |= words & _PARTLY  # "close the curtains a bit" is not closing them
        says_which = _PLAY_NEEDS.get(command.action)
        if says_which is not None:
            if not words & says_which:
                against |= words & {"play"}
            # "again" with "on" is a set switched back on or a playback resumed ("remets la TV
            # en marche": "again tv on"), not another track, unless another word says which
            if "on" in words and not words & (says_which - {"again"}):
                against |= words & {"again"}
        for entity_id in command.entity_ids if against else ():
            against -= words_of_names(registry.device(entity_id))
        if against:
            return True
    return False


_COLOURS = frozenset("red green blue yellow orange purple pink white cyan magenta violet".split())  # noqa: SIM905


def ignores(commands: Iterable[Command], text: str, registry: Registry) -> bool:
    """Whether the commands leave out a setting the request says: a level ("à 50%",
    "to 20 degrees") that none of them sets (a step is no level: "monte la lampe à 50%"
    answered "brighten by 20%"), or a colour ("en rouge": red) when a light is switched on or
    off with nothing set ("allume la lampe de chevet en rouge" answered with the lamp on). A
    request of more than one action is not checked: the level may be another line's."""
    commands = list(commands)
    if not commands or _COMPOUND.search(text):
        return False
    levels = any("step" not in key for command in commands for key in command.data)
    if (_PERCENTAGE.search(text) or _DEGREES.search(text) or _PART.search(text)) and not levels:
        return True  # "auf die Hälfte" (half) answered with the shutter closed
    if any(c.data or c.action not in ("light.turn_on", "light.turn_off") for c in commands):
        return False  # a light switched off ("Maak de lamp blauw": make it blue) sets no colour
    names = {w for c in commands for e in c.entity_ids for w in words_of_names(registry.device(e))}
    names |= {w for a in registry.areas for n in a.names for w in normalize_name(n).split()}
    return bool((set(normalize_name(text).split()) & _COLOURS) - names)


_PART = re.compile(r"\b(half|halfway|a quarter|three quarters)\b", re.I)
_PERCENTAGE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:%|percent\b|per cent\b)", re.I)
_DEGREES = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:°|degrees?\b)", re.I)


def _near(value: float, values: Iterable[float]) -> bool:
    """Whether ``value`` is one of ``values``, as said (to half a unit)."""
    return any(abs(value - v) <= 0.5 for v in values)


def _levels(command: Command, settings: dict[str, float]) -> list[float]:
    """The levels the command sets of ``settings``, each on the scale a person says it in."""
    return [
        value * scale
        for key, scale in settings.items()
        if isinstance(value := command.data.get(key), int | float) and not isinstance(value, bool)
    ]


def misreads(commands: Iterable[Command], text: str) -> bool:
    """Whether a command reads what the request says as something else: a percentage as
    degrees ("baisser le rez-de-chaussée à 50 %" answered with 50° on the thermostats),
    degrees as a percentage ("19 graden" answered with 19% brightness), or an item it never
    says ("añade manzanas a la lista" answered with "mangoes")."""
    percent = {float(m.group(1).replace(",", ".")) for m in _PERCENTAGE.finditer(text)}
    degrees = {float(m.group(1).replace(",", ".")) for m in _DEGREES.finditer(text)}
    folded = f" {normalize_name(text)} "
    for command in commands:
        if any(_near(t, percent - degrees) for t in _levels(command, _DEGREE)):
            return True
        if any(_near(level, degrees - percent) for level in _levels(command, _PERCENT)):
            return True
        item = command.data.get("item")
        if isinstance(item, str) and not holds(folded, normalize_name(item)):
            return True
    return False


# Settings a person says as a number, and the scale they say it in (volume 0.3 is "30").
SETTINGS: dict[str, float] = {
    "brightness_pct": 1, "volume_level": 100, "temperature": 1, "position": 1, "percentage": 1,
}  # fmt: skip
_DEGREE = {"temperature": 1.0}  # said in degrees
_PERCENT = {key: scale for key, scale in SETTINGS.items() if key not in _DEGREE}  # in percent
_EXTREME = re.compile(
    r"\b(max|maximum|highest|full|fully|all the way|min|minimum|lowest|least|most)\b", re.I
)
_DIGITS = re.compile(r"\d+(?:[.,]\d+)?")
# English number words, "zero" to "ninety-nine" ("twenty one" too), and the words of
# fractions and of a bare "hundred" that are not numbers in the spell-out rules.
_SPOKEN = number_words("en", range(100))
_FRACTIONS = {"hundred": 100, "half": 50, "halfway": 50, "quarter": 25, "three quarters": 75}
_WORDS = {**_SPOKEN, **_FRACTIONS}
_WORD = re.compile(
    r"\b(three quarters|"
    + words_pattern([*_SPOKEN, "hundred", "half", "halfway", "quarter"])
    + r")\b",
    re.I,
)


def said_values(text: str) -> frozenset[float] | None:
    """The numbers ``text`` says; None when it names an extreme (any value may be meant)."""
    if _EXTREME.search(text):
        return None
    values = {float(m.group(0).replace(",", ".")) for m in _DIGITS.finditer(text)}
    for match in _WORD.finditer(text):
        values.add(float(_WORDS[spoken_key(match.group(1))]))
    return frozenset(values)


# Words of a change by a step, in English (other languages through their gloss: "heller" is
# "brighten", "leiser" "turn down volume"): "a touch brighter", "I can barely hear the TV".
_N = r"(?:[\w']+ ){0,3}"  # "turn the kitchen radio up"
_STEP_WORDS = {
    "up": re.compile(
        rf"\b(brighter|brighten|louder|faster|more light|speed up|turn {_N}up|bump {_N}up|"
        r"(barely|hardly|can't|cannot|can not) hear|raise brightness|increase)\b",
        re.I,
    ),
    "down": re.compile(
        rf"\b(dim|dimmer|darker|softer|quieter|slower|less (bright|light|loud)|"
        rf"too (loud|bright|hard|fast|noisy)|slow {_N}down|turn {_N}down|tone {_N}down|"
        r"decrease|reduce)\b",
        re.I,
    ),
}


def step_direction(text: str) -> str | None:
    """ "up" or "down" when ``text`` asks for a change by a step that way and says no number
    ("a touch brighter", "the speaker's too loud"); None when it says a number, both ways or
    neither."""
    if said_values(text):
        return None
    found = [way for way, words in _STEP_WORDS.items() if words.search(text)]
    return found[0] if len(found) == 1 else None


# ("all the way" may be either end; "at least" is no extreme)
_HIGHEST = re.compile(r"\b(max|maximum|highest|full|fully|most)\b", re.I)
_LOWEST = re.compile(r"\b(min|minimum|lowest)\b", re.I)


def at_lowest(commands: tuple[Command, ...], text: str) -> tuple[Command, ...]:
    """The commands with a light "at the lowest" (``text`` says min, minimum, lowest) set to
    1% rather than 0%, which switches it off: "la lampe au minimum" is the lamp at its
    dimmest, still on."""
    if not _LOWEST.search(text) or _HIGHEST.search(text):
        return commands
    return tuple(
        Command(c.action, c.entity_ids, {**c.data, "brightness_pct": 1})
        if c.action == "light.turn_on" and c.data.get("brightness_pct") == 0
        else c
        for c in commands
    )


def misses_extreme(commands: Iterable[Command], text: str) -> bool:
    """Whether a command answers an extreme the request says ("brillo al máximo": max) with
    a step ("brighten by 20%") or with a level at the other end ("mínimo brillo" answered
    with 100%); not checked in a request of more than one action."""
    highest, lowest = bool(_HIGHEST.search(text)), bool(_LOWEST.search(text))
    if highest == lowest or _COMPOUND.search(text):
        return False
    for command in commands:
        if any("step" in key for key in command.data):
            return True
        for level in _levels(command, _PERCENT):
            if (level < 50) if highest else (level > 50):
                return True
    return False


def invents(commands: Iterable[Command], said: frozenset[float] | None) -> bool:
    """Whether a command sets a level to a number the request did not say."""
    if said is None:
        return False
    return any(
        not _near(level, said) for command in commands for level in _levels(command, SETTINGS)
    )
