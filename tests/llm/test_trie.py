"""Constrained decoding with a fake model that prefers given texts."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import pytest

from hub.llm.trie import Hints, TokenTrie, TrieNode, decode
from hub.registry import Registry

NEWLINE, END = 1000, 1001


def tokenize(text: str) -> list[int]:
    return [ord(ch) for ch in text]


class FakeModel:
    """Wants to write ``wanted`` char by char; records what was fed."""

    def __init__(self, wanted: str, free: str = "") -> None:
        self.wanted = [NEWLINE if ch == "\n" else ord(ch) for ch in wanted] + [END]
        self.fed: list[int] = []
        self.batches: list[int] = []

    def feed(self, tokens: Sequence[int]) -> None:
        self.fed.extend(tokens)
        self.batches.append(len(tokens))

    def _next(self) -> int:
        return self.wanted[len(self.fed)] if len(self.fed) < len(self.wanted) else END

    def logits(self, token_ids: Sequence[int]) -> list[float]:
        want = self._next()
        return [5.0 if t == want else 0.0 for t in token_ids]

    def free_token(self) -> int:
        return self._next()

    def log_total(self) -> float:
        # The whole vocabulary: the wanted token at 5.0, 200 others at 0.0.
        return math.log(math.exp(5.0) + 200)


def text(lines: tuple[list[int], ...]) -> list[str]:
    return ["".join(chr(t) for t in line) for line in lines]


def test_decodes_the_allowed_line_the_model_prefers() -> None:
    trie = TokenTrie.build(["turn on lamp", "turn off lamp", "nothing"], tokenize)
    result = decode(FakeModel("turn off lamp"), trie, newline=NEWLINE, end=END)
    assert text(result.lines) == ["turn off lamp"]
    assert result.forced > 0  # "turn o" is forced, "ff lamp" after the choice too


def test_forced_runs_are_fed_in_one_batch() -> None:
    trie = TokenTrie.build(["set lamp brightness to 40", "nothing"], tokenize)
    model = FakeModel("set lamp brightness to 40")
    result = decode(model, trie, newline=NEWLINE, end=END)
    assert text(result.lines) == ["set lamp brightness to 40"]
    assert result.generated == 2  # "s" versus "n", then the end
    assert max(model.batches) == len("et lamp brightness to 40")


def test_a_disallowed_wish_is_bent_to_the_closest_allowed_line() -> None:
    trie = TokenTrie.build(["turn on lamp", "nothing"], tokenize)
    result = decode(FakeModel("turn on the garage"), trie, newline=NEWLINE, end=END)
    assert text(result.lines) == ["turn on lamp"]


def test_several_lines_and_the_line_limit() -> None:
    trie = TokenTrie.build(["a", "b", "c"], tokenize)
    result = decode(FakeModel("a\nb\nc"), trie, newline=NEWLINE, end=END, max_lines=2)
    assert text(result.lines) == ["a", "b"]


def test_free_text_after_a_prefix() -> None:
    trie = TokenTrie.build(["nothing"], tokenize, free_prefixes=["add to list:"])
    result = decode(FakeModel("add to list: milk"), trie, newline=NEWLINE, end=END)
    assert text(result.lines) == ["add to list: milk"]
    long = decode(FakeModel("add to list: " + "x" * 50), trie, newline=NEWLINE, end=END, max_free=5)
    assert text(long.lines) == ["add to list: xxxx"]  # five tokens: the space and four x


def test_confidence_is_the_weakest_choice() -> None:
    class Unsure(FakeModel):
        def logits(self, token_ids: Sequence[int]) -> list[float]:
            return [0.0 for _ in token_ids]  # no preference at all

    trie = TokenTrie.build(["on", "off"], tokenize)
    result = decode(Unsure("on"), trie, newline=NEWLINE, end=END)
    assert result.confidence <= 0.5


def test_coverage_is_low_when_the_model_wants_a_disallowed_token() -> None:
    trie = TokenTrie.build(["turn on lamp", "nothing"], tokenize)
    allowed = decode(FakeModel("turn on lamp"), trie, newline=NEWLINE, end=END)
    bent = decode(FakeModel("turn on the garage"), trie, newline=NEWLINE, end=END)
    assert allowed.coverage > 0.3
    assert bent.coverage < 0.05


_VOCAB: dict[str, int] = {}


def words(text: str) -> list[int]:
    """Word tokens with their leading space, like a BPE tokenizer's (" kitchen")."""
    pieces = [w if i == 0 else " " + w for i, w in enumerate(text.split(" "))]
    return [_VOCAB.setdefault(p, 2000 + len(_VOCAB)) for p in pieces]


