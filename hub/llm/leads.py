"""The words a command line likely starts with, read from the request: the trie decoder's first
guess (``hub.llm.trie.Hints.lead``).

The model writes lines in the command language's own verbs, not the request's: "switch off the
lights", "kitchen lights out" and "deactivate the fans" become "turn off ...", "skip this song"
becomes "next track on ...", "bedroom lamp to 50%" and "change the lamp to red" become
"set ...". Guessed from the request's first word, such a line is missed at its first token,
which costs a model call and every token guessed after it (on the intent tests, 73 answers of
200). A lead only orders what is guessed: each word of the answer is still the model's own
choice, and a wrong lead costs the same as the guess it replaces.
"""

from __future__ import annotations

import re
from itertools import pairwise

from hub.llm.command_language import COLORS, WHITES

_WORD = re.compile(r"[^\W_]+%?|%")
# a level said: "to 50", "50%", "to the highest", "maximum brightness"
_LEVELS = (
    frozenset(["percent", "max", "maximum", "min", "minimum", "highest", "lowest", "full", "half"])
    | frozenset(COLORS)
    | frozenset(w for white in WHITES for w in white.split())
)
_OFF = frozenset(["off", "out", "deactivate", "disable", "kill"])
_ON = frozenset(["illuminate", "enable"])
# "on" means switch on where nothing follows it that it could be the "on" of: "lights on",
# "lights on in the kitchen", "switch on the lights" (after turn/switch); not "skip on the TV"
_ON_BEFORE = frozenset(["in", "please", "now", "again", "for"])
_ON_AFTER = frozenset(["turn", "switch"])
# verbs the model keeps as the request says them ("pause the TV": "pause tv")
_KEPT = frozenset({
    "open", "close", "shut", "lock", "unlock", "pause", "resume", "unpause", "mute", "unmute",
    "start", "stop", "dock", "add", "activate", "brighten", "dim",
})  # fmt: skip


def lead(text: str) -> str | None:
    """The first words of the line the model will likely write for ``text`` (lower case,
    its English gloss included), or None where the request does not tell."""
    words: list[str] = _WORD.findall(text.lower())
    kept = [w for w in words if w in _KEPT]
    if kept and kept[0] in ("open", "add"):  # "open the blinds to 50%", "add 2 eggs to ..."
        return kept[0]
    if "put" in words and "list" in words:
        return "add"
    if any(w in _LEVELS or w[0].isdigit() or w.endswith("%") for w in words):
        return "set"
    if "next" in words or ("skip" in words and "back" not in words):
        return "next"
    if "previous" in words and "play" not in words and "replay" not in words:
        return "previous"
    if any(w in _OFF for w in words):
        return "turn off"
    if any(w in _ON for w in words) or _says_on(words) or _lights_up(words):
        return "turn on"
    return kept[0] if kept else None


def _says_on(words: list[str]) -> bool:
    for index, word in enumerate(words):
        if word != "on":
            continue
        after = words[index + 1] if index + 1 < len(words) else None
        before = words[index - 1] if index else None
        if after is None or after in _ON_BEFORE or before in _ON_AFTER:
            return True
    return False


def _lights_up(words: list[str]) -> bool:
    """ "light up the hall", "lights up": switched on."""
    return any(a in ("light", "lights") and b == "up" for a, b in pairwise(words))
