"""Saved KV caches of prompt prefixes, so a large home's prompts need not be evaluated twice.

A home with more devices than ``llm.max_candidates`` whose whole prompt does not fit the
model's context shows the model only the devices a request mentions, so its prompt's fixed part
(instructions, devices, examples) changes with the request's room or kind of device.
Evaluating such a prefix costs seconds on a Pi (about 90 tokens a second on two x86 cores), and
llama.cpp keeps only one sequence in its cache. When a request brings
another prefix, the one in the cache is saved first (only the KV cells of the prefix, about
12 KB a token for the default model, never the logits), and a prefix seen before is copied
back instead of evaluated again: milliseconds instead of seconds for the next request about
that room.

A home that fits one prompt never changes prefix and never saves anything in memory. On disk
(``hub.llm.saved_prompt``), the first prefix a process evaluates and the one ``warm`` evaluates are
saved, and any prefix found there is loaded instead of evaluated: a restart skips its prompt.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from hub.llm.saved_prompt import StateFiles, prefix_key

if TYPE_CHECKING:
    from llama_cpp import Llama

log = logging.getLogger(__name__)

SEQ = 0  # the one sequence the backend uses


class PrefixStates:
    """Up to ``size`` saved prefixes, least recently used dropped first."""

    def __init__(self, size: int = 8, files: StateFiles | None = None) -> None:
        self.size = size
        self.files = files  # prefixes kept on disk, across restarts
        self._saved: collections.OrderedDict[str, tuple[int, bytes]] = collections.OrderedDict()
        self.current: list[int] | None = None  # the prefix at the head of the KV cache
        self.restored = 0
        self.loaded = 0
        self.evaluated = 0

    def switch(self, llm: Llama, prefix: list[int], *, keep: bool = False) -> None:
        """Make ``prefix`` the head of ``llm``'s KV cache: kept when it is there, copied back
        when it was saved (in memory, else on disk), evaluated otherwise (the one it replaces
        is saved first). An evaluated prefix is written to disk when ``keep`` is set or it is
        the first this process evaluates."""
        if llm.n_tokens >= len(prefix) and llm.input_ids[: len(prefix)].tolist() == prefix:
            self.current = list(prefix)
            return
        saved = self._saved.pop(prefix_key(prefix), None)  # it becomes the current one
        first = self.current is None
        if self.current is not None and self.current != prefix:
            self._save(llm, self.current)
        start = time.perf_counter()
        if saved is not None and self._restore(llm, prefix, saved):
            self.restored += 1
            how = "restored"
        elif self._load(llm, prefix, start):
            self.loaded += 1
            how = "loaded"
        else:
            cached = int(llm.n_tokens)
            llm.n_tokens = shared_length(llm.input_ids[:cached].tolist(), prefix)
            whole = llm.n_tokens == 0  # a file must hold what a fresh evaluation gives
            llm.eval(prefix[llm.n_tokens :])
            self.evaluated += 1
            how = "evaluated"
            if self.files is not None and whole and (keep or first):
                self._store(self.files, llm, prefix, time.perf_counter() - start)
        self.current = list(prefix)
        log.debug(
            "%s a prompt prefix of %d tokens in %.0f ms (%d saved)",
            how,
            len(prefix),
            (time.perf_counter() - start) * 1000,
            len(self._saved),
        )

    def _load(self, llm: Llama, prefix: list[int], start: float) -> bool:
        if self.files is None:
            return False
        found = self.files.load(prefix)
        if found is None:
            return False
        path, data = found
        if not self._restore(llm, prefix, (len(prefix), data)):
            return False
        log.info(
            "Loaded the model's fixed prompt from %s in %.2f s "
            "(instead of evaluating its %d tokens)",
            path,
            time.perf_counter() - start,
            len(prefix),
        )
        return True

    def _store(self, files: StateFiles, llm: Llama, prefix: list[int], seconds: float) -> None:
        data = _sequence_data(llm)
        if data is None:
            log.warning("could not read the KV cache of the prompt to save it")
            return
        path = files.save(prefix, data)
        if path is not None:
            log.info(
                "Saved the model's fixed prompt to %s (%.1f MB; "
                "evaluating its %d tokens took %.1f s)",
                path,
                len(data) / 1e6,
                len(prefix),
                seconds,
            )

    def _save(self, llm: Llama, prefix: list[int]) -> None:
        key = prefix_key(prefix)
        if key in self._saved:
            self._saved.move_to_end(key)
            return
        if llm.input_ids[: len(prefix)].tolist() != prefix or llm.n_tokens < len(prefix):
            return  # not what the cache holds any more
        ctx = llm._ctx
        ctx.kv_cache_seq_rm(SEQ, len(prefix), -1)  # only the prefix is worth keeping
        llm.n_tokens = len(prefix)
        data = _sequence_data(llm)
        if data is None:
            log.warning("could not save the KV cache of a prompt prefix")
            return
        self._saved[key] = (len(prefix), data)
        while len(self._saved) > self.size:
            self._saved.popitem(last=False)

    def _restore(self, llm: Llama, prefix: list[int], saved: tuple[int, bytes]) -> bool:
        import llama_cpp

        length, data = saved
        ctx = llm._ctx
        ctx.kv_cache_seq_rm(SEQ, 0, -1)
        buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        done = int(llama_cpp.llama_state_seq_set_data(ctx.ctx, buffer, len(data), SEQ))
        if done == 0 or int(llama_cpp.llama_memory_seq_pos_max(ctx.memory, SEQ)) != length - 1:
            log.warning("could not restore the KV cache of a prompt prefix; evaluating it")
            ctx.kv_cache_seq_rm(SEQ, 0, -1)
            llm.n_tokens = 0
            return False
        llm.input_ids[:length] = prefix
        llm.n_tokens = length
        return True


def _sequence_data(llm: Llama) -> bytes | None:
    """The KV cells of the backend's sequence, as llama.cpp copies them out (None: failed)."""
    import llama_cpp

    ctx = llm._ctx.ctx
    size = int(llama_cpp.llama_state_seq_get_size(ctx, SEQ))
    buffer = (ctypes.c_uint8 * size)()
    written = int(llama_cpp.llama_state_seq_get_data(ctx, buffer, size, SEQ))
    return bytes(buffer)[:written] if written else None


def shared_length(a: Sequence[object], b: Sequence[object]) -> int:
    """Length of the common prefix of two sequences (strings or token lists)."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
