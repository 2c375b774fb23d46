"""Constrained greedy decoding over a trie of allowed token sequences.

A grammar sampler checks every one of the model's ~150,000 tokens at every step; here the
allowed continuations of the answer are known in advance (every line of the command language,
tokenized), so each step only compares the logits of the few tokens the trie allows. Where the
trie leaves a single continuation ("set Reading La" can only go on as "mp brightness to"), those
tokens are fed to the model in one batch instead of being generated one by one.

The model-facing part is a tiny protocol (``TokenModel``) so tests can drive the decoder with a
fake model and the embedded backend can drive it with llama.cpp.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, cast


class TokenModel(Protocol):
    """What the decoder needs from a model: feed tokens, read the next token's logits."""

    def feed(self, tokens: Sequence[int]) -> None:
        """Evaluate ``tokens`` after everything fed so far."""
        ...

    def logits(self, token_ids: Sequence[int]) -> list[float]:
        """The next-token logits of ``token_ids``."""
        ...

    def log_total(self) -> float:
        """log(sum(exp(logit))) over the whole vocabulary, to tell how much of the model's
        belief the allowed tokens hold."""
        ...

    def free_token(self) -> int:
        """The best next token for free text (no special tokens, no newlines inside a word);
        the model's newline or end token when it would rather end the line."""
        ...


class DraftModel(TokenModel, Protocol):
    """A model that can also check a guessed run of tokens in one batch (draft and verify)."""

    def feed_draft(
        self, tokens: Sequence[int], first: int = 0, quiet: frozenset[int] = frozenset()
    ) -> None:
        """Evaluate ``tokens`` in one batch, keeping the next-token logits after each from
        ``tokens[first]`` on, except after the indices in ``quiet`` (where the line is forced
        on, so nothing reads them: each row of logits costs about as much as a token); the
        logits after ``tokens[first]`` become the current ones."""
        ...

    def select(self, index: int) -> None:
        """Make the logits after ``tokens[index]`` of the last draft the current ones
        (``index`` >= the draft's ``first``)."""
        ...

    def rollback(self, count: int) -> None:
        """Forget the last ``count`` tokens fed (a guess the model did not confirm)."""
        ...


@dataclass
class TrieNode:
    children: dict[int, TrieNode] = field(default_factory=dict)
    end: bool = False  # a whole line ends here
    free: bool = False  # free text follows (e.g. a shopping list item)


class TokenTrie:
    """Every line of a language, as token sequences sharing prefixes."""

    def __init__(self) -> None:
        self.root = TrieNode()
        self.size = 0

    @classmethod
    def build(
        cls,
        lines: Iterable[str],
        tokenize: Callable[[str], list[int]],
        free_prefixes: Iterable[str] = (),
    ) -> TokenTrie:
        trie = cls()
        for line in lines:
            trie.add(tokenize(line)).end = True
        for prefix in free_prefixes:
            trie.add(tokenize(prefix)).free = True
        return trie

    def add(self, tokens: Sequence[int]) -> TrieNode:
        node = self.root
        for token in tokens:
            child = node.children.get(token)
            if child is None:
                child = node.children[token] = TrieNode()
                self.size += 1
            node = child
        return node


@dataclass(frozen=True)
class Decoded:
    lines: tuple[list[int], ...]  # the tokens of each line
    generated: int  # tokens chosen by the model
    forced: int  # tokens fed because only one continuation was allowed
    confidence: float  # the lowest probability of a choice, among the allowed tokens
    coverage: float  # the lowest share of the model's whole belief the allowed tokens held


