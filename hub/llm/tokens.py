"""The trie decoder's model (``hub.llm.trie.DraftModel``) on a llama-cpp-python ``Llama``.

Feeding tokens, reading the logits of the few tokens the trie allows, guessing ahead in one batch
(``feed_draft``: logits kept for the guessed rows only) and taking a wrong guess back. The
caller (``LlamaBackend.decode``) holds the model's lock for the whole answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llama_cpp import Llama


class LlamaTokens:
    """hub.llm.trie.TokenModel on a llama-cpp-python ``Llama`` (the caller holds the lock).

    A token's score counts its case variants too (" TV" for " tv"): the lines are lower case,
    the model copies the user's case, and both mean the same device.
    """

    def __init__(self, llm: Llama, variants: dict[int, Any]) -> None:
        self._llm = llm
        self._n_vocab = int(llm.n_vocab())
        self._variants = variants
        self._row = -1  # the batch row whose logits are current (-1: the last one evaluated)
        self._kept: frozenset[int] = frozenset()  # the rows of the last draft with logits
        self._offset = 0  # tokens of the last draft evaluated before its batch

    def feed(self, tokens: Sequence[int]) -> None:
        if tokens:
            self._llm.eval(list(tokens))
            self._row = -1

    def feed_draft(
        self, tokens: Sequence[int], first: int = 0, quiet: frozenset[int] = frozenset()
    ) -> None:
        """One batch with logits after every token from ``tokens[first]`` on but those in
        ``quiet`` (``Llama.eval`` keeps only the last); a head longer than a batch is
        evaluated before it."""
        llm = self._llm
        head = max(0, min(first, len(tokens) - llm.n_batch))
        if head:
            self.feed(tokens[:head])
        draft = list(tokens[head:])
        n_past = llm.n_tokens
        llm._ctx.kv_cache_seq_rm(-1, n_past, -1)
        llm._batch.set_batch(batch=draft, n_past=n_past, logits_all=True)
        kept = set()
        for index in range(len(draft)):
            keep = index >= first - head and index + head not in quiet
            llm._batch.batch.logits[index] = keep
            if keep:
                kept.add(index)
        self._kept = frozenset(kept)
        llm._ctx.decode(llm._batch)
        llm.input_ids[n_past : n_past + len(draft)] = draft
        llm.n_tokens = n_past + len(draft)
        self._offset = head
        self._row = first - head

    def select(self, index: int) -> None:
        self._row = index - self._offset

    def rollback(self, count: int) -> None:
        # The next eval or draft drops the KV cache beyond n_tokens (kv_cache_seq_rm).
        self._llm.n_tokens -= count

    def _logits(self) -> Any:
        import llama_cpp
        import numpy as np

        if self._row >= 0 and self._row not in self._kept:  # the decoder's promise broken
            raise RuntimeError(f"no logits were kept after row {self._row} of the draft")

        pointer = llama_cpp.llama_get_logits_ith(self._llm.ctx, self._row)
        return np.ctypeslib.as_array(pointer, shape=(self._n_vocab,))

    def logits(self, token_ids: Sequence[int]) -> list[float]:
        import numpy as np

        logits = self._logits()
        scores = []
        for token in token_ids:
            same = self._variants.get(token)
            if same is None:
                scores.append(float(logits[token]))
            else:
                values = logits[same]
                top = float(values.max())
                scores.append(top + float(np.log(np.exp(values - top).sum())))
        return scores

    def log_total(self) -> float:
        import numpy as np

        logits = self._logits()
        top = float(logits.max())
        return top + float(np.log(np.exp(logits - top).sum()))

    def free_token(self) -> int:
        import numpy as np

        logits = self._logits()
        token = int(np.argmax(logits))
        text = self._llm.detokenize([token], special=True)
        if token != self._llm.token_eos() and (b"\n" in text or b"<|" in text):
            return int(self._llm.token_eos())
        return token