class WordModel(FakeModel):
    def __init__(self, wanted: str) -> None:
        super().__init__("")
        self.wanted = []
        for i, line in enumerate(wanted.split("\n")):
            self.wanted += ([NEWLINE] if i else []) + words(line)
        self.wanted.append(END)


class DraftingModel(WordModel):
    """A word model that can evaluate a guessed run in one batch and take part of it back."""

    def __init__(self, wanted: str) -> None:
        super().__init__(wanted)
        self.cursor: int | None = None  # logits after fed[:cursor], when a draft is selected
        self.drafts: list[int] = []
        self.quiet: list[list[int]] = []  # per draft, the rows without logits
        self.silent: set[int] = set()
        self.rollbacks = 0

    def feed(self, tokens: Sequence[int]) -> None:
        self.cursor = None
        super().feed(tokens)

    def feed_draft(
        self, tokens: Sequence[int], first: int = 0, quiet: frozenset[int] = frozenset()
    ) -> None:
        self.base = len(self.fed)
        self.fed.extend(tokens)
        self.drafts.append(len(tokens))
        self.quiet.append(sorted(quiet))
        self.first = first
        self.silent = {self.base + i + 1 for i in quiet}  # cursors with no logits kept
        self.select(first)

    def select(self, index: int) -> None:
        assert index >= self.first  # the model keeps no logits before the draft's first
        self.cursor = self.base + index + 1

    def rollback(self, count: int) -> None:
        del self.fed[len(self.fed) - count :]
        self.rollbacks += 1

    def _next(self) -> int:
        at = len(self.fed) if self.cursor is None else self.cursor
        assert self.cursor is None or at not in self.silent, "read logits that were not kept"
        return self.wanted[at] if at < len(self.wanted) else END


LINES = [
    "turn on kitchen lights",
    "turn off kitchen lights",
    "turn on bedroom lights",
    "turn off bedroom lights",
    "set bedroom lamp brightness to 30%",
    "set bedroom lamp brightness to 40%",
    "open garage door",
]


def _hints(text: str) -> Hints:
    """As the backend's: the words after a space, and each as it would start a line."""
    return Hints.of(words("x " + text)[1:], *(words(w) for w in text.split()))


def _text(lines: tuple[list[int], ...]) -> list[str]:
    names = {v: k for k, v in _VOCAB.items()}
    return ["".join(names[t] for t in line) for line in lines]


def test_a_right_guess_checks_a_whole_line_in_one_batch() -> None:
    trie = TokenTrie.build(LINES, words)
    model = DraftingModel("turn off kitchen lights")
    hints = _hints("please turn off the kitchen lights")
    result = decode(model, trie, newline=NEWLINE, end=END, hints=hints)
    assert _text(result.lines) == ["turn off kitchen lights"]
    assert model.rollbacks == 0
    assert model.drafts == [4]  # "turn" chosen, " off kitchen lights" guessed and confirmed
    assert model.batches == []  # no token was fed alone


