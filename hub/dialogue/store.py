"""What each conversation is waiting for, and the devices it last acted on.

A conversation is named by the request's ``conversation_id`` together with its source, so a
stranger who guesses an id on another channel never joins it. A request without an id is a
conversation of its own: nothing it says is read as a follow-up, and nothing waits for it.
Everything is forgotten after ``window`` seconds, and on restart (kept in memory only: a "yes"
never outlives the process that asked).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

from hub.messages import Command, Request

CONFIRM = "confirm"  # a security action waits for "yes" (and the PIN)
SUGGEST = "suggest"  # "Did you mean ...?": "yes" does it
CHOOSE = "choose"  # "Which one: A or B?": "the bedroom one", "the second", "both"
MAX_CONVERSATIONS = 1000


@dataclass(frozen=True)
class Question:
    """A question the hub asked, and what each answer to it does."""

    kind: str  # CONFIRM | SUGGEST | CHOOSE
    commands: tuple[Command, ...] = ()  # what "yes" does (CONFIRM, SUGGEST)
    request: Request | None = None  # CHOOSE: the request to answer again with the choice
    choices: tuple[str, ...] = ()  # CHOOSE: entity ids, in the order the question named them
    tier: str = "none"
    pin: bool = False  # CONFIRM: the answer must say the PIN
    expires: float = 0.0  # clock time after which the question is gone (CONFIRM is shorter)


@dataclass(frozen=True)
class Turn:
    """The state of one conversation."""

    question: Question | None = None
    commands: tuple[Command, ...] = ()  # what the conversation last did
    area: str | None = None
    at: float = 0.0


def conversation_key(request: Request) -> str | None:
    if not request.conversation_id:
        return None
    return f"{request.source}\x1f{request.conversation_id}"


class Conversations:
    """Thread-safe: the daemon's worker and a Wyoming handler may both ask."""

    def __init__(self, window: float = 60.0, *, clock: Callable[[], float] = time.monotonic):
        self.window = window
        self._clock = clock
        self._turns: OrderedDict[str, Turn] = OrderedDict()
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._clock()

    def get(self, key: str | None) -> Turn | None:
        if key is None:
            return None
        with self._lock:
            turn = self._turns.get(key)
            if turn is None:
                return None
            now = self._clock()
            if now - turn.at > self.window:
                del self._turns[key]
                return None
            if turn.question is not None and now > turn.question.expires:
                turn = replace(turn, question=None)
                self._turns[key] = turn
            return turn

    def asked(self, key: str | None, question: Question) -> None:
        """The hub asked ``question`` in this conversation (it replaces any earlier one)."""
        if key is None:
            return
        now = self._clock()
        if question.expires <= 0:
            question = replace(question, expires=now + self.window)
        self._put(key, lambda turn: replace(turn, question=question, at=now))

    def acted(self, key: str | None, commands: tuple[Command, ...], area: str | None) -> None:
        """The conversation acted on ``commands``: a later "it" means their devices."""
        if key is None:
            return
        now = self._clock()
        self._put(key, lambda t: replace(t, question=None, commands=commands, area=area, at=now))

    def settled(self, key: str | None) -> None:
        """The open question was answered, or a new request took its place."""
        if key is None:
            return
        self._put(key, lambda turn: replace(turn, question=None, at=self._clock()))

    def _put(self, key: str, change: Callable[[Turn], Turn]) -> None:
        with self._lock:
            self._turns[key] = change(self._turns.get(key) or Turn())
            self._turns.move_to_end(key)
            while len(self._turns) > MAX_CONVERSATIONS:
                self._turns.popitem(last=False)
