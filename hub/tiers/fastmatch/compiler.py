"""hassil sentence templates compiled to regexes that accept a superset of hassil's matches.

The regexes are a filter, not a parser: a template whose regex rejects a text cannot match it
in hassil, so hassil need not try it. Being a superset is the whole contract; being tight only
saves time. ``TemplateCompiler`` explains, construct by construct, why the superset holds.
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hassil.expression import (
    Alternative,
    Expression,
    Group,
    ListReference,
    Permutation,
    RuleReference,
    Sentence,
    TextChunk,
)
from hassil.intents import IntentData, RangeSlotList, SlotList, TextSlotList, WildcardSlotList
from hassil.util import PUNCTUATION_STR, check_excluded_context, check_required_context, fold_case

# hassil retries a failed chunk with "-" and "_" in the input turned into spaces; doing that to
# both the input and the templates up front keeps the regexes a superset of the matcher.
BREAK_WORDS = str.maketrans("-_", "  ")
# What may follow a complete template: hassil accepts a remainder that remove_punctuation()
# reduces to whitespace, so whitespace and punctuation characters only.
_TAIL = r"[\s" + re.escape(PUNCTUATION_STR) + r"]*"
# hassil reads digits with r"\s*-?[0-9]+(?:[.,][0-9]+)?"; the "-" is a space here.
_DIGITS = r"[0-9]+(?:[.,][0-9]+)?"
_DIGIT_CHARS = frozenset("0123456789")
_NEVER = "(?!)"
_WS = r"\s*"
_FLAGS = re.IGNORECASE | re.DOTALL
# hassil's own guard against expansion rules that refer to each other.
_MAX_DEPTH = 24
# Permutations of up to this many items become every order; longer ones a repetition of their
# items, looser but still a superset.
_MAX_PERMUTED_ITEMS = 3
# Compiled patterns by source, shared by live matchers: the matcher built after a registry
# change compiles only the templates whose lists changed. (re's own cache holds 512.)
_PATTERNS: weakref.WeakValueDictionary[str, re.Pattern[str]] = weakref.WeakValueDictionary()


class Unsupported(Exception):
    """A template the compiler cannot bound; it is always handed to hassil."""


@dataclass(frozen=True)
class Template:
    """A compiled sentence template."""

    pattern: re.Pattern[str]
    first: frozenset[str] | None  # what a matching text can start with (first_char); None: any
    wildcard: bool  # refers to a wildcard list


def first_char(text: str) -> str | None:
    """The first non-space character, folded the way ``Template.first`` is; None if blank.

    ``fold_case`` unifies every pair of characters ``re.IGNORECASE`` does (checked over all
    of Unicode against sre's case tables), so comparing folded first characters never
    rejects a text the regex would accept.
    """
    stripped = text.lstrip()
    return fold_case(stripped[0])[:1] if stripped else None


@dataclass(frozen=True)
class _Piece:
    """Regex source for one construct, with what it can start with."""

    source: str
    first: frozenset[str] | None  # folded first non-space characters; None: anything
    blank: bool  # can match whitespace only
    wildcard: bool = False


_BLANK_PIECE = _Piece("", frozenset(), True)


class NumberWords:
    """The words hassil's range trie spells a range's numbers with, per range; shareable."""

    def __init__(self) -> None:
        self._cache: dict[tuple[Any, ...], _Piece] = {}

    def piece(self, language: str, numbers: RangeSlotList) -> _Piece:
        key = (language, numbers.start, numbers.stop, numbers.step, numbers.fraction_type)
        if key not in self._cache:
            self._cache[key] = self._build(language, numbers)
        return self._cache[key]

    @staticmethod
    def _build(language: str, numbers: RangeSlotList) -> _Piece:
        """Any run of those words, up to the longest spelling.

        Listing every spelling ("twenty-one point five", ...) made patterns of several kB per
        template; the vocabulary is a few dozen words. Words of one spelling are separated by
        whitespace ("-" counts as a space here), which the run requires between them.
        """
        from hassil.numbers import get_rbnf_engine

        never = _Piece(_NEVER, frozenset(), False)
        try:
            engine = get_rbnf_engine(language)
            texts: set[str] = set()
            for number in numbers.get_numbers():
                for words in engine.format_number(number).text_by_ruleset.values():
                    texts.update((words, words.replace("ß", "ss")))
        except ValueError:
            return never  # hassil skips number words on ValueError too
        except Exception as exc:  # an engine error hassil would raise: leave it to hassil
            raise Unsupported(f"number words: {exc}") from exc
        spellings = [split for text in texts if (split := text.translate(BREAK_WORDS).split())]
        if not spellings:
            return never
        vocabulary = _alternatives(
            re.escape(word) for word in sorted({w for spelling in spellings for w in spelling})
        )
        longest = max(len(spelling) for spelling in spellings)
        source = vocabulary
        if longest > 1:
            source = rf"{vocabulary}(?:\s+{vocabulary}){{0,{longest - 1}}}"
        first = frozenset(fold_case(spelling[0])[:1] for spelling in spellings)
        return _Piece(source, first, False)


class TemplateCompiler:
    """Compiles the sentences of one intent data; superset of ``hassil.string_matcher``.

    Construct by construct, against ``match_expression``:

    - TextChunk: hassil matches the chunk text literally, ignoring case, after dropping leading
      whitespace at a word start. The regex wants the same non-space characters in order and
      allows any whitespace before and between them; every construct starts with ``\\s*``, so
      a chunk's trailing space is taken by whatever follows (or by the tail).
    - Alternative, Sequence, RuleReference: the same structure; rules resolve the same way
      (intent-data rules over the global ones). Permutation: hassil tries every order.
    - TextSlotList: the values hassil may try here. It skips blank values and values whose
      context contradicts the intent data's requires/excludes_context; so does this.
    - RangeSlotList: digits (hassil's number regex; the range bounds are left to hassil), or,
      when the list allows words, the number words hassil builds its range trie from.
    - WildcardSlotList: any text.
    """

    def __init__(
        self,
        lists: Mapping[str, SlotList],
        rules: Mapping[str, Sentence],
        data: IntentData,
        language: str,
        words: NumberWords,
    ) -> None:
        self._lists = lists
        self._rules = rules
        self._data = data
        self._language = language
        self._words = words
        # Expansion rules recur across an intent data's sentences; lists and rules are fixed
        # per compiler, so an expression always compiles to the same piece here.
        self._memo: dict[int, _Piece] = {}
        self._values: dict[str, _Piece] = {}

    def compile(self, sentence: Sentence) -> Template:
        """Raises Unsupported, re.error or RecursionError for what it cannot bound."""
        piece = self._expression(sentence.expression, 0)
        # A template that can match whitespace only also accepts a text of punctuation.
        first = None if piece.blank else piece.first
        return Template(_compiled(piece.source + _TAIL), first, piece.wildcard)

    def _expression(self, exp: Expression, depth: int) -> _Piece:
        piece = self._memo.get(id(exp))
        if piece is None:
            piece = self._memo[id(exp)] = self._build(exp, depth)
        return piece

    def _build(self, exp: Expression, depth: int) -> _Piece:
        if depth > _MAX_DEPTH:
            raise Unsupported("expansion rules nest too deeply")
        if isinstance(exp, TextChunk):
            return _literal(exp.text)
        if isinstance(exp, Alternative):
            return _choice(self._expression(item, depth + 1) for item in exp.items)
        if isinstance(exp, Permutation):
            items = [self._expression(item, depth + 1) for item in exp.items]
            if len(items) <= _MAX_PERMUTED_ITEMS:
                return _choice(_sequence(order) for order in itertools.permutations(items))
            any_item = _choice(items)
            source = f"(?:{any_item.source}){{{len(items)}}}"
            blank = all(item.blank for item in items)
            return _Piece(source, any_item.first, blank, any_item.wildcard)
        if isinstance(exp, Group):  # a Sequence
            return _sequence([self._expression(item, depth + 1) for item in exp.items])
        if isinstance(exp, RuleReference):
            rule = self._rules.get(exp.rule_name)
            if rule is None:
                raise Unsupported(f"missing rule <{exp.rule_name}>")
            return self._expression(rule.expression, depth + 1)
        if isinstance(exp, ListReference):
            return self._list(exp, depth)
        raise Unsupported(f"unknown expression {type(exp).__name__}")

    def _list(self, ref: ListReference, depth: int) -> _Piece:
        slot_list = self._lists.get(ref.list_name)
        if slot_list is None:
            bounds = ref.get_inline_range()  # {1..10:slot}, as hassil makes it
            if bounds is None:
                raise Unsupported(f"missing list {{{ref.list_name}}}")
            slot_list = RangeSlotList(
                name=ref.list_name, start=bounds[0], stop=bounds[1], step=bounds[2]
            )
        if isinstance(slot_list, TextSlotList):
            if ref.list_name not in self._values:
                self._values[ref.list_name] = self._text_values(slot_list, depth)
            return self._values[ref.list_name]
        if isinstance(slot_list, RangeSlotList):
            options: list[_Piece] = []
            if slot_list.digits:
                options.append(_Piece(_DIGITS, _DIGIT_CHARS, False))
            if slot_list.words:
                language = slot_list.words_language or self._language
                options.append(self._words.piece(language, slot_list))
            numbers = _choice(options)
            return _Piece(_WS + numbers.source, numbers.first, numbers.blank)
        if isinstance(slot_list, WildcardSlotList):
            return _Piece(".*", None, True, wildcard=True)
        raise Unsupported(f"unknown slot list {type(slot_list).__name__}")

    def _text_values(self, slot_list: TextSlotList, depth: int) -> _Piece:
        required = self._data.requires_context
        excluded = self._data.excludes_context
        plain: list[list[str]] = []
        options: list[_Piece] = []
        for value in slot_list.values:
            if required and not check_required_context(
                required, value.context, allow_missing_keys=True
            ):
                continue
            if excluded and not check_excluded_context(excluded, value.context):
                continue
            if not isinstance(value.text_in, TextChunk):
                options.append(self._expression(value.text_in, depth + 1))
            elif value.text_in.text.strip():
                words = value.text_in.text.translate(BREAK_WORDS).split()
                if words:
                    plain.append(words)
                else:
                    # A value like "-" has no words here: it matches the space "-" became.
                    options.append(_BLANK_PIECE)
        if plain:
            first = frozenset(fold_case(words[0])[:1] for words in plain)
            options.insert(0, _Piece(_WS + _word_trie(plain), first, False))
        return _choice(options)


def _compiled(source: str) -> re.Pattern[str]:
    pattern = _PATTERNS.get(source)
    if pattern is None:
        pattern = _PATTERNS[source] = re.compile(source, _FLAGS)
    return pattern


def _literal(text: str) -> _Piece:
    """Literal text: its words in order, any whitespace (or none) before and between them."""
    words = text.translate(BREAK_WORDS).split()
    if not words:
        return _BLANK_PIECE
    source = "".join(_WS + re.escape(word) for word in words)
    return _Piece(source, frozenset((fold_case(words[0])[:1],)), False)


def _sequence(pieces: list[_Piece] | tuple[_Piece, ...]) -> _Piece:
    first: frozenset[str] | None = frozenset()
    blank = True
    for piece in pieces:
        first = None if first is None or piece.first is None else first | piece.first
        blank = piece.blank
        if not blank:
            break
    source = "".join(piece.source for piece in pieces)
    return _Piece(source, first, blank, any(piece.wildcard for piece in pieces))


def _choice(pieces: Iterable[_Piece]) -> _Piece:
    items = list(pieces)
    first: frozenset[str] | None = frozenset()
    for piece in items:
        first = None if first is None or piece.first is None else first | piece.first
    source = _alternatives(piece.source for piece in items)
    blank = any(piece.blank for piece in items)
    return _Piece(source, first, blank, any(piece.wildcard for piece in items))


def _alternatives(options: Iterable[str]) -> str:
    """One of ``options``, as source that is safe to concatenate.

    Kept small on purpose: re's parser is pure Python and pattern length is most of the
    compile time. A shared leading ``\\s*`` is factored out and an empty option becomes
    ``(?:...)?``. Nothing emitted here has a top-level ``|``, so sequences need no groups.
    """
    unique = list(dict.fromkeys(options))
    optional = "" in unique
    unique = [option for option in unique if option]
    if not unique:
        return "" if optional else _NEVER
    lead = ""
    if all(option.startswith(_WS) for option in unique):
        lead = _WS
        stripped = [option[len(_WS) :] for option in unique]
        # An option that was only whitespace: what follows starts with \s* anyway.
        optional = optional or "" in stripped
        unique = list(dict.fromkeys(option for option in stripped if option))
        if not unique:
            return lead
    body = unique[0] if len(unique) == 1 else "(?:" + "|".join(unique) + ")"
    return f"(?:{lead}{body})?" if optional else lead + body


def _word_trie(values: Iterable[list[str]]) -> str:
    """An alternation of literal word sequences, factored by leading words.

    A home with a hundred devices gives ``{name}`` a few hundred values; sharing prefixes
    ("kitchen (ceiling|cabinets)") keeps compiling and matching them fast.
    """
    trie: dict[str, Any] = {}
    for words in values:
        node = trie
        for word in words:
            node = node.setdefault(re.escape(word), {})
        node[""] = {}  # a value ends here

    def branches(node: dict[str, Any]) -> list[str]:
        return [word + after(child) for word, child in node.items() if word]

    def after(node: dict[str, Any]) -> str:
        more = branches(node)
        if not more:
            return ""
        rest = _WS + _alternatives(more)
        return f"(?:{rest})?" if "" in node else rest

    return _alternatives(branches(trie))
