"""Free text from the local model (summaries, FAQ answers), without disturbing requests.

``LlamaWriter`` has a llama.cpp context of its own, so the request path's KV cache, which holds
its command prompt, is never evicted. In the daemon it shares the request path's loaded model
(:meth:`LlamaWriter.sharing`, :mod:`hub.llm.context`): the weights are in memory once, and the
second context costs only its KV cache and buffers. Alone (``hub summarize``) it loads the GGUF.

Background writes yield to requests through :mod:`hub.llm.gate`: the prompt is evaluated in
small batches and the answer one token at a time, and before each step the writer waits until
no request is using the model. A request therefore waits at most one such step. The writer's
lock is held per step only; a request-priority write may run between two steps of a background
one, and the background write re-evaluates whatever of its tokens the other evicted.

Decoding is greedy with a mild repetition penalty (small models otherwise loop).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from hub.errors import LLMError
from hub.llm.backend import Prompt
from hub.llm.chat import ChatTemplate
from hub.llm.context import Context
from hub.llm.gate import SHARED, Gate
from hub.llm.llama import check_gguf, default_threads, load_llama
from hub.llm.prefix_cache import shared_length

if TYPE_CHECKING:
    from llama_cpp import Llama

    from hub.llm.llama import LlamaBackend

log = logging.getLogger(__name__)

Priority = Literal["request", "background"]
PROMPT_STEP = 8  # prompt tokens evaluated per step of a background write (one step: ~40 ms)
REPEAT_PENALTY = 1.15
REPEAT_WINDOW = 64


@dataclass(frozen=True)
class Written:
    text: str
    prompt_tokens: int
    completion_tokens: int
    ms: float
    yields: int  # steps that waited for a request


class TextWriter(Protocol):
    """Writes free text for a system text and a user text."""

    def write(
        self, system: str, user: str, *, max_tokens: int, priority: Priority = "background"
    ) -> str: ...

    def count_tokens(self, text: str) -> int:
        """How many tokens ``text`` takes (an estimate is fine for fakes)."""
        ...

    @property
    def context_tokens(self) -> int: ...


class LlamaWriter:
    """A :class:`TextWriter` on a GGUF model, with its own llama.cpp context."""

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        gate: Gate | None = None,
        chat_template: str | None = None,
        share: LlamaBackend | None = None,
    ) -> None:
        self.model_path = Path(model_path)
        self.gate = gate or SHARED
        self._lock = threading.Lock()
        threads = n_threads or default_threads()
        self._llama: Llama | Context | None
        if share is not None:
            self._llama = share.context(n_ctx=n_ctx, n_threads=threads, n_batch=PROMPT_STEP * 4)
            self._template = share.template
        else:
            check_gguf(self.model_path)
            loaded = load_llama(self.model_path, n_ctx, threads, PROMPT_STEP * 4)
            self._llama = loaded
            self._template = ChatTemplate.for_model(loaded, chat_template)
        self._fresh = False  # the context's logits are those of its last token, still unused
        self._ends = self._end_tokens()
        self.last: Written | None = None

    @property
    def context_tokens(self) -> int:
        return int(self._open().n_ctx())

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return len(self._open().tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def write(
        self, system: str, user: str, *, max_tokens: int, priority: Priority = "background"
    ) -> str:
        """Answer ``user`` under ``system``; background writes yield to requests per step."""
        text = self._template.render(Prompt(system, (), user).messages())
        with self._lock:
            prompt = self._open().tokenize(text.encode("utf-8"), add_bos=False, special=True)
            n_ctx = int(self._open().n_ctx())
        if len(prompt) + 8 >= n_ctx:
            raise LLMError(
                f"prompt of {len(prompt)} tokens does not fit the writer's context of {n_ctx}",
                code="context_overflow",
            )
        max_tokens = min(max_tokens, n_ctx - len(prompt) - 1)
        background = priority == "background"
        start = time.perf_counter()
        yields_before = self.gate.yields
        with nullcontext() if background else self.gate.request():
            out = self._run(prompt, max_tokens, background)
        piece = self._detokenize(out)
        for stop in self._template.stop:
            piece = piece.split(stop)[0]
        ms = (time.perf_counter() - start) * 1000
        self.last = Written(
            piece.strip(), len(prompt), len(out), ms, self.gate.yields - yields_before
        )
        log.debug(
            "wrote %d tokens for a %d-token prompt in %.0f ms (%s)",
            len(out),
            len(prompt),
            ms,
            priority,
        )
        return self.last.text

    @classmethod
    def sharing(cls, backend: LlamaBackend, *, n_ctx: int = 2048) -> LlamaWriter:
        """A writer on ``backend``'s loaded model, with a context of its own."""
        return cls(backend.model_path, n_ctx=n_ctx, n_threads=backend.n_threads, share=backend)

    def close(self) -> None:
        with self._lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None

    # -- the steps ------------------------------------------------------------------------
    def _run(self, prompt: list[int], max_tokens: int, background: bool) -> list[int]:
        seq = list(prompt)
        out: list[int] = []
        step = PROMPT_STEP if background else len(prompt)
        while True:
            if background:
                self.gate.wait_idle()
            with self._lock:
                llm = self._open()
                try:
                    done = self._sync(llm, seq, step)
                    if not done:
                        continue
                    token = self._next(llm, out)
                except LLMError:
                    raise
                except Exception as exc:  # the seam to native code
                    raise LLMError(f"writing failed: {exc}", code="generation") from exc
            if token in self._ends:
                return out
            out.append(token)
            seq.append(token)
            if len(out) >= max_tokens:
                return out

    def _sync(self, llm: Llama, seq: list[int], step: int) -> bool:
        """Bring the KV cache up to ``seq``, at most ``step`` tokens now; True when it is."""
        cached = shared_length(llm.input_ids[: int(llm.n_tokens)].tolist(), seq)
        if cached == len(seq):
            if cached and self._fresh:
                return True
            cached -= 1  # logits of the last token are needed again
        llm.n_tokens = cached  # eval() drops the KV cache beyond this point
        todo = seq[cached : cached + max(step, 1)]
        llm.eval(todo)
        self._fresh = True
        return cached + len(todo) == len(seq)

    def _next(self, llm: Llama, out: list[int]) -> int:
        import llama_cpp
        import numpy as np

        n_vocab = int(llm.n_vocab())
        pointer = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
        logits = np.array(np.ctypeslib.as_array(pointer, shape=(n_vocab,)), dtype=np.float32)
        recent = list(set(out[-REPEAT_WINDOW:]))
        if recent:
            values = logits[recent]
            logits[recent] = np.where(values > 0, values / REPEAT_PENALTY, values * REPEAT_PENALTY)
        self._fresh = False  # the logits are used: the next step must evaluate a token
        return int(np.argmax(logits))

    def _end_tokens(self) -> frozenset[int]:
        """End of text, and the chat template's end-of-turn marks when they are one token."""
        llm = self._open()
        ends = {int(llm.token_eos())}
        for stop in self._template.stop:
            tokens = llm.tokenize(stop.encode("utf-8"), add_bos=False, special=True)
            if len(tokens) == 1:
                ends.add(int(tokens[0]))
        return frozenset(ends)

    def _detokenize(self, tokens: list[int]) -> str:
        with self._lock:
            data: bytes = self._open().detokenize(tokens, special=True)
        return data.decode("utf-8", errors="replace")

    def _open(self) -> Any:
        if self._llama is None or (isinstance(self._llama, Context) and self._llama.closed):
            raise LLMError("the writer is closed", code="closed")
        return self._llama


class FakeWriter:
    """A :class:`TextWriter` for tests: answers from a queue, or by a function of the prompt."""

    def __init__(self, *answers: str, context_tokens: int = 2048) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, str, int, str]] = []
        self._context = context_tokens

    @property
    def context_tokens(self) -> int:
        return self._context

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 3)

    def enqueue(self, answer: str) -> None:
        self.answers.append(answer)

    def write(
        self, system: str, user: str, *, max_tokens: int, priority: Priority = "background"
    ) -> str:
        self.calls.append((system, user, max_tokens, priority))
        return self.answers.pop(0) if self.answers else ""