@dataclass(frozen=True)
class Hints:
    """The request's own tokens, to guess ahead with: which it holds, which follow one token
    or two ("5" then "0" in "50", and "100" not stopped at "10"), and where each first occurs."""

    tokens: frozenset[int] = frozenset()
    after: Mapping[tuple[int, ...], frozenset[int]] = field(default_factory=dict)
    order: Mapping[int, int] = field(default_factory=dict)  # token -> where it first occurs
    # Tokens guessed only where no other token of the request fits: the model leaves out
    # the "the" that lines allow ("turn on the fan" -> "turn on fan") more often than not.
    weak: frozenset[int] = frozenset()
    # The tokens a line likely starts with (hub.llm.leads: "turn off" for "lights out"),
    # guessed first where a line starts and the trie has them.
    lead: tuple[int, ...] = ()

    @classmethod
    def of(
        cls,
        *sequences: Sequence[int],
        weak: frozenset[int] = frozenset(),
        lead: Sequence[int] = (),
    ) -> Hints:
        """Hints from one or more tokenizations of the request (the earlier in the request a
        token is first seen, the more it is preferred where a line starts)."""
        after: dict[tuple[int, ...], set[int]] = {}
        order: dict[int, int] = {}
        for seq in sequences:
            for i in range(1, len(seq)):
                after.setdefault((seq[i - 1],), set()).add(seq[i])
                if i > 1:
                    after.setdefault((seq[i - 2], seq[i - 1]), set()).add(seq[i])
        for seq in sequences:
            for token in seq:
                order.setdefault(token, len(order))
        return cls(
            frozenset(order), {a: frozenset(b) for a, b in after.items()}, order, weak, tuple(lead)
        )

    def next(self, options: Sequence[int], context: Sequence[int]) -> list[int]:
        """The one option that follows ``context`` in the request (its last two tokens, else
        its last one), or none."""
        for n in (2, 1):
            if len(context) >= n:
                follows = self.after.get(tuple(context[-n:]), frozenset())
                picked = [t for t in options if t in follows]
                if len(picked) == 1:
                    return picked
        return []

    def __bool__(self) -> bool:
        return bool(self.tokens)


def decode(
    model: TokenModel,
    trie: TokenTrie,
    *,
    newline: int,
    end: int,
    max_lines: int = 4,
    max_free: int = 16,
    banned: Callable[[list[int]], bool] | None = None,
    dead: Callable[[list[int]], bool] | None = None,
    hints: Hints = Hints(),
    prompt: Sequence[int] = (),
) -> Decoded:
    """Greedy constrained decoding after ``prompt`` (the tokens of the prompt not yet fed to
    ``model``; none when the caller fed it).

    ``banned(tokens)`` refuses whole lines (a retry after the validator refused them): such a
    line cannot end. ``dead(tokens)`` says every line that begins with ``tokens`` is refused
    ("set lamp brightness to *"). On a retry no choice leads where only refused lines are: the
    model, which wanted the refused line, is steered at the first choice that still has
    another way ("make lamp brighter" rather than no answer at all). If nothing is left, the
    line is dropped and decoding stops.

    ``hints`` (the request's tokens) let a ``DraftModel`` guess ahead: after the prompt and
    after each choice, the rest of the line is guessed by following the trie through tokens
    the request contains (see :func:`_guess`), and the guess is evaluated in the same batch as
    what precedes it. Each choice is still the model's own, read from the logits at its
    position; a choice that differs from the guess rolls the rest of the guess back. The lines
    are those of plain greedy decoding, for fewer model calls (up to the last bits of float
    rounding, which differ between batch shapes in llama.cpp anyway).
    """
    drafting = cast(DraftModel, model) if hints and hasattr(model, "feed_draft") else None
    lines: list[list[int]] = []
    current: list[int] = []
    node = trie.root
    generated = forced = 0
    confidence = coverage = 1.0
    pending: list[int] = []  # guessed tokens fed ahead of the choices, not yet confirmed
    row = 0  # the row of the last draft whose logits are the current ones

    def feed(tokens: Sequence[int], at: TrieNode, context: Sequence[int] = ()) -> None:
        """Feed ``tokens``, which lead to ``at`` after ``context`` (the line so far), and a
        guess of what follows when there is one."""
        nonlocal pending, row
        guess = _guess(at, hints, context) if drafting is not None and tokens else []
        if drafting is not None and guess:
            quiet = {len(tokens) - 1} if _forced(at) else set()
            node = at
            for index, token in enumerate(guess, start=len(tokens)):
                node = node.children[token]
                if _forced(node):
                    quiet.add(index)
            drafting.feed_draft([*tokens, *guess], first=len(tokens) - 1, quiet=frozenset(quiet))
            pending, row = guess, len(tokens) - 1
        elif tokens:
            model.feed(tokens)

    def take(tokens: Sequence[int], at: TrieNode) -> None:
        """Go on with ``tokens`` (chosen or forced), which lead to ``at``: confirm what the
        guess holds of them, take back the rest of a wrong guess, feed what is left."""
        nonlocal pending, row
        confirmed = 0
        while pending and confirmed < len(tokens) and pending[0] == tokens[confirmed]:
            pending.pop(0)
            confirmed += 1
        if drafting is not None and confirmed:
            row += confirmed
            drafting.select(row)
        if confirmed == len(tokens):
            return
        if pending:
            cast(DraftModel, drafting).rollback(len(pending))
            pending = []
        feed(tokens[confirmed:], at, () if at is trie.root else [*current, *tokens][-2:])

    def finish_line(token: int) -> bool:
        """Close the current line; True when decoding goes on with another line."""
        nonlocal current, node
        lines.append(current)
        current, node = [], trie.root
        if token == newline and len(lines) < max_lines:
            take([newline], node)
            return True
        return False

    feed(list(prompt), trie.root)
    while True:
        if node.free:
            if pending:  # a guess stops before free text; nothing should be left of it
                cast(DraftModel, drafting).rollback(len(pending))
                pending = []
            token = end
            for _ in range(max_free):
                token = model.free_token()
                generated += 1
                if token in (newline, end):
                    break
                model.feed([token])
                current.append(token)
            if finish_line(token):
                continue
            break
        if not node.end and len(node.children) == 1 and not node.free:
            chain = []
            while not node.end and not node.free and len(node.children) == 1:
                token, node = next(iter(node.children.items()))
                chain.append(token)
            take(chain, node)
            current.extend(chain)
            forced += len(chain)
            continue
        candidates = list(node.children)
        if banned is not None or dead is not None:
            candidates = [
                t for t in candidates if _alive(node.children[t], [*current, t], banned, dead)
            ]
        if node.end and not (banned is not None and banned(current)):
            candidates.append(end)
            if len(lines) + 1 < max_lines:
                candidates.append(newline)
        if not candidates:
            break  # a refused line with nowhere to go: dropped
        scores = model.logits(candidates)
        best = max(range(len(candidates)), key=scores.__getitem__)
        confidence = min(confidence, _probability(scores, best))
        total = model.log_total()
        coverage = min(coverage, sum(math.exp(x - total) for x in scores))
        token = candidates[best]
        generated += 1
        if token in (end, newline):
            if finish_line(token):
                continue
            break
        node = node.children[token]
        take([token], node)
        current.append(token)
    if pending:  # leave the model where the answer ends
        cast(DraftModel, drafting).rollback(len(pending))
    return Decoded(tuple(lines), generated, forced, confidence, min(coverage, 1.0))


