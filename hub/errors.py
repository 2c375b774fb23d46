"""The one small exception tree of hub.

Every error a user can meet derives from HubError and carries a machine-readable ``code``
and a message a person can act on. The CLI turns them into one line on stderr (a ConfigError:
one line for each problem in the file).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class HubError(Exception):
    """Base of every error hub raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a config file: the key (``devices[3].area``), the reason, and where."""

    key: str
    reason: str
    line: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = self.file or "config"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.key}: {self.reason}" if self.key else f"{where}: {self.reason}"


class ConfigError(HubError):
    """The configuration file is missing, unreadable or invalid.

    It carries every problem found in one run (``problems``), one a line in its message;
    ``key``, ``reason``, ``line`` and ``file`` are the first problem's.
    """

    code = "config"

    def __init__(
        self,
        key: str,
        reason: str,
        *,
        line: int | None = None,
        file: str | None = None,
        more: Iterable[ConfigProblem] = (),
    ) -> None:
        self.key = key
        self.reason = reason
        self.line = line
        self.file = file
        self.problems: tuple[ConfigProblem, ...] = (ConfigProblem(key, reason, line, file), *more)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @classmethod
    def of(cls, problems: Sequence[ConfigProblem]) -> ConfigError:
        """One error for several problems (at least one), in the order given."""
        first, *more = problems
        return cls(first.key, first.reason, line=first.line, file=first.file, more=more)


class ModelError(HubError):
    """A model file is missing, corrupt or cannot be loaded; the message says how to fix it."""

    code = "model"


class LLMError(HubError):
    """The language model backend failed (server down, timeout, unusable output)."""

    code = "llm"


class RequestError(HubError):
    """A request is malformed: empty, too long, not text."""

    code = "bad_request"


class SpeechError(HubError):
    """The speech model, the microphone or an audio file cannot be used; the message says why."""

    code = "speech"
