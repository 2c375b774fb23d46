"""The one small exception tree of hub.

Every error a user can meet derives from HubError and carries a machine-readable ``code``
and a message a person can act on. The CLI turns them into one line on stderr.
"""

from __future__ import annotations


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


class ConfigError(HubError):
    """The configuration file is missing, unreadable or invalid."""

    code = "config"

    def __init__(self, key: str, reason: str, *, line: int | None = None, file: str | None = None):
        self.key = key
        self.reason = reason
        self.line = line
        self.file = file
        where = file or "config"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {key}: {reason}" if key else f"{where}: {reason}")


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
