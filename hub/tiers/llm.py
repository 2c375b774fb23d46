"""The LLM tier: what the templates miss, answered by a small model that cannot go off the rails.

The model writes lines of the command language generated from the live registry (see
``hub.llm.command_language``): it can only name devices that exist, verbs their domain has and
settings
their features allow. Each line maps back to exact commands; the validator checks the values, and
a refused line is excluded and the model asked once more. A home with more devices than
``max_candidates`` is shown whole, in one prompt in a stable order, when that fits the model's
context (``model.context``): its prefix is evaluated once per version of the home. Only when it
does not fit are the devices the request mentions (names, areas, floors, kinds; fuzzy) chosen
first, and only they shown to the model: a prompt of its own per set of candidates.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from hub.errors import HubError
from hub.llm import glossary
from hub.llm.backend import NO_NUMBER, Prompt
from hub.llm.command_language import DOMAIN_FORMS, NOTHING, CommandLanguage, build_language
from hub.llm.lines import LineAnswer, LineModel, touches_only
from hub.llm.prompt import build_prompt, user_message
from hub.messages import Command, ErrorInfo, Request
from hub.registry import Device, Registry
from hub.replies import describe
from hub.text.fold import normalize_name
from hub.tiers.base import TierResult
from hub.tiers.grounding import HERE_WORDS, Mentions
from hub.tiers.kinds import DOMAIN_WORDS
from hub.tiers.said import (
    at_lowest,
    contradicts,
    ignores,
    invents,
    is_compound,
    misreads,
    misses_extreme,
    said_values,
    step_direction,
    unsaid_choice,
)
from hub.validator import validate

log = logging.getLogger(__name__)

NO_ACTION_REPLY = "I can't help with that here."
NOT_SURE_REPLY = "Sorry, I'm not sure what you want me to do."


@dataclass(frozen=True)
class _Context:
    key: str
    language: CommandLanguage
    prompt: Prompt


class LLMTier:
    name = "llm"

    def __init__(
        self,
        model_factory: Callable[[], LineModel],
        *,
        max_candidates: int = 40,
        min_confidence: float = 0.0,
        min_coverage: float = 0.0,
    ) -> None:
        self._factory = model_factory
        self._model: LineModel | None = None
        self._load_lock = threading.Lock()
        self._contexts: dict[str, _Context] = {}
        self._too_large: set[str] = set()  # registry versions whose whole home did not fit
        self.max_candidates = max_candidates
        self.min_confidence = min_confidence
        self.min_coverage = min_coverage

    # -- model ------------------------------------------------------------------------------
    def model(self) -> LineModel:
        with self._load_lock:
            if self._model is None:
                self._model = self._factory()
            return self._model

    def load(self) -> None:
        """Load the model (see :meth:`warm` for its prompt)."""
        self.model()

    def warm(self, registry: Registry) -> None:
        """Load the model and evaluate the fixed prompt, and read the glossaries, so the first
        request is fast."""
        context = self._context(registry, None)
        self.model().warm(context.prompt, context.language, context.key)
        context.language.meanings()  # a retry's synonyms, so no request waits for them
        for code in glossary.available():
            glossary.load(code)

    # -- requests ---------------------------------------------------------------------------
    def handle(self, request: Request, registry: Registry) -> TierResult | None:
        try:
            # Places and candidates are found in the request and its English gloss
            # ("dormitorio" -> "bedroom"): the home's names are usually in one language.
            english = glossary.gloss(request.text)
            words = f"{request.text} {english}" if english else request.text
            context = self._context(registry, words)
            area = registry.area(request.area)
            prompt = replace(
                context.prompt, user=user_message(request.text, area.name if area else None)
            )
            model = self.model()
            actionable = [d for d in registry.devices if _actionable(d)]
            mentions = Mentions.find(request.text, registry, request.area, actionable, english)
            said = said_values(words)
            # A request that names a room or floor ("all the lights in here") never means the
            # whole home: those lines are left out, so "all" cannot pull the model there.
            local = mentions.places or bool(request.area and HERE_WORDS.search(words))
            answer = model.answer(prompt, context.language, context.key, local=local)
            commands, refused, doubtful = self._read(
                answer, context.language, registry, mentions, said, words
            )
            # "a touch brighter" answered with a level, or with nothing: asked again for a step
            direction = step_direction(words)
            if refused or doubtful or (direction and not commands):
                # a doubted line in every wording ("next track on tv" is "skip tv" too)
                synonyms = {x for line in doubtful for x in context.language.synonyms(line)}
                # and an action a word of the request speaks against on every device ("the
                # previous song" answered with the next track is not asked again for another
                # speaker's next track)
                synonyms |= _contradicted(context.language, doubtful, words, registry)
                banned = frozenset(refused | synonyms | {_any_level(line) for line in doubtful})
                if said == frozenset() and any(_LEVEL.match(line) for line in doubtful):
                    # "make it louder" answered "set speaker volume to 30": the request says no
                    # number, so no level of any device will do ("make speaker louder" will)
                    banned |= {NO_NUMBER}
                # asked again, the model may only write lines about the devices the request
                # calls or of the kinds it names (in this room, if it names none): "turn on
                # the heating" answered with a light, "make it louder" asked again without
                # levels, are not answered with a lamp nor with another room's speaker
                only = mentions.choices or None
                within = _steps(context.language, direction, only) if direction else None
                log.info(
                    "Asking the model again without %s%s%s",
                    _few(banned),
                    f", about {sorted(only)} only" if only else "",
                    f", for a step {direction} only" if within else "",
                )
                answer = model.answer(
                    prompt,
                    context.language,
                    context.key,
                    local=local,
                    refused=banned,
                    only=only,
                    within=within,
                )
                commands, refused, again = self._read(
                    answer, context.language, registry, mentions, said, words
                )
                doubtful.update(again)
        except HubError as exc:
            log.error("LLM tier unavailable: %s", exc)
            return TierResult(
                reply=f"The language model is unavailable: {exc}",
                error=ErrorInfo(exc.code, str(exc)),
            )
        detail = (
            f"{answer.raw!r} conf={answer.confidence:.2f} cover={answer.coverage:.3f} "
            f"gen={answer.generated_tokens} eval={answer.evaluated_tokens}"
        )
        if not commands and doubtful:  # only lines about something the request did not name
            guess = [c for line in doubtful.values() for c in line]
            return TierResult(
                reply=_unsure(guess, registry), question=True, detail=detail, suggested=tuple(guess)
            )
        # A low coverage says the model wanted to write something the home has no line for,
        # perhaps a device it does not have; not when the request pins the devices itself.
        doubted = answer.coverage < self.min_coverage and not mentions.pins(commands, registry)
        unsure = answer.confidence < self.min_confidence or doubted
        if commands and unsure:
            if answer.coverage < self.min_coverage / 10:  # far off: a guess is no help
                return TierResult(reply=NOT_SURE_REPLY, question=True, detail=detail)
            return TierResult(
                reply=_unsure(commands, registry),
                question=True,
                detail=detail,
                suggested=tuple(commands),
            )
        return TierResult(
            commands=tuple(commands),
            reply="" if commands else NO_ACTION_REPLY,
            detail=detail,
            no_action=not commands,
        )

    def _read(
        self,
        answer: LineAnswer,
        language: CommandLanguage,
        registry: Registry,
        mentions: Mentions,
        said: frozenset[float] | None,
        words: str,
    ) -> tuple[list[Command], set[str], dict[str, tuple[Command, ...]]]:
        """The commands of the lines; the lines refused (outside the language or invalid);
        the doubtful lines (see hub.tiers.said and hub.tiers.grounding): those that set a
        level the request never says, or leave out one or a colour it says ("à 50%" answered
        with the lamp on), or answer an extreme with a step or the other end, or read a
        percentage as degrees; those whose action a word of the request speaks against ("the
        next song" answered with the previous track); those that reach beyond the device it
        calls or the room it was said in ("play" said in the bedroom); those about no device
        of a kind it names ("the fan" answered with a light); and the valid lines about
        nothing the request names, when no line is about something it names ("the telly"
        beside "the bedroom" is kept)."""
        valid: dict[str, tuple[Command, ...]] = {}
        refused: set[str] = set()
        invented: dict[str, tuple[Command, ...]] = {}
        grounded = kind = False
        elsewhere: list[str] = []  # valid lines about nothing the request names
        for line in dict.fromkeys(" ".join(x.split()) for x in answer.lines):
            if not line or line == NOTHING:
                continue
            parsed = language.parse(line)
            if parsed is not None:
                parsed = at_lowest(parsed, words)
            if parsed is None:
                log.warning("The model wrote a line outside the command language: %r", line)
                refused.add(line)
            elif not all(validate(c, registry).ok for c in parsed):
                refused.add(line)
            elif (grouped := _whole_group(parsed, mentions, registry)) is None:
                invented[line] = parsed  # "the curtain": one of the two in the room
            elif (
                invents(parsed := grouped, said)
                or unsaid_choice(parsed, words)
                or contradicts(parsed, words, registry)
                or ignores(parsed, words, registry)
                or misses_extreme(parsed, words)
                or misreads(parsed, words)
                or mentions.widens(parsed)
                or mentions.strays(parsed)
                or mentions.beyond_lights(parsed)
            ):
                invented[line] = parsed
            else:
                valid[line] = parsed
                if mentions.grounds(parsed, registry):
                    grounded = True
                else:
                    elsewhere.append(line)
                kind = kind or mentions.fits_kinds(parsed)
        if grounded and mentions.places and not is_compound(words):
            # "secure the door in the kitchen" answered with the kitchen's lock and the garage
            # door: one request about one place, so the line about elsewhere is doubted
            for line in elsewhere:
                invented[line] = valid.pop(line)
        if invented:
            log.info(
                "The model wrote %s, which the request speaks against (a number it never "
                "says or one it leaves out, an action, more devices than it names, another "
                "room's device)",
                sorted(invented),
            )
        commands = [c for parsed in valid.values() for c in parsed]
        if commands and not kind:  # "the fan" answered with a light: the wrong kind
            log.info("The model wrote %s, of no kind the request names", sorted(valid))
            return [], refused, valid | invented
        if grounded or not commands:  # the answer is about what was named (or names nothing)
            return commands, refused, invented
        log.info("The model wrote %s, about nothing the request names", sorted(valid))
        return [], refused, valid | invented

    # -- prompt and language per registry (and candidates) ---------------------------------
    def _context(self, registry: Registry, text: str | None) -> _Context:
        actionable = [d for d in registry.devices if _actionable(d)]
        if len(actionable) > self.max_candidates:
            whole = self._whole_home(registry, actionable)
            if whole is not None:
                return whole
        if len(actionable) > self.max_candidates and text is not None:
            actionable = choose_candidates(registry, actionable, text, self.max_candidates)
            ids = ",".join(sorted(d.entity_id for d in actionable))
            key = f"{registry.version}:{hashlib.sha256(ids.encode()).hexdigest()[:12]}"
        elif len(actionable) > self.max_candidates:
            actionable = actionable[: self.max_candidates]
            key = f"{registry.version}:first"
        else:
            key = registry.version
        context = self._contexts.get(key)
        if context is None:
            context = self._remember(_make_context(key, registry, actionable))
        return context

    def _remember(self, context: _Context) -> _Context:
        if len(self._contexts) > 16:
            self._contexts.clear()
        self._contexts[context.key] = context
        return context

    def _whole_home(self, registry: Registry, actionable: list[Device]) -> _Context | None:
        """A large home's one prompt: every device, in a stable order (by area, then name),
        when it fits the model's context. Its prefix is evaluated once per version of the home
        (at warm-up, and saved across restarts), so no request pays for a prompt of its own;
        choosing candidates per request gave each new set of devices seconds of prompt to
        evaluate. None when it does not fit: then each request shows the model its candidates.
        """
        key = f"{registry.version}:home"
        if key in self._contexts:
            return self._contexts[key]
        if registry.version in self._too_large:
            return None
        started = time.perf_counter()
        context = _make_context(key, registry, home_layout(registry, actionable))
        if not self.model().fits(context.prompt):
            log.warning(
                "The home's %d devices do not fit the model's context: each request shows the "
                "model the %d it most likely means instead, which costs seconds of prompt per "
                "new set of devices (raise model.context to show them all)",
                len(actionable),
                self.max_candidates,
            )
            if len(self._too_large) > 16:
                self._too_large.clear()
            self._too_large.add(registry.version)
            return None
        log.info(
            "The model is shown all %d devices of the home in one prompt (%d lines, built in "
            "%.0f ms)",
            len(actionable),
            len(context.language.lines),
            (time.perf_counter() - started) * 1000,
        )
        return self._remember(context)


def _make_context(key: str, registry: Registry, devices: Sequence[Device]) -> _Context:
    language = build_language(registry, devices)
    return _Context(key, language, build_prompt(registry, devices, language))


def home_layout(registry: Registry, devices: Sequence[Device]) -> list[Device]:
    """Devices by area (in the home's order of areas, devices without one last), then by name:
    the same prompt whatever order discovery learnt them in."""
    order = {area.id: i for i, area in enumerate(registry.areas)}
    return sorted(
        devices,
        key=lambda d: (order.get(d.area or "", len(order)), normalize_name(d.name), d.entity_id),
    )


_LEVEL = re.compile(r"^(.*\bto) -?\d+(?:\.\d+)?(?:%|°| percent| degrees(?: celsius)?)?$")
_MODE = re.compile(r"^(.* mode to) [a-z_]+$")


def _any_level(line: str) -> str:
    """What a retry refuses for a doubted line: a level line ("set tv volume to 30") refuses
    every level of its setting, or the model would only move to the next number; a mode line
    every mode."""
    level = _LEVEL.match(line) or _MODE.match(line)
    return f"{level.group(1)} *" if level else line


def _few(lines: frozenset[str], shown: int = 6) -> str:
    """Some of ``lines`` for the log: a refused action may be hundreds of lines."""
    first = sorted(lines)[:shown]
    more = f" and {len(lines) - shown} more" if len(lines) > shown else ""
    return f"{first}{more}"


def _steps(
    language: CommandLanguage, direction: str, only: frozenset[str] | None
) -> frozenset[str] | None:
    """The lines that step a level ``direction`` (of the devices ``only``, when given); None
    when there are none ("turn the heating down": a thermostat has no step line), so the
    retry is not held to them."""
    steps = frozenset(
        line
        for line in language.steps(direction)
        if only is None or touches_only(language.lines[line], only)
    )
    return steps or None


def _contradicted(
    language: CommandLanguage,
    doubtful: dict[str, tuple[Command, ...]],
    words: str,
    registry: Registry,
) -> set[str]:
    """Every line with an action of a doubted line that a word of the request speaks against."""
    actions = {
        c.action for commands in doubtful.values() for c in commands
        if contradicts((c,), words, registry)
    }  # fmt: skip
    if not actions:
        return set()
    return {
        line
        for line, commands in language.lines.items()
        if any(c.action in actions for c in commands)
    }


def _actionable(device: Device) -> bool:
    return device.domain in DOMAIN_FORMS


def choose_candidates(
    registry: Registry, devices: Sequence[Device], text: str, limit: int
) -> list[Device]:
    """The devices a request most likely means: names, areas, floors and kinds it mentions."""
    words = normalize_name(text).split()
    scores: dict[str, float] = {}
    for device in devices:
        score = 0.0
        names = [normalize_name(n) for n in device.names]
        area = registry.area(device.area)
        places = [normalize_name(n) for n in area.names] if area else []
        floor = registry.floor(area.floor) if area else None
        places += [normalize_name(n) for n in floor.names] if floor else []
        for name in names:
            score = max(score, 3 * _overlap(words, name.split()))
        for place in places:
            score += 1.5 * _overlap(words, place.split())
        score += _overlap(words, DOMAIN_WORDS.get(device.domain, "").split())
        scores[device.entity_id] = score
    ranked = sorted(devices, key=lambda d: -scores[d.entity_id])
    return ranked[:limit]


def _overlap(words: Sequence[str], target: Sequence[str]) -> float:
    """How much of ``target`` the words cover, allowing typos (fuzzy word match)."""
    if not target:
        return 0.0
    hits = 0.0
    for part in target:
        best = max((difflib.SequenceMatcher(None, w, part).ratio() for w in words), default=0.0)
        if best >= 0.8:
            hits += best
    return hits / len(target)


def _unsure(commands: Sequence[Command], registry: Registry) -> str:
    return f"I'm not sure. Did you mean: {describe(commands, registry)}"


def _whole_group(
    parsed: tuple[Command, ...],
    mentions: Mentions,
    registry: Registry,
) -> tuple[Command, ...] | None:
    """The commands of a line, taking in the devices of the kind the request names in a place
    that the line leaves out (see :meth:`Mentions.left_out`): "close the curtains in the
    living room" is both of its curtains, as Home Assistant reads it. None (doubt the line)
    when the request names the kind once ("the curtain", one of two), or the devices are
    locks, or the commands do not all do one thing the others can do too."""
    missing = mentions.left_out(parsed, registry)
    if not missing:
        return parsed
    if not mentions.plural or len({(c.action, tuple(sorted(c.data.items()))) for c in parsed}) > 1:
        return None
    first = parsed[0]
    if first.domain == "lock":
        return None
    added = tuple(replace(first, entity_ids=(e,)) for e in sorted(missing))
    if not all(validate(c, registry).ok for c in added):
        return None
    return parsed + added