@pytest.mark.parametrize(
    "wanted, request_text",
    [
        ("turn off kitchen lights", "turn off kitchen lights"),
        ("turn off bedroom lights", "turn off kitchen lights"),  # the guess is wrong at a choice
        ("set bedroom lamp brightness to 40%", "bedroom lamp brightness to 30%"),
        ("turn on bedroom lights\nopen garage door", "on bedroom open garage"),
        ("open garage door", "xyz"),  # nothing to guess from
    ],
)
def test_guessing_never_changes_the_answer(wanted: str, request_text: str) -> None:
    trie = TokenTrie.build(LINES, words)
    plain = decode(WordModel(wanted), trie, newline=NEWLINE, end=END)
    guessing = DraftingModel(wanted)
    guessed = decode(guessing, trie, newline=NEWLINE, end=END, hints=_hints(request_text))
    assert _text(guessed.lines) == _text(plain.lines) == wanted.split("\n")
    assert guessing.fed == WordModel(wanted).wanted[: len(guessing.fed)]
    assert guessed.confidence == plain.confidence
    assert guessed.generated == plain.generated


def test_a_wrong_guess_is_rolled_back() -> None:
    trie = TokenTrie.build(LINES, words)
    model = DraftingModel("turn off bedroom lights")
    decode(model, trie, newline=NEWLINE, end=END, hints=_hints("turn off kitchen lights"))
    assert model.rollbacks == 1


PROMPT = [7, 8, 9]  # the request's turn, not yet fed


class PromptedModel(DraftingModel):
    """A drafting model that is handed the prompt's last tokens by the decoder."""

    def __init__(self, wanted: str) -> None:
        super().__init__(wanted)
        self.wanted = PROMPT + self.wanted


def _led(text: str, lead: str) -> Hints:
    plain = _hints(text)
    return Hints(plain.tokens, plain.after, plain.order, plain.weak, tuple(words(lead)))


def test_a_line_is_guessed_from_its_lead_where_the_request_says_it_otherwise() -> None:
    trie = TokenTrie.build(LINES, words)
    model = PromptedModel("turn off kitchen lights")
    hints = _led("kitchen lights out", "turn off")  # hub.llm.leads: "out" -> "turn off"
    result = decode(model, trie, newline=NEWLINE, end=END, hints=hints, prompt=PROMPT)
    assert _text(result.lines) == ["turn off kitchen lights"]
    assert model.drafts == [len(PROMPT) + 4]  # one model call for the whole answer
    assert model.batches == [] and model.rollbacks == 0
    without = PromptedModel("turn off kitchen lights")
    hints = _hints("kitchen lights out")
    decode(without, trie, newline=NEWLINE, end=END, hints=hints, prompt=PROMPT)
    assert len(without.drafts) + len(without.batches) > 1  # more model calls


@pytest.mark.parametrize(
    "wanted, lead",
    [
        ("turn off kitchen lights", "turn on"),  # a wrong lead
        ("open garage door", "turn off"),
        ("set bedroom lamp brightness to 40%", "dim"),  # a lead the trie does not have
        ("turn on bedroom lights\nopen garage door", "turn on"),  # each line starts with it
    ],
)
def test_a_lead_never_changes_the_answer(wanted: str, lead: str) -> None:
    trie = TokenTrie.build(LINES, words)
    plain = decode(WordModel(wanted), trie, newline=NEWLINE, end=END)
    guessing = DraftingModel(wanted)
    hints = _led("bedroom kitchen lights garage", lead)
    guessed = decode(guessing, trie, newline=NEWLINE, end=END, hints=hints)
    assert _text(guessed.lines) == _text(plain.lines) == wanted.split("\n")
    assert guessed.confidence == plain.confidence


def test_the_first_guess_goes_in_the_same_batch_as_the_prompt() -> None:
    trie = TokenTrie.build(LINES, words)
    model = PromptedModel("turn off kitchen lights")
    hints = _hints("please turn off the kitchen lights")
    result = decode(model, trie, newline=NEWLINE, end=END, hints=hints, prompt=PROMPT)
    assert _text(result.lines) == ["turn off kitchen lights"]
    assert model.drafts == [len(PROMPT) + 4]  # one model call for the whole answer
    assert model.batches == [] and model.rollbacks == 0


