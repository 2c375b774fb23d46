"""Is a line the model wrote about what the request names?

A request that names a device ("the coffee maker") or a place ("the garden", "downstairs")
is about that device or the devices there. A line whose devices are none of those and in none
of those places is the model reaching for something else ("water the garden" -> "start robot
vacuum"): the LLM tier asks the model again without it, and asks the person rather than act on
it. A request that names nothing the home knows is not checked: "I'm cold" may mean any
thermostat.

Names match as whole words after normalization (``hub.text.fold.holds``: in Chinese or
Japanese, anywhere), the longest first; a typo is not a mention, so it is never held against
a line. What the request says of actions and values (a number, a colour, "the next song") is
checked in ``hub.tiers.said``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from hub.messages import Command
from hub.registry import Device, Registry
from hub.text.detect import is_unspaced
from hub.text.fold import holds, normalize_name
from hub.tiers.kinds import (
    DOING,
    GENERIC,
    GROUP_WORDS,
    HINTS,
    KIND_HINTS,
    KIND_NOUNS,
    KIND_STEMS,
    VERBS,
    glossed,
    kind_only,
    kind_words,
    name_words,
    own_kind_words,
    stem,
)

# Words of a request for the whole home (and the English of its gloss: "partout", "toutes")
_WHOLE_HOME = frozenset("all every everywhere everything whole entire house".split())  # noqa: SIM905
# "all" that is not all of anything
_NOT_WHOLE = re.compile(r"\b(all right|alright|all the way|at all|that'?s all|after all)\b", re.I)


# Words of a request for the room it is said in ("alle lampen uit in deze ruimte": "here")
HERE_WORDS = re.compile(r"\b(here|this room|the room|my room|our room)\b", re.IGNORECASE)
# Domains whose entities belong to the whole home, not to a room
_HOMEWIDE = frozenset({"scene", "script", "todo", "weather"})


@dataclass(frozen=True)
class Mentions:
    """The devices and areas (a floor counts as its areas) a request names."""

    devices: frozenset[str] = frozenset()
    areas: frozenset[str] = frozenset()
    places: bool = False  # the text itself names an area or a floor
    # The devices of a kind the request names ("the coffee", "the fan", "hoover"): a line
    # about none of them contradicts the request
    kinds: frozenset[str] = frozenset()
    # The devices a word of the request's is a word of their own names for ("the TV" and the
    # Smart TV, not every media player)
    called: frozenset[str] = frozenset()
    here: str | None = None  # the area the request was made in, named or not
    nearby: frozenset[str] = frozenset()  # the devices there
    everywhere: bool = False  # the request speaks of the whole home ("all", "everywhere")
    # the home's only device of its domain, when the request names its kind ("the thermostat")
    lone: frozenset[str] = frozenset()
    # of ``kinds``, those the kind word names by their own names or class ("the curtains",
    # not the blind beside them)
    own_kinds: frozenset[str] = frozenset()
    plural: bool = False  # the request names a kind in the plural ("the curtains", "all")
    # the request says what to do beyond on and off ("water the garden", "cool the study")
    doing: bool = False
    # devices called by nothing but a place's name ("Fountain Switch" in the Fountain)
    namesakes: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.devices or self.areas)

    @classmethod
    def find(
        cls,
        text: str,
        registry: Registry,
        area: str | None = None,
        devices: Iterable[Device] | None = None,
        gloss: str | None = None,
    ) -> Mentions:
        """What ``text`` (with its English ``gloss`` beside it, if any) names of ``devices``
        (default: all) and of the places; ``area``, where the request was made, counts as
        named when something else is (a request made in the bedroom may mean the bedroom's
        lamp)."""
        chosen = list(registry.devices if devices is None else devices)
        named = _longest_named(text, chosen)
        if gloss:
            # a name the gloss carries over is not named again within a longer one the text
            # names: "l'interrupteur de la cuisine", glossed "turn on interrupteur kitchen", is
            # not also the "interrupteur"
            names = [key for e in named for key in _keys_of(e, chosen)]
            named |= {
                e for e in _longest_named(gloss, chosen)
                if not any(holds(f" {n} ", key) for n in names for key in _keys_of(e, chosen))
            }  # fmt: skip
            text = f"{text} {gloss}"
        floors, areas = _places_named(text, registry)
        areas |= {a.id for a in registry.areas if a.floor in floors}
        places = bool(floors or areas)
        if places:
            # "the thermostat in the bedroom" is not the living room's device called
            # "Thermostat": in a place named, a name that is only a kind is the kind's there
            named = frozenset(
                d.entity_id for d in chosen
                if d.entity_id in named and (d.area is None or d.area in areas or not kind_only(d))
            )  # fmt: skip
        if (named or areas) and area:
            areas.add(area)
        place_names = [*(a.names for a in registry.areas), *(f.names for f in registry.floors)]
        place_words = frozenset(
            w for names in place_names for name in names for w in normalize_name(name).split()
        )
        heard = {stem(w) for w in normalize_name(text).split()} - place_words
        said = heard - VERBS
        by_noun = frozenset(d.entity_id for d in chosen if said & kind_words(d, place_words))
        kinds = by_noun | {d.entity_id for d in chosen if heard & HINTS.get(d.domain, frozenset())}
        own_names = {d.entity_id: name_words(d, place_words) for d in chosen}
        called = frozenset(e for e, words in own_names.items() if said & words)
        nearby = frozenset(d.entity_id for d in chosen if area is not None and d.area == area)
        everywhere = bool(
            set(normalize_name(_NOT_WHOLE.sub(" ", text)).split()) & _WHOLE_HOME
        ) and not HERE_WORDS.search(text)
        domains = Counter(d.domain for d in chosen)
        lone = frozenset(e for e in by_noun if domains[e.split(".")[0]] == 1)
        own = frozenset(d.entity_id for d in chosen if said & own_kind_words(d) - place_words)
        plural = everywhere or any(
            w.endswith("s") and stem(w) in GROUP_WORDS for w in normalize_name(text).split()
        )
        doing = bool(heard & DOING)
        namesakes = frozenset(
            d.entity_id for d in chosen if d.area in areas and not own_names[d.entity_id]
        )
        return cls(
            named, frozenset(areas), places, kinds, called, area, nearby, everywhere, lone,
            own & kinds, plural, doing, namesakes,
        )  # fmt: skip

    @property
    def wanted(self) -> frozenset[str]:
        """The devices the request calls by a word of their own names ("the TV": the Smart
        TV), else those of the kinds it names; empty when it names no kind."""
        return self.called or self.kinds

    @property
    def choices(self) -> frozenset[str]:
        """The devices an answer asked again may be about: those the request wants, and of
        those the ones in the room it was made in, when it names no place or device and that
        room has some (see :meth:`strays`); empty: any device."""
        if self.places or self.devices or self.called:
            return self.wanted
        return (self.wanted & self.nearby) or self.wanted

    def fits_kinds(self, commands: Iterable[Command]) -> bool:
        """Whether the commands touch a device of a kind the request names, if it names one
        ("brew me a coffee" is not about the robot vacuum; "the fan" is not the light), and a
        device it calls by a word of its own name, if it calls one ("pause the TV" is not
        about the speaker beside it)."""
        if not self.wanted:
            return True
        return any(e in self.wanted for command in commands for e in command.entity_ids)

    def widens(self, commands: Iterable[Command]) -> bool:
        """Whether the commands reach beyond the devices the request names, by name or by
        kind, to others as well: "set the TV volume to 10" is not the whole living room's
        volume, nor is "the living room TV". A request that names a place may mean its group
        ("the living room lights")."""
        named = self.devices or self.called  # "rideau gauche" by its name, not every rideau
        if not named or (self.places and not self.called):
            return False
        touched = _touched(commands)
        return bool(touched & named) and not touched <= named

    def strays(self, commands: Iterable[Command]) -> bool:
        """Whether the commands go elsewhere when the request names no place and no device
        and was made in a room, as Home Assistant's satellites read it: "play" said in the
        bedroom is not the living room's sound system, and "lights off" is this room's lights,
        not the home's (unless it speaks of the whole home, "all the lights", taking in this
        room's too). Said in a room with no device of the kind, other rooms' devices, or
        devices in no room, are the model's guess ("pause" with a TV in no room), but not the
        home's only thermostat when the request says "the thermostat"; scenes, scripts and
        lists are in no room."""
        if self.places or self.devices or self.called or self.here is None:
            return False
        touched = {e for e in _touched(commands) if e.split(".")[0] not in _HOMEWIDE}
        if not touched:
            return False
        here = {e.split(".")[0] for e in self.nearby if not self.kinds or e in self.kinds}
        if any(e.split(".")[0] in here for e in touched):
            if self.everywhere:
                return not touched & self.nearby
            return not touched <= self.nearby
        return not self.everywhere and not touched <= self.lone

    def pins(self, commands: Iterable[Command], registry: Registry) -> bool:
        """Whether the request leaves the commands no choice of device: they touch exactly
        the devices it names by name, or else exactly those it calls by a word of their own
        names ("the TV": the Smart TV, not the speaker beside it), or else exactly the devices
        of the kinds it names ("the sprinklers", "the bedroom thermostat"); always within the
        place it names, if it names one, else in the whole home, where a word or a kind pins
        only the home's one device of it, or the one device of it in the room the request was
        made in ("turn on the heating" said in the bedroom: the bedroom's thermostat). Such
        an answer is not doubted because the model wanted to write something the home has no
        line for (the kind-only retry, "the temperature" for "the thermostat")."""
        touched = _touched(commands)
        if not touched:
            return False

        def local(entity_ids: Iterable[str]) -> set[str]:
            if not self.places:
                return set(entity_ids)
            return {e for e in entity_ids if _area_of(registry, e) in self.areas}

        if local(touched) != touched:  # "the thermostat in the guest house" is not elsewhere
            return False
        if touched == self.devices:
            return True
        pool = local(self.called) or local(self.kinds)
        if self.places and not (self.called or self.kinds):
            # a place alone ("éteins dans l'entrée", "switch off the bedroom"): all of its
            # devices of the kind the commands touch
            kin = {e.split(".")[0] for e in touched}
            named = self.areas - {self.here} or self.areas  # not the room it was said in
            pool = {d.entity_id for d in registry.devices
                    if d.area in named and d.domain in kin}  # fmt: skip
        if self.places:
            return touched == pool
        # with no place named, a kind pins only one device of it: "the outdoor lights" are not
        # every light of the home
        if len(pool) > 1 and self.here is not None:
            pool = {e for e in pool if _area_of(registry, e) == self.here}
        return touched == pool and len(pool) == 1

    def beyond_lights(self, commands: Iterable[Command]) -> bool:
        """Whether a place named alone and switched on or off ("allume la cuisine", "switch
        off the master bedroom") is answered with something other than its lights: as Home
        Assistant reads it, a room switched on is its lights, not the coffee machine's plug."""
        if not self.places or self.devices or self.called or self.kinds or self.doing:
            return False
        return any(
            c.service in ("turn_on", "turn_off")
            and c.domain not in ("light", *_HOMEWIDE)
            and not set(c.entity_ids) <= self.namesakes
            for c in commands
        )

    def left_out(self, commands: Iterable[Command], registry: Registry) -> frozenset[str]:
        """The devices the commands leave out of those the request names by their kind in a
        place, when they touch some of them only: "sluit in de woonkamer de gordijnen" (close
        the curtains in the living room) answered with the left curtain alone leaves out the
        right one. Home Assistant reads a kind in a place as all of it there; with no place
        named, the place is the room the request was said in. Empty when the request names a
        device, or a word of one's own name ("the left curtain"), or no kind."""
        touched = _touched(commands)
        if not touched or self.devices or self.called or not self.kinds:
            return frozenset()
        if self.places:
            named = self.areas - {self.here} or self.areas
        elif self.here is not None and not self.everywhere:
            named = frozenset({self.here})
        else:
            return frozenset()
        kin = {e.split(".")[0] for e in touched}
        pool = {e for e in self.kinds if e.split(".")[0] in kin and _area_of(registry, e) in named}
        if kin == {"cover"}:  # a curtain is not a blind, though both are covers
            pool = (pool & self.own_kinds) or pool
        if not touched < pool:
            return frozenset()
        return frozenset(pool - touched)

    def grounds(self, commands: Iterable[Command], registry: Registry) -> bool:
        """Whether the commands touch a named device, a device in a named place, a scene or
        script (in no place), or a device with no place (a whole-home thermostat) when the
        request names no place or calls it by its own word: "la musique dans le salon" is not
        the TV in no room, though "the thermostat" or "the TV in the lounge" may be."""
        if not self:
            return True
        for command in commands:
            for entity_id in command.entity_ids:
                device = registry.device(entity_id)
                if device is None or entity_id in self.devices:
                    return True
                loose = not self.places or entity_id in self.called or device.domain in _HOMEWIDE
                if device.area is None and loose:
                    return True
                if device.area is not None and device.area in self.areas:
                    return True
        return False


# Words that never name a place alone, though places' names hold them: "the tv" is not the
# TV Room, "turn on" not the Turn Room
_NOT_PLACE_WORDS = (
    GENERIC | VERBS
    | {w for words in (*KIND_NOUNS.values(), *KIND_HINTS.values()) for w in words.split()}
    | {"floor", "house", "home", "area", "zone", "level", "side"}
)  # fmt: skip


def _places_named(text: str, registry: Registry) -> tuple[set[str], set[str]]:
    """The floors and areas ``text`` names, the longest names first: "the guest bedroom" is
    not also "the bedroom"; then a word only one place's name holds ("the porch")."""
    keys: dict[str, list[tuple[bool, str]]] = {}
    for floor in registry.floors:
        for name in floor.names:
            keys.setdefault(normalize_name(name), []).append((True, floor.id))
    for area in registry.areas:
        for name in area.names:
            keys.setdefault(normalize_name(name), []).append((False, area.id))
    found, words = _longest_first(text, keys)
    floors: set[str] = set()
    areas: set[str] = set()
    for key in found:
        for is_floor, place in keys[key]:
            (floors if is_floor else areas).add(place)
    # a word of one place's name alone, and of no other's: "the porch" is the Wrap-Around
    # Porch; "the bedroom" beside a Guest and a Master Bedroom is none of them
    by_word: dict[str, set[tuple[bool, str]]] = {}
    for key, places in keys.items():
        for word in key.split():
            by_word.setdefault(word, set()).update(places)
    for word in set(words.split()) - _NOT_PLACE_WORDS:
        owners = by_word.get(word, set())
        if len(owners) == 1 and len(word) > 2:
            is_floor, place = next(iter(owners))
            (floors if is_floor else areas).add(place)
        for is_floor, place in _compound_place(word, keys):
            (floors if is_floor else areas).add(place)
    return floors, areas


def _compound_place(word: str, keys: dict[str, list[tuple[bool, str]]]) -> list[tuple[bool, str]]:
    """The place a German or Dutch compound of a place and a kind names: "keukenlampen" (the
    kitchen's lamps) names the Keuken, "Wohnzimmerlicht" the Wohnzimmer."""
    for key, places in keys.items():
        rest = word[len(key) :]
        if " " in key or len(key) < 4 or len(rest) < 3 or not word.startswith(key):
            continue
        english = glossed(rest)
        if english and all(w in KIND_STEMS for w in english):
            return places
    return []


def _longest_named(text: str, devices: Iterable[Device]) -> frozenset[str]:
    """The devices ``text`` names by a whole name, the longest names first: "the desk lamp"
    names the Desk Lamp, not also the Lamp; "主卧室灯" the 主卧室灯, not the 卧室灯."""
    owners: dict[str, set[str]] = {}
    for device in devices:
        for key in map(normalize_name, device.names):
            if key:
                owners.setdefault(key, set()).add(device.entity_id)
    found, _ = _longest_first(text, owners)
    return frozenset(e for key in found for e in owners[key])


def _keys_of(entity_id: str, devices: Iterable[Device]) -> list[str]:
    return [normalize_name(n) for d in devices if d.entity_id == entity_id for n in d.names]


def _longest_first(text: str, keys: Iterable[str]) -> tuple[list[str], str]:
    """The name keys ``text`` holds, the longest first, each taken out of it as it is found
    (so "the guest bedroom" is not also "the bedroom"); and the words of ``text`` left."""
    words = f" {normalize_name(text)} "
    found = []
    for key in sorted((k for k in keys if k), key=len, reverse=True):
        if holds(words, key):
            found.append(key)
            words = words.replace(f" {key} ", " \0 ")
            if is_unspaced(key):
                words = words.replace(key, " \0 ")
    return found, words


def _touched(commands: Iterable[Command]) -> set[str]:
    """The entity ids the commands act on."""
    return {e for command in commands for e in command.entity_ids}


def _area_of(registry: Registry, entity_id: str) -> str | None:
    device = registry.device(entity_id)
    return device.area if device is not None else None
