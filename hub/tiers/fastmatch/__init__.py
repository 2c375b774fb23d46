"""A fast path for the template tier: hassil's sentence templates compiled to regular expressions.

hassil's matcher walks every sentence template of every intent character by character, in
Python, for every request: about 17 ms a sentence on the English set, although nearly every
template fails on its first word. A compiled regular expression can tell that in a microsecond.

So each sentence template is compiled once (``compiler``) to a regex that accepts a *superset*
of the texts hassil's matcher accepts. A template whose regex rejects every text hassil would
try (with and without skip words) provably cannot produce a result. hassil itself then runs,
through its public ``recognize_best``, on only the templates that survive -- usually one to
three -- kept in their original order.

The answer is therefore hassil's own: slot values, context-filled and fixed ``slots:``, number
words, the ranking between several parses of one sentence. Nothing of that is re-implemented;
the regexes only decide what hassil may skip. A regex that is too loose costs time; one that
is not a superset would cost correctness, which the tests check against hassil.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from hassil.expression import ListReference, Sentence, Sequence
from hassil.intents import Intent, IntentData, Intents, SlotList, WildcardSlotList
from hassil.recognize import recognize_best
from hassil.util import (
    TrackedText,
    check_excluded_context,
    check_required_context,
    fold_case,
    normalize_for_matching,
    remove_skip_words_tracked,
)

from hub.tiers.fastmatch.compiler import (
    BREAK_WORDS,
    NumberWords,
    TemplateCompiler,
    Unsupported,
    first_char,
)

__all__ = ["MAX_TEXT_LENGTH", "FastMatcher", "FastResult", "Miss"]

_LOGGER = logging.getLogger(__name__)

# Longer inputs go to hassil as they are (bounds backtracking on wildcard templates).
MAX_TEXT_LENGTH = 400


@dataclass(frozen=True)
class FastResult:
    """What ``recognize_best`` would have said: the intent, its slot values and metadata."""

    intent: str
    slots: dict[str, Any]
    metadata: dict[str, Any] | None


class Miss(enum.Enum):
    """A sure "no": hassil would find nothing for the text either."""

    NO_MATCH = "no_match"


@dataclass(frozen=True)
class _Entry:
    """One sentence template, and a copy of its intent data that holds only it."""

    intent: str
    data: IntentData  # the original: recognize_all's per-intent-data checks look at it
    single: IntentData
    pattern: re.Pattern[str] | None  # None: could not compile, always a candidate
    wildcard: bool  # hassil may also try it on the texts with skip words kept at one end
    first: frozenset[str] | None  # what its texts can start with (first_char); None: any
    clauses: frozenset[frozenset[str]]  # hassil's required fragments (see _fragment_index)


class FastMatcher:
    """Finds the few templates that can match a text; hassil decides among them.

    Build a new one when the slot lists change: the patterns hold their values.
    """

    def __init__(self, intents: Intents, slot_lists: dict[str, SlotList], language: str) -> None:
        started = time.perf_counter()
        self._intents = intents
        self._slot_lists = slot_lists
        self._language = language
        self._skip_words = list(intents.skip_words)
        # Whitespace-free scripts match differently; not worth a second model of the matcher.
        self.enabled = not intents.settings.ignore_whitespace
        self._entries = tuple(self._compile()) if self.enabled else ()
        self._unkeyed, self._by_fragment = _fragment_index(self._entries)
        self.templates = len(self._entries)
        self.uncompiled = sum(1 for entry in self._entries if entry.pattern is None)
        self.compile_seconds = time.perf_counter() - started
        _LOGGER.info(
            "Compiled %d %s templates in %.2f s (%d always left to hassil)",
            self.templates,
            language,
            self.compile_seconds,
            self.uncompiled,
        )

    # -- recognition --------------------------------------------------------------------

    def recognize(
        self,
        text: str,
        intent_context: dict[str, Any] | None = None,
        *,
        best_metadata_key: str | None = "hub_custom",
        best_slot_name: str | None = "name",
    ) -> FastResult | None:
        """hassil's answer for ``text``, or None when unsure (the caller then asks hassil)."""
        answer = self.lookup(
            text,
            intent_context,
            best_metadata_key=best_metadata_key,
            best_slot_name=best_slot_name,
        )
        return None if answer is Miss.NO_MATCH else answer

    def lookup(
        self,
        text: str,
        intent_context: dict[str, Any] | None = None,
        *,
        best_metadata_key: str | None = "hub_custom",
        best_slot_name: str | None = "name",
    ) -> FastResult | Literal[Miss.NO_MATCH] | None:
        """Like ``recognize``, but ``Miss.NO_MATCH`` when hassil would find nothing either.

        That spares the caller hassil's full run on requests no template covers (the ones
        the next tier gets). None still means "not sure": the caller asks hassil.
        """
        if not self.enabled or len(text) > MAX_TEXT_LENGTH:
            return None
        entries = self._candidates(text, intent_context)
        if not entries:
            return Miss.NO_MATCH
        result = recognize_best(
            text,
            self._narrowed(entries),
            slot_lists=self._slot_lists,
            intent_context=intent_context,
            language=self._language,
            best_metadata_key=best_metadata_key,
            best_slot_name=best_slot_name,
        )
        if result is None:
            return Miss.NO_MATCH
        return FastResult(
            intent=result.intent.name,
            slots={name: entity.value for name, entity in result.entities.items()},
            metadata=result.intent_metadata,
        )

    def _candidates(self, text: str, intent_context: dict[str, Any] | None) -> list[_Entry]:
        """The templates that may match ``text``, in hassil's order.

        Cheapest filters first: hassil's own required fragments (through an index), the
        first character, hassil's per-intent-data checks, then the regex.
        """
        texts = _Texts(text, self._skip_words)
        keywords = fold_case(texts.no_skip.text).split()
        firsts = texts.firsts
        plain = texts.plain
        only = plain[0] if len(plain) == 1 else None
        admitted: dict[int, bool] = {}
        found: list[_Entry] = []
        for index in self._indices(texts.haystack):
            entry = self._entries[index]
            if firsts is not None and entry.first is not None and entry.first.isdisjoint(firsts):
                continue
            data = entry.data
            ok = admitted.get(id(data))
            if ok is None:
                ok = admitted[id(data)] = _admits(data, keywords, intent_context)
            if not ok:
                continue
            pattern = entry.pattern
            if pattern is None:
                found.append(entry)
            elif entry.wildcard:
                if any(pattern.fullmatch(candidate) for candidate in texts.wildcard()):
                    found.append(entry)
            elif only is not None:
                if pattern.fullmatch(only):
                    found.append(entry)
            elif any(pattern.fullmatch(candidate) for candidate in plain):
                found.append(entry)
        return found

    def _indices(self, haystack: str) -> list[int]:
        """Entries that hassil's fragment prefilter may let through, in order."""
        indices = set(self._unkeyed)
        for fragment, ids in self._by_fragment.items():
            if fragment in haystack:
                indices.update(ids)
        return sorted(indices)

    def _narrowed(self, entries: Iterable[_Entry]) -> Intents:
        """The intents restricted to ``entries``.

        Order is kept (intents, then intent data, then sentences), so hassil's stable sort
        breaks ranking ties the same way as over all templates.
        """
        data: dict[str, list[IntentData]] = {}
        for entry in entries:
            data.setdefault(entry.intent, []).append(entry.single)
        source = self._intents
        return Intents(
            language=source.language,
            intents={name: Intent(name=name, data=items) for name, items in data.items()},
            slot_lists=source.slot_lists,
            expansion_rules=source.expansion_rules,
            skip_words=source.skip_words,
            settings=source.settings,
        )

    # -- compilation --------------------------------------------------------------------

    def _compile(self) -> Iterable[_Entry]:
        # Merged the way recognize_all merges them.
        lists = {**self._intents.slot_lists, **self._slot_lists}
        language = self._language or self._intents.language
        words = NumberWords()
        for intent in self._intents.intents.values():
            for data in intent.data:
                rules = {**self._intents.expansion_rules, **data.expansion_rules}
                compiler = TemplateCompiler(
                    {**lists, **data.slot_lists}, rules, data, language, words
                )
                for sentence in data.sentences:
                    yield _entry(intent.name, data, sentence, compiler, lists, rules)