def test_without_a_guess_the_prompt_is_fed_alone() -> None:
    trie = TokenTrie.build(LINES, words)
    model = PromptedModel("open garage door")
    result = decode(model, trie, newline=NEWLINE, end=END, hints=_hints("xyz"), prompt=PROMPT)
    assert _text(result.lines) == ["open garage door"]
    assert model.batches[0] == len(PROMPT)
    assert model.fed[: len(PROMPT)] == PROMPT


def digits(text: str) -> list[int]:
    """Like ``words``, but a number is a space and then one token per digit (as Qwen's)."""
    tokens: list[int] = []
    for i, word in enumerate(text.split(" ")):
        if word.isdigit():
            pieces = [" ", *list(word)] if i else list(word)
        else:
            pieces = [word if i == 0 else " " + word]
        tokens += [_VOCAB.setdefault(p, 2000 + len(_VOCAB)) for p in pieces]
    return tokens


class DigitModel(DraftingModel):
    def __init__(self, wanted: str) -> None:
        super().__init__("")
        self.wanted = [*digits(wanted), END]


@pytest.mark.parametrize("number", ["50", "100", "7", "10"])
def test_a_number_is_guessed_digit_by_digit_in_the_request_s_order(number: str) -> None:
    lines = [f"set lamp brightness to {n}" for n in range(101)] + ["turn on lamp"]
    trie = TokenTrie.build(lines, digits)
    wanted = f"set lamp brightness to {number}"
    model = DigitModel(wanted)
    request = f"set the lamp to {number} percent"
    hints = Hints.of(digits("x " + request)[1:], *(digits(w) for w in request.split()))
    result = decode(model, trie, newline=NEWLINE, end=END, hints=hints)
    assert _text(result.lines) == [wanted]
    # "set" chosen, then in one batch: " lamp brightness to" " " forced, the digits guessed
    # (the request holds "1" and "0"; which follows which tells "100" from "10" and "101"),
    # and the end checked after the last digit
    assert model.drafts == [len(digits(wanted))]
    assert model.batches == [] and model.rollbacks == 0


def test_a_forced_run_after_a_choice_goes_in_the_choice_s_batch() -> None:
    trie = TokenTrie.build(["turn on ceiling fan", "turn on kitchen lights"], words)
    model = DraftingModel("turn on ceiling fan")
    decode(model, trie, newline=NEWLINE, end=END, hints=_hints("the big fan please"))
    # "turn on" is forced and fed first; " ceiling" is the model's choice (the request does
    # not say it) and goes with the forced " fan" in one batch, not two
    assert model.batches == [2] and model.drafts == [2]


def test_no_logits_are_kept_where_the_line_is_forced_on() -> None:
    trie = TokenTrie.build(["turn on ceiling fan", "turn on kitchen lights"], words)
    model = DraftingModel("turn on ceiling fan")
    hints = _hints("turn on the ceiling fan")
    result = decode(model, trie, newline=NEWLINE, end=END, hints=hints)
    assert _text(result.lines) == ["turn on ceiling fan"]
    # one draft: "turn on" is forced and fed with the guess " ceiling fan"; the model's
    # choices are read after " on" (ceiling or kitchen) and after " fan" (the end); after
    # " ceiling" only " fan" can follow, so no logits are kept there (row 2)
    assert model.drafts == [4] and model.quiet == [[2]]


THE_LINES = [
    *LINES,
    "turn on ceiling fan",
    "turn on the ceiling fan",
    "turn on the kitchen lights",
    "turn off the kitchen lights",
]


