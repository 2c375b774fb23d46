"""A second llama.cpp context on a model that a ``Llama`` object has already loaded.

The free-text writer (summaries, FAQ answers) needs a KV cache of its own, so that writing
never evicts the command prompt the request path keeps cached. A second ``Llama`` object would
give it one, but it also loads the GGUF a second time: the weights are mapped twice and the
resident size of the daemon grows by the whole model (about 0.45 GB). A context made from the
first object's model shares the weights and costs only its KV cache and buffers.

``Context`` offers the few members of ``Llama`` the writer uses (``eval``, ``input_ids``,
``n_tokens``, ``ctx``, tokenizing), so the writer runs the same on either. Closing the model
closes its contexts first (llama-cpp-python registers them with the model); after that every
call raises :class:`hub.errors.LLMError` instead of reaching freed native memory.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hub.errors import LLMError

if TYPE_CHECKING:
    from llama_cpp import Llama

log = logging.getLogger(__name__)


class Context:
    """A llama.cpp context with its own KV cache on ``llama``'s weights."""

    def __init__(self, llama: Llama, *, n_ctx: int, n_threads: int, n_batch: int) -> None:
        import llama_cpp
        import numpy as np
        from llama_cpp._internals import LlamaBatch, LlamaContext

        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = min(n_ctx, n_batch)
        params.n_ubatch = params.n_batch
        params.n_threads = n_threads
        params.n_threads_batch = n_threads
        params.no_perf = True
        self._llama = llama
        try:
            self._ctx = LlamaContext(model=llama._model, params=params, verbose=False)
        except ValueError as exc:
            raise LLMError(f"cannot make a second context on the model: {exc}") from exc
        self._batch = LlamaBatch(n_tokens=params.n_batch, embd=0, n_seq_max=1, verbose=False)
        self.n_batch = int(params.n_batch)
        self.input_ids = np.ndarray((n_ctx,), dtype=np.intc)
        self.n_tokens = 0

    @property
    def ctx(self) -> Any:
        """The native ``llama_context`` pointer (for ``llama_get_logits_ith``)."""
        ctx = self._ctx.ctx
        if ctx is None:
            raise LLMError("the model behind this context is closed", code="closed")
        return ctx

    @property
    def closed(self) -> bool:
        return self._ctx.ctx is None

    def n_ctx(self) -> int:
        self.ctx  # noqa: B018 - raises once closed
        return int(self._ctx.n_ctx())

    def n_vocab(self) -> int:
        return int(self._llama.n_vocab())

    def token_eos(self) -> int:
        return int(self._llama.token_eos())

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        self.ctx  # noqa: B018
        return list(self._llama.tokenize(text, add_bos=add_bos, special=special))

    def detokenize(self, tokens: list[int], special: bool = False) -> bytes:
        self.ctx  # noqa: B018
        return bytes(self._llama.detokenize(tokens, special=special))

    def eval(self, tokens: Sequence[int]) -> None:
        """Evaluate ``tokens`` after the first ``n_tokens`` (what follows is dropped first)."""
        self.ctx  # noqa: B018
        self._ctx.kv_cache_seq_rm(-1, self.n_tokens, -1)
        for start in range(0, len(tokens), self.n_batch):
            batch = list(tokens[start : start + self.n_batch])
            self._batch.set_batch(batch=batch, n_past=self.n_tokens, logits_all=False)
            self._ctx.decode(self._batch)
            self.input_ids[self.n_tokens : self.n_tokens + len(batch)] = batch
            self.n_tokens += len(batch)

    def close(self) -> None:
        self._ctx.close()  # type: ignore[no-untyped-call]
        self._batch.close()  # type: ignore[no-untyped-call]
