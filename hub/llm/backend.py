"""The LLM interface every engine implements, and the records that cross it.

A prompt is split into a fixed part (system text and few-shot examples, identical on every
request) and the user's request. Engines that keep a KV cache (llama.cpp) rely on that split:
the fixed part is evaluated once and only the request costs time per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

JsonSchema = dict[str, Any]

# Among the lines a retry refuses: every line that sets a level to a number ("set tv volume to
# 30"), when the request says none ("make it louder").
NO_NUMBER = "any line with a number"


@dataclass(frozen=True)
class Prompt:
    """What the model is asked.

    ``system`` and ``examples`` form the fixed prefix and must stay byte-identical between
    requests for prefix caching to work; only ``user`` should change.
    """

    system: str
    examples: tuple[tuple[str, str], ...] = ()  # few-shot (user, assistant) pairs
    user: str = ""

    def messages(self) -> list[dict[str, str]]:
        """The prompt as OpenAI-style chat messages, examples as alternating turns."""
        out = [{"role": "system", "content": self.system}]
        for question, answer in self.examples:
            out.append({"role": "user", "content": question})
            out.append({"role": "assistant", "content": answer})
        out.append({"role": "user", "content": self.user})
        return out


@dataclass(frozen=True)
class Generation:
    """What the model answered, with the cost of answering.

    ``prompt_tokens`` is the whole prompt's length; ``cached_tokens`` is how many of them were
    reused from an earlier request instead of evaluated again (0 when the engine cannot tell).
    """

    text: str
    prompt_tokens: int
    completion_tokens: int
    ms: float
    cached_tokens: int = 0

    @property
    def evaluated_tokens(self) -> int:
        """Prompt tokens actually evaluated for this request."""
        return self.prompt_tokens - self.cached_tokens


@runtime_checkable
class LLMBackend(Protocol):
    """A text generator that can be constrained by a JSON schema.

    Implementations are thread-safe: callers may share one backend across threads.
    Failures surface as :class:`hub.errors.ModelError` (the model cannot be loaded) or
    :class:`hub.errors.LLMError` (a request failed).
    """

    name: str

    def generate(
        self,
        prompt: Prompt,
        schema: JsonSchema | None,
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> Generation:
        """Complete ``prompt``; with ``schema``, the text is JSON that obeys it."""
        ...

    def warm(self, prompt: Prompt) -> None:
        """Evaluate the fixed prefix of ``prompt`` so the first real request is fast."""
        ...

    def close(self) -> None:
        """Release the model or connection; the backend is unusable afterwards."""
        ...