def test_the_guess_leaves_out_the_article_the_lines_allow() -> None:
    trie = TokenTrie.build(THE_LINES, words)
    model = DraftingModel("turn on ceiling fan")
    result = decode(model, trie, newline=NEWLINE, end=END, hints=_weak("turn on the ceiling fan"))
    assert _text(result.lines) == ["turn on ceiling fan"]
    assert model.rollbacks == 0 and len(model.drafts) == 1  # one model call


@pytest.mark.parametrize(
    "wanted", ["turn on the ceiling fan", "turn on ceiling fan", "turn off the kitchen lights"]
)
def test_leaving_out_the_article_never_changes_the_answer(wanted: str) -> None:
    trie = TokenTrie.build(THE_LINES, words)
    plain = decode(WordModel(wanted), trie, newline=NEWLINE, end=END)
    guessing = DraftingModel(wanted)
    hints = _weak("please " + wanted.replace("turn on", "turn on the"))
    guessed = decode(guessing, trie, newline=NEWLINE, end=END, hints=hints)
    assert _text(guessed.lines) == _text(plain.lines) == [wanted]
    assert guessed.confidence == plain.confidence


def _weak(text: str) -> Hints:
    """As _hints, with " the" guessed only where nothing else of the request fits."""
    plain = _hints(text)
    return Hints(plain.tokens, plain.after, plain.order, frozenset(words("x the")[1:]))


def test_a_trie_of_only_some_devices_holds_only_their_lines(registry: Registry) -> None:
    """TrieLines(only=...): the retry for the kind of device a request names can write
    nothing about another device, nor free text (whose device the trie cannot check)."""
    from hub.llm.command_language import build_language
    from hub.llm.lines import TrieLines

    class Characters:
        def tokenize(self, text: str) -> list[int]:
            return [ord(c) for c in text]

    language = build_language(registry)
    lines = TrieLines(Characters())  # type: ignore[arg-type]
    climates = frozenset({"climate.living_room", "climate.bedroom"})
    trie = lines.trie(language, "v1", only=climates)

    def words(node: TrieNode, prefix: str = "") -> Iterator[str]:
        if node.end:
            yield prefix
        for token, child in node.children.items():
            yield from words(child, prefix + chr(token))

    kept = set(words(trie.root))
    assert "turn on thermostat" in kept and "set bedroom radiator temperature to 21" in kept
    assert all("light" not in line and not line.startswith("add to") for line in kept)
    assert not any(node.free for node in trie.root.children.values())
    assert len(kept) < len(language.lines) / 5


def test_a_retry_is_steered_away_from_a_refused_level_at_the_first_choice_left() -> None:
    """The model wanted "set lamp brightness to 40" and the request said no number: asked
    again without any level of it, it writes another line rather than nothing."""
    trie = TokenTrie.build(
        ["set lamp brightness to 40", "set lamp brightness to 50", "make lamp brighter",
         "nothing"],
        tokenize,
    )  # fmt: skip
    prefix = "set lamp brightness to "

    def banned(tokens: list[int]) -> bool:
        return "".join(chr(t) for t in tokens).startswith(prefix)

    result = decode(
        FakeModel("set lamp brightness to 40"),
        trie,
        newline=NEWLINE,
        end=END,
        banned=banned,
        dead=banned,
    )
    assert text(result.lines) == ["make lamp brighter"]
    # ``dead`` only spares the walk through every level: the lines are those ``banned`` leaves
    walked = decode(
        FakeModel("set lamp brightness to 40"), trie, newline=NEWLINE, end=END, banned=banned
    )
    assert text(walked.lines) == ["make lamp brighter"]


def test_a_refused_line_prunes_only_the_way_to_it() -> None:
    trie = TokenTrie.build(["turn on lamp", "turn on fan", "nothing"], tokenize)

    def banned(tokens: list[int]) -> bool:
        return "".join(chr(t) for t in tokens) == "turn on lamp"

    result = decode(FakeModel("turn on lamp"), trie, newline=NEWLINE, end=END, banned=banned)
    assert text(result.lines) == ["turn on fan"]
