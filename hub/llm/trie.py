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
from collections.abc import Callable, Iterable, Sequence
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

    def feed_draft(self, tokens: Sequence[int]) -> None:
        """Evaluate ``tokens`` in one batch, keeping the next-token logits after each."""
        ...

    def select(self, index: int) -> None:
        """Make the logits after ``tokens[index]`` of the last draft the current ones."""
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


def decode(
    model: TokenModel,
    trie: TokenTrie,
    *,
    newline: int,
    end: int,
    max_lines: int = 4,
    max_free: int = 16,
    banned: Callable[[list[int]], bool] | None = None,
    hints: frozenset[int] = frozenset(),
) -> Decoded:
    """Greedy constrained decoding; the prompt must already have been fed to ``model``.

    ``banned(tokens)`` refuses whole lines (a retry after the validator refused them): such a
    line cannot end; if nothing else can follow, the line is dropped and decoding stops.

    ``hints`` (tokens of the request) let a ``DraftModel`` guess ahead: after each choice, the
    rest of the line is guessed by following the trie through tokens the request contains, and
    the whole guess is evaluated in one batch. Each guessed choice is then checked against the
    model's own choice from the logits at that position; the first mismatch rolls the guess
    back. The lines are those of plain greedy decoding, for fewer model calls (up to the last
    bits of float rounding, which differ between batch shapes in llama.cpp anyway).
    """
    lines: list[list[int]] = []
    current: list[int] = []
    node = trie.root
    generated = forced = 0
    confidence = coverage = 1.0

    def finish_line(token: int) -> bool:
        """Close the current line; True when decoding goes on with another line."""
        nonlocal current, node
        lines.append(current)
        current, node = [], trie.root
        if token == newline and len(lines) < max_lines:
            model.feed([newline])
            return True
        return False

    while True:
        if node.free:
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
            model.feed(chain)
            current.extend(chain)
            forced += len(chain)
            continue
        candidates = list(node.children)
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
        draft = _guess(node, hints) if hints and hasattr(model, "feed_draft") else []
        if not draft:
            model.feed([token])
            current.append(token)
            continue
        drafting = cast(DraftModel, model)
        drafting.feed_draft([token, *draft])
        current.append(token)
        for index, guessed in enumerate(draft):
            if len(node.children) == 1:  # forced: nothing to check
                current.append(guessed)
                node = node.children[guessed]
                forced += 1
                continue
            drafting.select(index)
            options = list(node.children)
            scores = model.logits(options)
            choice = max(range(len(options)), key=scores.__getitem__)
            if options[choice] != guessed:
                drafting.rollback(len(draft) - index)
                break  # the loop goes on from here with the model's own choice
            generated += 1
            confidence = min(confidence, _probability(scores, choice))
            total = model.log_total()
            coverage = min(coverage, sum(math.exp(x - total) for x in scores))
            current.append(guessed)
            node = node.children[guessed]
        else:
            drafting.select(len(draft))
    return Decoded(tuple(lines), generated, forced, confidence, min(coverage, 1.0))


def _guess(node: TrieNode, hints: frozenset[int], limit: int = 24) -> list[int]:
    """The rest of a line through ``node``: forced runs, and at each choice the one token the
    request contains; stops where a line may end, at free text, or where the request does not
    tell. A guess must hold at least one choice to be worth a batch."""
    tokens: list[int] = []
    choices = 0
    while len(tokens) < limit and not node.end and not node.free and node.children:
        if len(node.children) == 1:
            token, node = next(iter(node.children.items()))
            tokens.append(token)
            continue
        wanted = [t for t in node.children if t in hints]
        if len(wanted) != 1:
            break
        tokens.append(wanted[0])
        node = node.children[wanted[0]]
        choices += 1
    return tokens if choices else []


def _probability(scores: Sequence[float], best: int) -> float:
    top = max(scores)
    total = sum(math.exp(s - top) for s in scores)
    return math.exp(scores[best] - top) / total