def _entry(
    intent: str,
    data: IntentData,
    sentence: Sentence,
    compiler: TemplateCompiler,
    lists: Mapping[str, SlotList],
    rules: dict[str, Sentence],
) -> _Entry:
    pattern: re.Pattern[str] | None = None
    first: frozenset[str] | None = None
    wildcard = True
    try:
        template = compiler.compile(sentence)
        pattern, first, wildcard = template.pattern, template.first, template.wildcard
    except (Unsupported, re.error, RecursionError) as exc:
        _LOGGER.debug("Left to hassil: %s %r (%s)", intent, sentence.text, exc)
    # recognize_all tries the skip-word variants when the first or last item is a wildcard
    # by the *global* lists; the compiler looked at the intent data's own lists.
    wildcard = wildcard or _edge_wildcard(sentence, lists)
    single = dataclasses.replace(data, sentence_texts=[sentence.text or ""])
    # IntentData.sentences is a cached_property: seed it with the sentence already parsed.
    single.__dict__["sentences"] = [sentence]
    return _Entry(
        intent=intent,
        data=data,
        single=single,
        pattern=pattern,
        wildcard=wildcard,
        # The variants with skip words kept may start differently: no first character.
        first=None if wildcard else first,
        # With the rules recognize_all gives it (hassil caches the result on the sentence).
        clauses=sentence.get_required_clauses(rules),
    )


