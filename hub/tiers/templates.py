"""The template tier: hassil sentence templates, Home Assistant's and the project's own.

For each configured language it loads the ``home-assistant-intents`` templates, merges the
project's ``intents/<lang>/*.yaml`` (hassil format) on top, and recognizes requests against
slot lists built from the registry (device names and aliases, areas, floors). A recognized
intent is turned into commands by ``hub.tiers.ha_intents``. Deterministic, milliseconds.

A request that none of them match and that reads as another language (by the LLM tier's
glossaries: de, es, fr, it, ja, ko, nl, pt, zh) loads that language's templates on first use,
unless ``languages_on_demand`` is off: a home named in German answers German requests here,
without a model, even when the config only says ``languages: [en]``.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hub.errors import ConfigError
from hub.messages import Request
from hub.registry import Registry
from hub.tiers.base import TierResult
from hub.tiers.fastmatch import FastMatcher, Miss
from hub.tiers.ha_intents import HANDLED_INTENTS, handle_intent

_LOGGER = logging.getLogger(__name__)

# Project templates: <repo>/intents/<lang>/*.yaml
PROJECT_INTENTS_DIR = Path(__file__).resolve().parents[2] / "intents"
# Our own templates win over Home Assistant's when both match.
CUSTOM_METADATA_KEY = "hub_custom"


@dataclass
class _Language:
    code: str
    intents: Any  # hassil.Intents
    slot_lists: dict[str, Any] | None = None
    registry_version: str | None = None
    matcher: FastMatcher | None = None  # built by warm(): ~1 s, then ~1 ms a request
    on_demand: bool = False  # not configured; loaded for a request that read as it


class TemplateTier:
    """Recognizes requests with hassil; a miss returns None so the next tier can try."""

    name = "template"

    def __init__(
        self, languages: Sequence[str], extra_dirs: Iterable[Path] = (), *, on_demand: bool = True
    ) -> None:
        self.languages = tuple(languages)
        self.on_demand = on_demand
        self._dirs = [PROJECT_INTENTS_DIR, *extra_dirs]
        self._langs = [_Language(code, load_intents(code, self._dirs)) for code in self.languages]
        self._lock = threading.Lock()
        self._tried: set[str] = set(self.languages)  # codes loaded, or found to have none

    def handle(self, request: Request, registry: Registry) -> TierResult | None:
        for lang in self._ordered(request.language):
            result = self._recognize(lang, request, registry)
            if result is not None:
                return result
        other = self._other_language(request.text, registry) if self.on_demand else None
        return self._recognize(other, request, registry) if other is not None else None

    def _recognize(
        self, lang: _Language, request: Request, registry: Registry
    ) -> TierResult | None:
        from hassil import recognize_best

        slot_lists, matcher = self._prepare(lang, registry, build_matcher=False)
        context: dict[str, Any] = {}
        area = registry.area(request.area)
        if area is not None:
            context["area"] = {"value": area.id, "text": area.name}
        found = matcher.lookup(request.text, context or None) if matcher is not None else None
        if found is Miss.NO_MATCH:
            return None
        if found is None:
            result = recognize_best(
                request.text,
                lang.intents,
                slot_lists=slot_lists,
                intent_context=context or None,
                language=lang.code,
                best_metadata_key=CUSTOM_METADATA_KEY,
                best_slot_name="name",
            )
            if result is None:
                return None
            intent = result.intent.name
            slots = {name: entity.value for name, entity in result.entities.items()}
        else:
            intent, slots = found.intent, found.slots
        _LOGGER.debug("%s: %s %s", lang.code, intent, slots)
        answer = handle_intent(intent, slots, registry, request)
        if answer is None:
            return None
        if lang.on_demand and not answer.commands and not answer.question:
            # a language we were not told of may name the device otherwise ("porte" for a
            # garage door): its "There is no door in the Garage" is not said at all
            return None
        return TierResult(
            commands=answer.commands,
            reply=answer.reply,
            question=answer.question,
            language=lang.code,
            detail=f"{intent} {slots}",
            choices=answer.choices,
            # "There is no door in the Garage" when the garage door is called "Main Opener":
            # the model may still read the request right; if it cannot, this reply stands
            no_action=answer.unresolved,
        )

    def defers(self, request: Request) -> bool:
        """Whether answering ``request`` would first load a language's templates (1.5-6 s):
        the daemon's fast lane then hands it to the model's thread, so that no request
        behind it waits for the load."""
        if not self.on_demand:
            return False
        code = self._reads_as(request.text)
        with self._lock:
            return code is not None and code not in self._tried

    @staticmethod
    def _reads_as(text: str) -> str | None:
        """The template language ``text`` reads as, if any."""
        from hub.llm.glossary import best_match

        match = best_match(text)
        return _intents_code(match.language) if match is not None else None

    def _other_language(self, text: str, registry: Registry) -> _Language | None:
        """The templates of the language ``text`` reads as, when it is none of ours: loaded
        (1.5-6 s here) the first time a request in it comes."""
        code = self._reads_as(text)
        if code is None:
            return None
        with self._lock:
            if code in self._tried:  # ours, loaded before (tried already), or without any
                return None
            self._tried.add(code)
        started = time.monotonic()
        try:
            lang = _Language(code, load_intents(code, self._dirs), on_demand=True)
        except ConfigError as exc:
            _LOGGER.warning("A request in %s, but its templates do not load: %s", code, exc)
            return None
        self._prepare(lang, registry, build_matcher=True)
        with self._lock:
            self._langs.append(lang)
        _LOGGER.info(
            "A request in %s: loaded its sentence templates in %.1f s (languages_on_demand)",
            code,
            time.monotonic() - started,
        )
        return lang

    def warm(self, registry: Registry) -> None:
        """Build the slot lists and the fast matcher now, so requests never wait for them."""
        for lang in self._langs:
            self._prepare(lang, registry, build_matcher=True)

    def _ordered(self, language: str | None) -> list[_Language]:
        if language is None:
            return self._langs
        return sorted(self._langs, key=lambda lang: lang.code != language)

    def _prepare(
        self, lang: _Language, registry: Registry, *, build_matcher: bool
    ) -> tuple[dict[str, Any], FastMatcher | None]:
        """Slot lists (and the fast matcher, once warmed) for this registry version.

        A request (``build_matcher`` False) never builds the matcher: for a new version of the
        home it makes the slot lists and matches with hassil alone (milliseconds) until
        ``warm`` has built the matcher (about a second for hundreds of devices), which the
        daemon does on another thread. The matcher is built outside the lock and swapped in,
        so requests meanwhile never wait for it."""
        with self._lock:
            if lang.slot_lists is None or lang.registry_version != registry.version:
                lang.slot_lists = build_slot_lists(registry)
                lang.registry_version = registry.version
                lang.matcher = None  # it knows the old names
            if not build_matcher or lang.matcher is not None:
                return lang.slot_lists, lang.matcher
            slot_lists = lang.slot_lists
        matcher = FastMatcher(lang.intents, slot_lists, lang.code)
        with self._lock:
            if lang.slot_lists is slot_lists and lang.matcher is None:  # still this version
                lang.matcher = matcher
            return lang.slot_lists, lang.matcher


def build_slot_lists(registry: Registry) -> dict[str, Any]:
    """The ``name``, ``area`` and ``floor`` lists that templates refer to."""
    from hassil.intents import TextSlotList

    names: list[tuple[str, Any, dict[str, Any]]] = []
    for device in registry.devices:
        context = {"domain": device.domain}
        if device.device_class:
            context["device_class"] = device.device_class
        for name in dict.fromkeys(device.names):
            names.append((name, name, context))
    areas = [(name, area.id) for area in registry.areas for name in dict.fromkeys(area.names)]
    floors = [(name, floor.id) for floor in registry.floors for name in dict.fromkeys(floor.names)]
    return {
        "name": TextSlotList.from_tuples(names, allow_template=False),
        "area": TextSlotList.from_tuples(areas, allow_template=False),
        "floor": TextSlotList.from_tuples(floors, allow_template=False),
    }


def _intents_code(language: str) -> str | None:
    """home-assistant-intents' code for a glossary's language ("zh" -> "zh-CN"), if it has one."""
    from home_assistant_intents import get_languages

    known = get_languages()
    if language in known:
        return language
    return next((k for k in known if k.split("-")[0] == language), None)


def load_intents(language: str, dirs: Sequence[Path]) -> Any:
    from hassil import Intents
    from hassil.util import merge_dict
    from home_assistant_intents import get_intents

    base = get_intents(language)
    own = [
        f for d in dirs for f in sorted((d / language).glob("*.yaml")) if (d / language).is_dir()
    ]
    if base is None and not own:
        raise ConfigError("languages", f"no sentence templates for language {language!r}")
    data: dict[str, Any] = {"language": language, "intents": {}}
    if base is not None:
        data = copy.deepcopy(base)
        data["intents"] = {k: v for k, v in data["intents"].items() if k in HANDLED_INTENTS}
    for file in own:
        try:
            extra = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError("intents", f"cannot load {file}: {exc}") from None
        for intent in (extra.get("intents") or {}).values():
            for entry in intent.get("data", []):
                entry.setdefault("metadata", {})[CUSTOM_METADATA_KEY] = True
        merge_dict(data, extra)
    try:
        intents = Intents.from_dict(data)
    except Exception as exc:  # hassil raises plain exceptions on bad templates
        raise ConfigError("intents", f"bad sentence templates for {language}: {exc}") from None
    _LOGGER.info(
        "Loaded %d intents for %s (%d project template files)",
        len(intents.intents),
        language,
        len(own),
    )
    return intents
