"""The words of device kinds: what people call a domain's devices, the words of a device's
own names, and the verbs of requests, in English and (through the glossary) in the languages
homes are named in. :mod:`hub.tiers.grounding` reads a request with them.
"""

from __future__ import annotations

import functools

from hub.llm.glossary import best_match
from hub.registry import Device
from hub.text.fold import normalize_name

# Words that point at a domain, for choosing candidates in large homes.
DOMAIN_WORDS = {
    "light": "light lights lamp lamps bright brighter dim dimmer dark lighting",
    "switch": "switch plug socket power",
    "fan": "fan fans speed breeze",
    "cover": "blind blinds curtain curtains shade shades shutter shutters garage door window "
    "cover open close",
    "valve": "valve water tap sprinkler open close",
    "climate": "heat heating thermostat temperature warm warmer cold colder freezing hot cool ac "
    "radiator degrees",
    "lock": "lock unlock door locked",
    "media_player": "tv television music speaker volume play pause song track louder quieter mute",
    "vacuum": "vacuum clean robot hoover",
    "scene": "scene mode",
    "script": "script routine",
    "todo": "list add shopping",
}  # fmt: skip

# What people call a domain's devices: nouns only (a verb such as "switch" or "warm" says
# nothing of which device is meant).
KIND_NOUNS = {
    "light": "light lights lamp lamps lighting bulb bulbs",
    "switch": "plug socket outlet",
    "fan": "fan fans ventilator",
    "cover": "blind blinds curtain curtains shade shades shutter shutters garage door window "
    "awning gate",
    "valve": "valve tap sprinkler irrigation",
    "climate": "thermostat heating heater radiator ac aircon temperature",
    "lock": "lock door deadbolt",
    "media_player": "tv television speaker radio stereo",
    "vacuum": "vacuum hoover",
}  # fmt: skip
# Words that are not names of a kind but speak of one alone: "make it louder" is about a
# media player, "brighter" about a light.
KIND_HINTS = {
    "light": "brighter dimmer brightness red green blue yellow orange purple pink colour color",
    "media_player": "louder quieter softer volume song track music episode mute unmute",
    "climate": "heat heating",
    "valve": "watering irrigate",
}  # fmt: skip
# Words of device names that say nothing of what the device is.
GENERIC_WORDS = """the a an of and in on at my our main big small little left right upper lower
front back middle new old room one two three 1 2 3 4 all switch smart
le la les l de du des d un une au aux en et sur dans el los las del al una y con
der die das den dem ein eine im am zum zur von und mit auf het een van op il lo gli della di
dell nell sull dall"""
# (articles and prepositions of the languages homes are named in: "lumière de la cuisine"
# is not called by every "de" and "la" of a French request)
GENERIC = frozenset(GENERIC_WORDS.split())
# Words of names that requests use as verbs ("water the garden" is not about the "water valve"
# alone: the sprinkler waters it too).
VERB_WORDS = """water heat clean play start stop turn set make open close run brew cook wash dry
charge cool warm feed mow"""
VERBS = frozenset(VERB_WORDS.split())
# of those, the ones that say more than on or off
DOING = VERBS - {"turn", "set", "make", "start", "stop", "open", "close", "run"}


def stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


HINTS = {domain: frozenset(map(stem, words.split())) for domain, words in KIND_HINTS.items()}


# The nouns every device of a domain answers to ("lights on" means every light, whatever it
# is called); a media player's nouns tell a TV from a speaker, so they are not among them.
GROUP_WORDS = frozenset(
    stem(w) for domain, words in KIND_NOUNS.items() if domain != "media_player"
    for w in words.split()
)  # fmt: skip


@functools.lru_cache(maxsize=4096)
def glossed(word: str) -> tuple[str, ...]:
    """The English of a word of a name, stemmed: "cortina" gives ("curtain",)."""
    match = best_match(word)
    return tuple(stem(w) for words in match.words for w in words.split()) if match else ()


def is_group_word(word: str) -> bool:
    """Whether a word of a name is, in the language it is in, one of those nouns: "lumière"
    of "lumière du plafond" (light), "Lampe", "luces", "灯"; "plafond" is not."""
    english = glossed(word)
    return bool(english) and all(w in GROUP_WORDS for w in english)


def own_kind_words(device: Device) -> frozenset[str]:
    """What the device itself says it is: its device class and the words of its names, in
    English too ("Cortina derecha": curtain), not its domain's other nouns (a blind is not a
    curtain, though both are covers)."""
    words = {stem(w) for w in words_of_names(device)}
    words |= {e for w in words_of_names(device) for e in glossed(w)}
    if device.device_class:
        words.add(device.device_class)
    return frozenset(words - GENERIC)


def words_of_names(device: Device | None) -> set[str]:
    """Every word of the device's names, folded."""
    names = device.names if device is not None else ()
    return {w for name in names for w in normalize_name(name).split()}


def name_words(device: Device, place_words: frozenset[str]) -> frozenset[str]:
    """The words of the device's own names that say which one it is ("coffee", "machine",
    "tv" of "Smart TV"; not "light" of "Desk Light"), less the words of places and words that
    say nothing."""
    words = words_of_names(device) - place_words - GENERIC
    return frozenset(stem(w) for w in words if not is_group_word(w)) - GROUP_WORDS


def kind_words(device: Device, place_words: frozenset[str]) -> frozenset[str]:
    """What a person may call the device by its kind: the words of its names ("coffee",
    "machine"), its domain's nouns ("fan", "hoover") and its device class, less the words of
    places ("Kitchen Light" is not a kind of "kitchen") and words that say nothing."""
    words = set(KIND_NOUNS.get(device.domain, "").split())
    if device.device_class:
        words.add(device.device_class)
    words |= words_of_names(device)
    return frozenset(stem(w) for w in words - place_words - GENERIC)


KIND_STEMS = frozenset(stem(w) for words in KIND_NOUNS.values() for w in words.split())


_KINDS_ALONE = KIND_STEMS | {stem(w) for words in KIND_HINTS.values() for w in words.split()}


def kind_only(device: Device) -> bool:
    """Whether one of the device's names says nothing but its kind ("Thermostat", "TV")."""
    return any(
        words and all(stem(w) in _KINDS_ALONE for w in words)
        for words in (set(normalize_name(n).split()) - GENERIC for n in device.names)
    )