def _alive(
    node: TrieNode,
    tokens: list[int],
    banned: Callable[[list[int]], bool] | None,
    dead: Callable[[list[int]], bool] | None,
) -> bool:
    """Whether a line that is not refused goes through ``node`` (reached by ``tokens``)."""
    if dead is not None and dead(tokens):
        return False
    if node.free or (node.end and not (banned is not None and banned(tokens))):
        return True
    return any(_alive(child, [*tokens, t], banned, dead) for t, child in node.children.items())


def _guess(node: TrieNode, hints: Hints, context: Sequence[int], limit: int = 24) -> list[int]:
    """The rest of a line through ``node``: where a line starts, the hints' lead if the trie
    has it; then forced runs, and at each choice the one token the request contains (of
    several, the one that follows ``context``, the line so far, in the request; at the start
    of a line with no lead, the one the request says first); where a line may end, only the
    token that follows in the request. Stops at free text or where the request does not tell."""
    tokens: list[int] = []
    if not context:  # a line starts: its likely first words, where the trie has them
        tokens, node = _walk(node, hints.lead)
    context = [*context, *tokens]
    while len(tokens) < limit and not node.free and node.children:
        if node.end:  # the line may end here: go on only as the request does ("10" "0")
            wanted = hints.next(list(node.children), context)
        elif len(node.children) == 1:
            wanted = list(node.children)
        else:
            wanted = [t for t in node.children if t in hints.tokens]
            if len(wanted) > 1:
                wanted = [t for t in wanted if t not in hints.weak] or wanted
            if len(wanted) > 1 and context:
                wanted = hints.next(wanted, context)
            elif len(wanted) > 1:  # a line's first word: the request's earliest ("turn")
                wanted = [min(wanted, key=hints.order.__getitem__)]
        if len(wanted) != 1:
            break
        tokens.append(wanted[0])
        context.append(wanted[0])
        node = node.children[wanted[0]]
    return tokens


def _walk(start: TrieNode, tokens: Sequence[int]) -> tuple[list[int], TrieNode]:
    """``tokens`` and the node they lead to, if the trie goes on from ``start`` through all
    of them; else none, and ``start``."""
    node = start
    for token in tokens:
        child = node.children.get(token)
        if child is None:
            return [], start
        node = child
    return list(tokens), node


def _forced(node: TrieNode) -> bool:
    """Whether the line goes on from ``node`` one way only: no choice, so no logits read."""
    return not node.end and not node.free and len(node.children) == 1


def _probability(scores: Sequence[float], best: int) -> float:
    top = max(scores)
    total = sum(math.exp(s - top) for s in scores)
    return math.exp(scores[best] - top) / total