def _fragment_index(
    entries: tuple[_Entry, ...],
) -> tuple[tuple[int, ...], dict[str, tuple[int, ...]]]:
    """Entries by one of their required-fragment clauses; those without are always tried.

    recognize_all skips a template unless, for every clause of literal fragments the
    template requires, one fragment occurs in the folded text. One clause per template is a
    weaker filter, still exact, and through this index it costs a substring test per
    fragment instead of per template. The clause used is the most selective one, judged by
    how many templates share its fragments.
    """
    shared = Counter(fragment for entry in entries for fragment in _fragments(entry))
    unkeyed: list[int] = []
    by_fragment: dict[str, list[int]] = defaultdict(list)
    for i, entry in enumerate(entries):
        if not entry.clauses:
            unkeyed.append(i)
            continue
        key = min(entry.clauses, key=lambda c: (max(shared[f] for f in c), len(c), sorted(c)))
        for fragment in key:
            by_fragment[fragment].append(i)
    return tuple(unkeyed), {fragment: tuple(ids) for fragment, ids in by_fragment.items()}


def _fragments(entry: _Entry) -> set[str]:
    return {fragment for clause in entry.clauses for fragment in clause}


def _admits(data: IntentData, keywords: list[str], intent_context: dict[str, Any] | None) -> bool:
    """The checks recognize_all makes per intent data before matching, with its functions."""
    if data.required_keywords and data.required_keywords.isdisjoint(keywords):
        return False
    if not intent_context:
        return True
    if data.requires_context and not check_required_context(
        data.requires_context, intent_context, allow_missing_keys=True
    ):
        return False
    return not (
        data.excludes_context and not check_excluded_context(data.excludes_context, intent_context)
    )


def _edge_wildcard(sentence: Sentence, lists: Mapping[str, SlotList]) -> bool:
    expression = sentence.expression
    if not isinstance(expression, Sequence) or not expression.items:
        return False
    return any(
        isinstance(item, ListReference) and isinstance(lists.get(item.list_name), WildcardSlotList)
        for item in (expression.items[0], expression.items[-1])
    )


class _Texts:
    """The texts recognize_all may match a template against, as the regexes expect them."""

    def __init__(self, text: str, skip_words: list[str]) -> None:
        self.with_skip = normalize_for_matching(text)
        self.no_skip = self.with_skip
        self._skip_words = skip_words
        if skip_words:
            self.no_skip = self.with_skip.copy()
            remove_skip_words_tracked(self.no_skip, skip_words, False)
        # Where recognize_all looks for required fragments.
        self.haystack = f"{fold_case(self.with_skip.text)}\n{fold_case(self.no_skip.text)}"
        self.plain = _prepared((self.no_skip, self.with_skip))
        chars = [first_char(candidate) for candidate in self.plain]
        # A blank text could only match a template that matches blanks: try them all.
        self.firsts = None if None in chars else frozenset(c for c in chars if c)
        self._wildcard: list[str] | None = None

    def wildcard(self) -> list[str]:
        """Also the texts with skip words kept at the start or at the end."""
        if self._wildcard is None:
            variants = [self.no_skip, self.with_skip]
            if self._skip_words:
                for start, end in ((True, False), (False, True)):
                    tracked = self.with_skip.copy()
                    remove_skip_words_tracked(tracked, self._skip_words, False, start, end)
                    variants.append(tracked)
            self._wildcard = _prepared(variants)
        return self._wildcard


def _prepared(texts: Iterable[TrackedText]) -> list[str]:
    return list(dict.fromkeys(tracked.text.translate(BREAK_WORDS) for tracked in texts))
