"""Asking a model for lines of the command language, two ways.

``TrieLines`` drives the embedded model token by token over a trie of every allowed line (fast:
only allowed tokens are compared, forced runs are fed in one batch). ``SchemaLines`` asks any
backend for ``{"commands": [line, ...]}`` under the language's JSON schema (for OpenAI-compatible
servers). Both return the same thing, so the LLM tier does not care which one runs.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from hub.errors import LLMError
from hub.llm.backend import LLMBackend, Prompt
from hub.llm.command_language import CommandLanguage
from hub.llm.trie import TokenTrie
from hub.messages import Command

if TYPE_CHECKING:
    from hub.llm.llama import LlamaBackend

log = logging.getLogger(__name__)

TRIE_CACHE_SIZE = 8
# Tokens a request needs after the fixed prompt: its turn markers, the request with its English
# gloss and room, and up to four answer lines.
REQUEST_ROOM = 320


@dataclass(frozen=True)
class LineAnswer:
    lines: tuple[str, ...]
    confidence: float = 1.0  # lowest probability of a choice among allowed tokens (1.0: unknown)
    coverage: float = 1.0  # lowest share of the model's belief on allowed tokens (1.0: unknown)
    ms: float = 0.0
    generated_tokens: int = 0
    evaluated_tokens: int = 0  # prompt tokens evaluated for this request (0 when unknown)
    raw: str = ""


# a trie per (language key, local, only, within)
_TrieKey = tuple[str, bool, frozenset[str] | None, frozenset[str] | None]


class LineModel(Protocol):
    name: str

    def answer(
        self,
        prompt: Prompt,
        language: CommandLanguage,
        key: str,
        *,
        local: bool = False,
        refused: frozenset[str] = frozenset(),
        only: frozenset[str] | None = None,
        within: frozenset[str] | None = None,
    ) -> LineAnswer:
        """Lines for ``prompt.user``; ``key`` identifies ``language`` for caching. ``local``
        leaves out the whole-home lines (the request names a room); ``refused`` lines may not
        be written (a retry after the validator refused them); one ending in " *" ("set tv
        volume to *") refuses every line it begins, and ``NO_NUMBER`` every line that sets a
        level (the request says no number). ``only``: the lines may touch no other
        devices than these (a retry for the kind of device the request names). ``within``:
        only these lines may be written (a retry for "a bit brighter": the steps up)."""
        ...

    def warm(self, prompt: Prompt, language: CommandLanguage, key: str) -> None:
        """Load and prepare everything, so the first request is as fast as the rest."""
        ...

    def fits(self, prompt: Prompt) -> bool:
        """Whether ``prompt``'s fixed part leaves room in the model's context for a request
        and its answer. A model that cannot tell says False."""
        ...


class TrieLines:
    """Constrained decoding on the embedded llama.cpp model."""

    name = "llama"

    def __init__(self, backend: LlamaBackend, max_lines: int = 4) -> None:
        self.backend = backend
        self.max_lines = max_lines
        self._tries: collections.OrderedDict[_TrieKey, TokenTrie] = collections.OrderedDict()
        self._lock = threading.Lock()

    def trie(
        self,
        language: CommandLanguage,
        key: str,
        local: bool = False,
        only: frozenset[str] | None = None,
        within: frozenset[str] | None = None,
    ) -> TokenTrie:
        """The token trie of the language (without whole-home lines when ``local``; with only
        the lines about devices in ``only`` when given; of the lines ``within`` only, when
        given), built once per registry version: about a second for a home of 30 devices,
        milliseconds for a few devices."""
        cache_key = (key, local, only, within)
        with self._lock:
            trie = self._tries.get(cache_key)
            if trie is not None:
                self._tries.move_to_end(cache_key)
                return trie
        start = time.perf_counter()
        lines = [line for line in language.lines if not (local and line in language.whole_home)]
        free = [f.prefix for f in language.free]
        if only is not None:
            lines = [line for line in lines if touches_only(language.lines[line], only)]
            free = []  # a free-text line names its device in text the trie cannot check
        if within is not None:
            lines = [line for line in lines if line in within]
            free = []
        trie = TokenTrie.build(lines, self.backend.tokenize, free)
        log.info(
            "Built the %s command trie: %d lines, %d nodes in %.0f ms",
            ("local" if local else "full")
            + (f" ({len(only)} devices)" if only else "")
            + (" (chosen lines)" if within is not None else ""),
            len(lines),
            trie.size,
            (time.perf_counter() - start) * 1000,
        )
        with self._lock:
            self._tries[cache_key] = trie
            while len(self._tries) > TRIE_CACHE_SIZE:
                self._tries.popitem(last=False)
        return trie

    def answer(
        self,
        prompt: Prompt,
        language: CommandLanguage,
        key: str,
        *,
        local: bool = False,
        refused: frozenset[str] = frozenset(),
        only: frozenset[str] | None = None,
        within: frozenset[str] | None = None,
    ) -> LineAnswer:
        trie = self.trie(language, key, local, only, within)
        result = self.backend.decode(prompt, trie, max_lines=self.max_lines, refused=refused)
        return LineAnswer(
            lines=tuple(result.lines),
            confidence=result.confidence,
            coverage=result.coverage,
            ms=result.ms,
            generated_tokens=result.generated,
            evaluated_tokens=result.evaluated,
            raw="\n".join(result.lines),
        )

    def warm(self, prompt: Prompt, language: CommandLanguage, key: str) -> None:
        self.trie(language, key, local=False)
        self.trie(language, key, local=True)
        self.backend.warm(prompt)

    def fits(self, prompt: Prompt) -> bool:
        return self.backend.room_after(prompt) >= REQUEST_ROOM


class SchemaLines:
    """Any backend that takes a JSON schema: the answer is ``{"commands": [line, ...]}``."""

    def __init__(self, backend: LLMBackend, max_tokens: int = 160) -> None:
        self.backend = backend
        self.name = backend.name
        self.max_tokens = max_tokens

    def answer(
        self,
        prompt: Prompt,
        language: CommandLanguage,
        key: str,
        *,
        local: bool = False,
        refused: frozenset[str] = frozenset(),
        only: frozenset[str] | None = None,
        within: frozenset[str] | None = None,
    ) -> LineAnswer:
        del key, local, only, within  # one JSON schema serves every request; the tier checks
        user = prompt.user
        if refused:
            user += f"\n(Not allowed, do not write: {'; '.join(sorted(refused))})"
        as_json = Prompt(
            system=prompt.system + '\nAnswer as JSON: {"commands": [one string per command line]}.',
            examples=tuple((q, _json_answer(a)) for q, a in prompt.examples),
            user=user,
        )
        gen = self.backend.generate(as_json, language.json_schema(), max_tokens=self.max_tokens)
        try:
            data = json.loads(gen.text)
            lines = data["commands"]
            if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
                raise TypeError("commands is not a list of strings")
        except (ValueError, KeyError, TypeError) as exc:
            raise LLMError(
                f"the model's answer is not the expected JSON ({exc}): {gen.text[:200]!r}",
                code="bad_output",
            ) from None
        return LineAnswer(
            lines=tuple(lines),
            ms=gen.ms,
            generated_tokens=gen.completion_tokens,
            evaluated_tokens=gen.evaluated_tokens,
            raw=gen.text,
        )

    def warm(self, prompt: Prompt, language: CommandLanguage, key: str) -> None:
        del language, key
        self.backend.warm(prompt)

    def fits(self, prompt: Prompt) -> bool:
        """A server's context is not known here (and it caches prompts its own way): a large
        home is narrowed to the request's candidates, as before."""
        del prompt
        return False


def touches_only(commands: tuple[Command, ...], devices: frozenset[str]) -> bool:
    """Whether ``commands`` (a line's) act on some devices, all of them in ``devices``."""
    touched = {e for command in commands for e in command.entity_ids}
    return bool(touched) and touched <= devices


def _json_answer(lines: str) -> str:
    commands = [line for line in lines.split("\n") if line and line != "nothing"]
    return json.dumps({"commands": commands})
