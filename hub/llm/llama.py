"""The embedded engine: a GGUF model run in-process by llama-cpp-python.

Why it is shaped this way:

- ``llama_cpp`` is imported only when a backend is built, so hub imports (and its tests run)
  on machines without the native library.
- One ``Llama`` object sits behind one lock: llama.cpp contexts are not thread-safe, and on a
  Pi the cores are better spent on one request at a time than on several fighting over them.
- The prompt is rendered by us into one raw string (the model's own chat template, ChatML if it
  has none) and handed to ``create_completion`` as tokens. The system text and examples then
  render to the same leading tokens on every request, and llama-cpp-python keeps those in its
  KV cache: only the user's request is evaluated per call. ``Generation.cached_tokens`` says how
  many prompt tokens were reused, so the effect can be measured instead of assumed.
- With a ``state_dir``, an evaluated fixed prompt is saved there and loaded after a restart
  instead of evaluated again (see :mod:`hub.llm.saved_prompt`): the first answer comes seconds
  sooner.
- JSON schemas become GBNF grammars once per distinct schema (keyed by a hash of the schema)
  and are test-compiled against the vocabulary before first use, so a schema llama.cpp cannot
  parse fails with a clear error instead of a NULL sampler deep inside a request.
- Schema-constrained greedy requests (the hub's usual call) skip ``create_completion``'s
  sampler, which runs the grammar over the whole vocabulary at every token, and ask the grammar
  about the best token first (see :class:`hub.llm.greedy.GrammarGreedy`): same output, about
  1 s less for a 30-token answer on 2 cores. ``fast_grammar=False`` restores the stock path.

llama-cpp-python 0.3.36 quirks handled here: with ``verbose=False`` it points file descriptors
1 and 2 at /dev/null while the model loads (so load before starting threads that print), and its
native log callback prints to stderr; we replace that callback with one that feeds our logger at
DEBUG level and keeps the last error lines for the exception message.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from hub.errors import LLMError, ModelError
from hub.llm.backend import NO_NUMBER, Generation, JsonSchema, Prompt
from hub.llm.chat import ChatTemplate
from hub.llm.context import Context
from hub.llm.gate import SHARED, Gate
from hub.llm.greedy import GrammarGreedy
from hub.llm.leads import lead
from hub.llm.prefix_cache import PrefixStates, shared_length
from hub.llm.saved_prompt import StateFiles, model_identity
from hub.llm.tokens import LlamaTokens
from hub.llm.trie import Hints, TokenTrie, decode

if TYPE_CHECKING:
    from llama_cpp import Llama
    from llama_cpp.llama_grammar import LlamaGrammar

log = logging.getLogger(__name__)
# where a line sets a level: "set tv volume to 3"
_A_LEVEL = re.compile(r"\bto -?\d")
native_log = logging.getLogger(__name__ + ".native")

GGUF_MAGIC = b"GGUF"
INSTALL_HINT = "run `hub model install` to install the default model"
GRAMMAR_CACHE_SIZE = 32
AREA_TAG = re.compile(r"^\[[^\]]*\]\s*")  # "[in kitchen] " before a request (hub.llm.prompt)

# ggml_log_level in the bundled llama.cpp: 0 none, 1 debug, 2 info, 3 warn, 4 error, 5 continue.
_GGML_ERROR = 4
_native_errors: collections.deque[str] = collections.deque(maxlen=8)
_log_sink: Any = None  # the ctypes callback; must stay referenced while llama.cpp may call it
_listeners: list[Callable[[str], None]] = []  # see native_lines


def default_threads() -> int:
    """Four threads on a Pi 5 (four cores); fewer where there are fewer cores."""
    return min(4, os.cpu_count() or 1)


@dataclass(frozen=True)
class EvalStats:
    """llama.cpp's own counters for the last request: what was really evaluated, and how long."""

    prompt_eval_tokens: int
    prompt_eval_ms: float
    gen_tokens: int
    gen_ms: float


@dataclass(frozen=True)
class TrieAnswer:
    lines: list[str]
    ms: float
    evaluated: int  # prompt tokens evaluated for this request
    generated: int  # tokens the model chose
    forced: int  # tokens fed because the trie allowed only them
    confidence: float
    coverage: float


class LlamaBackend:
    """An LLM backend running a GGUF model in this process."""

    name = "llama"

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        n_batch: int = 512,
        chat_template: str | None = None,
        fast_grammar: bool = True,
        draft: bool = True,
        gate: Gate | None = None,
        state_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.model_path = Path(model_path)
        check_gguf(self.model_path)
        self.n_threads = n_threads or default_threads()
        self._lock = threading.Lock()
        self._grammar_lock = threading.Lock()
        self._grammars: collections.OrderedDict[str, LlamaGrammar] = collections.OrderedDict()
        self.last_stats: EvalStats | None = None
        self.fast_grammar = fast_grammar
        self.draft = draft  # guess ahead through the request's words, verify in one batch
        self.gate = gate or SHARED  # marks requests busy, so background writers wait
        self._greedy_sampler: GrammarGreedy | None = None
        self._prefixes: collections.OrderedDict[str, list[int]] = collections.OrderedDict()
        self._variants: dict[int, Any] | None = None
        start = time.perf_counter()
        self._llama: Llama | None = load_llama(self.model_path, n_ctx, self.n_threads, n_batch)
        self.load_ms = (time.perf_counter() - start) * 1000
        files = None
        if state_dir is not None:
            files = self._state_files(Path(state_dir), n_ctx=n_ctx, n_batch=n_batch)
        self._states = PrefixStates(files=files)
        self._template = ChatTemplate.for_model(self._llama, chat_template)
        log.info(
            "loaded %s in %.0f ms (n_ctx=%d, n_threads=%d, template=%s)",
            self.model_path,
            self.load_ms,
            n_ctx,
            self.n_threads,
            self._template.kind,
        )

    def generate(
        self,
        prompt: Prompt,
        schema: JsonSchema | None,
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> Generation:
        """Complete ``prompt``, constrained to ``schema`` when one is given."""
        grammar = self._grammar(schema) if schema is not None else None
        text = self._template.render(prompt.messages())
        with self.gate.request(), self._lock:  # summaries yield while a request runs
            llm = self._open()
            tokens = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
            n_ctx = llm.n_ctx()
            if len(tokens) + 1 >= n_ctx:
                raise LLMError(
                    f"prompt of {len(tokens)} tokens does not fit the context of {n_ctx} tokens; "
                    "shorten the prompt or raise n_ctx",
                    code="context_overflow",
                )
            cached = _reusable_prefix(llm, tokens)
            max_tokens = min(max_tokens, n_ctx - len(tokens))
            _reset_perf(llm)
            start = time.perf_counter()
            try:
                if grammar is not None and temperature == 0.0 and self.fast_grammar:
                    out, finish = self._greedy(llm).run(tokens, cached, grammar, max_tokens)
                    completion = llm.detokenize(out).decode("utf-8", errors="replace")
                    n_out = len(out)
                else:
                    result = cast(
                        dict[str, Any],
                        llm.create_completion(
                            tokens,
                            max_tokens=max_tokens,
                            temperature=temperature,
                            grammar=grammar,
                            stop=self._template.stop,
                        ),
                    )
                    completion = result["choices"][0]["text"]
                    finish = result["choices"][0]["finish_reason"]
                    n_out = result["usage"]["completion_tokens"]
            except LLMError:
                raise
            except Exception as exc:  # the seam to native code: anything here is a failed call
                raise LLMError(f"generation failed: {exc}", code="generation") from exc
            ms = (time.perf_counter() - start) * 1000
            self.last_stats = _read_perf(llm)
        gen = Generation(
            text=completion,
            prompt_tokens=len(tokens),
            completion_tokens=n_out,
            ms=ms,
            cached_tokens=cached,
        )
        if schema is not None and finish == "length":
            log.warning("constrained output hit max_tokens=%d: JSON is incomplete", max_tokens)
        log.debug(
            "generated %d tokens in %.0f ms (prompt %d, reused %d; %s)",
            gen.completion_tokens,
            gen.ms,
            gen.prompt_tokens,
            gen.cached_tokens,
            self.last_stats,
        )
        return gen

    def tokenize(self, text: str) -> list[int]:
        """The model's tokens for plain text (no special tokens), as an answer would hold them."""
        with self._lock:
            return list(self._open().tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def decode(
        self,
        prompt: Prompt,
        trie: TokenTrie,
        *,
        max_lines: int = 4,
        refused: frozenset[str] = frozenset(),
    ) -> TrieAnswer:
        """Answer ``prompt`` with lines from ``trie`` (see hub.llm.trie), greedily."""
        text = self._template.render(prompt.messages())
        with self.gate.request(), self._lock:
            llm = self._open()
            tokens = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
            if len(tokens) + 64 >= llm.n_ctx():
                raise LLMError(
                    f"prompt of {len(tokens)} tokens does not fit the context of {llm.n_ctx()}; "
                    "raise model.context in the config",
                    code="context_overflow",
                )
            start = time.perf_counter()
            try:
                self._states.switch(llm, self._prefix(llm, prompt))  # a large home's rooms
                reuse = _reusable_prefix(llm, tokens)
                llm.n_tokens = reuse  # evaluating drops the KV cache beyond this point
                model = LlamaTokens(llm, self._case_variants(llm))
                newline = self._newline(llm)
                banned = dead = None
                if refused:
                    # "set tv volume to *" refuses every level of that setting
                    levels = tuple(r[:-1] for r in refused if r.endswith(" *"))
                    any_number = NO_NUMBER in refused

                    def said(tokens: list[int]) -> str:
                        text = llm.detokenize(tokens).decode("utf-8", errors="replace")
                        return " ".join(text.split())

                    def refuses_all(tokens: list[int]) -> bool:
                        text = said(tokens)
                        if any_number and _A_LEVEL.search(text):
                            return True
                        return bool(levels) and text.startswith(levels)

                    def refuses(tokens: list[int]) -> bool:
                        return said(tokens) in refused or refuses_all(tokens)

                    banned, dead = refuses, refuses_all

                result = decode(
                    model,
                    trie,
                    newline=newline,
                    end=llm.token_eos(),
                    max_lines=max_lines,
                    banned=banned,
                    dead=dead,
                    hints=self._hints(llm, prompt.user) if self.draft else Hints(),
                    prompt=tokens[reuse:],
                )
                lines = [
                    llm.detokenize(line).decode("utf-8", errors="replace") for line in result.lines
                ]
            except Exception as exc:  # the seam to native code
                raise LLMError(f"generation failed: {exc}", code="generation") from exc
            ms = (time.perf_counter() - start) * 1000
        log.debug(
            "decoded %s in %.0f ms (%d evaluated, %d chosen, %d forced, confidence %.2f)",
            lines,
            ms,
            len(tokens) - reuse,
            result.generated,
            result.forced,
            result.confidence,
        )
        return TrieAnswer(
            lines,
            ms,
            len(tokens) - reuse,
            result.generated,
            result.forced,
            result.confidence,
            result.coverage,
        )

    def _hints(self, llm: Llama, text: str) -> Hints:
        """The request's tokens, lower case, as each word would start a line (in the
        request's order, its area tag left out) and as the words come after a space, and the
        words its line likely starts with (hub.llm.leads): the trie decoder guesses ahead
        through lines made of these."""
        lower = text.lower()

        def tokens(text: str) -> list[int]:
            return list(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

        untagged = AREA_TAG.sub("", lower)
        words = untagged.split()
        article = tokens(" the")
        weak = frozenset(article) if len(article) == 1 else frozenset()
        first = lead(untagged)
        return Hints.of(
            *(tokens(word) for word in words),
            tokens(" " + lower),
            weak=weak,
            lead=tokens(first) if first else (),
        )

    def _case_variants(self, llm: Llama) -> dict[int, Any]:
        """Token id -> the ids of every token with the same text in lower case (built once)."""
        if self._variants is None:
            import numpy as np

            started = time.perf_counter()
            groups: dict[bytes, list[int]] = {}
            for token in range(int(llm.n_vocab())):
                text = llm.detokenize([token], special=False)
                if text:
                    groups.setdefault(text.lower(), []).append(token)
            self._variants = {
                token: np.array(ids, dtype=np.int64)
                for ids in groups.values()
                if len(ids) > 1
                for token in ids
            }
            log.debug(
                "case variants of the vocabulary in %.0f ms", (time.perf_counter() - started) * 1000
            )
        return self._variants

    def _newline(self, llm: Llama) -> int:
        tokens = llm.tokenize(b"\n", add_bos=False, special=False)
        return int(tokens[-1])

    def _prefix(self, llm: Llama, prompt: Prompt) -> list[int]:
        """The tokens of the prompt's fixed part (system and examples), found by rendering it
        with two different requests and keeping what they share, so it works whatever the chat
        template does around the user turn. Remembered per fixed part."""
        key = schema_key({"system": prompt.system, "examples": list(prompt.examples)})
        tokens = self._prefixes.get(key)
        if tokens is None:
            a = self._template.render(Prompt(prompt.system, prompt.examples, "a").messages())
            b = self._template.render(Prompt(prompt.system, prompt.examples, "b").messages())
            text = a[: shared_length(a, b)]
            tokens = list(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))
            self._prefixes[key] = tokens
            while len(self._prefixes) > GRAMMAR_CACHE_SIZE:
                self._prefixes.popitem(last=False)
        else:
            self._prefixes.move_to_end(key)
        return tokens

    def room_after(self, prompt: Prompt) -> int:
        """The tokens the context has left after the fixed part of ``prompt``: what a
        request, the chat template's turn markers and the answer may use."""
        with self._lock:
            llm = self._open()
            return int(llm.n_ctx()) - len(self._prefix(llm, prompt))

    def _state_files(self, directory: Path, *, n_ctx: int, n_batch: int) -> StateFiles | None:
        """Where evaluated prompts are kept across restarts (see hub.llm.saved_prompt)."""
        try:
            identity = model_identity(
                self.model_path, n_ctx=n_ctx, n_batch=n_batch, n_threads=self.n_threads
            )
        except OSError as exc:
            log.warning("Not saving evaluated prompts: cannot read %s: %s", self.model_path, exc)
            return None
        return StateFiles(directory, identity)

    def warm(self, prompt: Prompt) -> None:
        """Evaluate the fixed prefix (system and examples), or load it from the state
        directory, and one decode step; prepare the vocabulary's case variants for
        constrained decoding."""
        start = time.perf_counter()
        with self._lock:
            llm = self._open()
            tokens = self._prefix(llm, prompt)
            if not tokens:
                return
            self._states.switch(llm, tokens, keep=True)  # saved on disk when evaluated
            llm.n_tokens = len(tokens) - 1  # the last token again: warms single-token steps
            llm.eval(tokens[-1:])
            self._case_variants(llm)
        log.info(
            "warmed %d prefix tokens in %.0f ms", len(tokens), (time.perf_counter() - start) * 1000
        )

    @property
    def template(self) -> ChatTemplate:
        return self._template

    def context(self, *, n_ctx: int, n_threads: int, n_batch: int) -> Context:
        """A second llama.cpp context on this model's weights (the free-text writer's)."""
        with self._lock:
            return Context(self._open(), n_ctx=n_ctx, n_threads=n_threads, n_batch=n_batch)

    def close(self) -> None:
        """Free the model (and the contexts made on it); later calls raise LLMError."""
        with self._lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None

    def _open(self) -> Llama:
        if self._llama is None:
            raise LLMError("the llama backend is closed", code="closed")
        return self._llama

    def _greedy(self, llm: Llama) -> GrammarGreedy:
        if self._greedy_sampler is None:
            self._greedy_sampler = GrammarGreedy(llm)
        return self._greedy_sampler

    def _grammar(self, schema: JsonSchema) -> LlamaGrammar:
        """The grammar for ``schema``, converted and test-compiled once per distinct schema."""
        key = schema_key(schema)
        with self._grammar_lock:
            grammar = self._grammars.get(key)
            if grammar is not None:
                self._grammars.move_to_end(key)
                return grammar
            start = time.perf_counter()
            with self._lock:  # the test compile reads the model, which close() frees
                grammar = _compile_grammar(self._open(), schema)
            self._grammars[key] = grammar
            if len(self._grammars) > GRAMMAR_CACHE_SIZE:
                self._grammars.popitem(last=False)
        log.debug("compiled grammar %s in %.1f ms", key[:12], (time.perf_counter() - start) * 1000)
        return grammar


def schema_key(schema: JsonSchema) -> str:
    """A stable hash of a schema's content (key order does not matter)."""
    canonical = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_gguf(path: Path) -> None:
    """Fail early, and readably, on a missing file or one that is not GGUF at all."""
    if not path.is_file():
        raise ModelError(f"model file not found: {path}; {INSTALL_HINT}")
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc.strerror}") from exc
    if magic != GGUF_MAGIC:
        raise ModelError(
            f"{path} is not a GGUF model file (it starts with {magic!r}, not {GGUF_MAGIC!r}); "
            f"it may be corrupt: {INSTALL_HINT}"
        )


def load_llama(path: Path, n_ctx: int, n_threads: int, n_batch: int) -> Llama:
    try:
        import llama_cpp
    except ImportError as exc:
        raise ModelError(
            "llama-cpp-python is not installed; install hub with the 'llm' extra "
            "(pip install 'hub[llm]') or configure a remote LLM server"
        ) from exc
    _install_log_sink(llama_cpp)
    _native_errors.clear()
    try:
        return llama_cpp.Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_threads_batch=n_threads,
            n_batch=n_batch,
            verbose=False,
        )
    except Exception as exc:  # llama-cpp-python raises ValueError; be broad at this seam
        detail = _native_errors[0] if _native_errors else str(exc)  # the root cause comes first
        raise ModelError(
            f"cannot load model {path}: {detail}; the file may be truncated or corrupt: "
            f"{INSTALL_HINT}"
        ) from exc


@contextlib.contextmanager
def native_lines(listener: Callable[[str], None]) -> Iterator[None]:
    """Pass each of llama.cpp's log lines to ``listener`` while in the block (to count the
    tensors of a quantization, say); they still go to the log too."""
    import llama_cpp

    _install_log_sink(llama_cpp)
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def _install_log_sink(llama_cpp: Any) -> None:
    """Route llama.cpp's native log lines to our logger (DEBUG) instead of stderr."""
    global _log_sink
    if _log_sink is not None:
        return

    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
    def sink(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
        line = text.decode("utf-8", errors="replace").rstrip()
        if level == _GGML_ERROR and line:
            _native_errors.append(line)
        for listener in _listeners:
            listener(line)
        if native_log.isEnabledFor(logging.DEBUG) and line:
            native_log.debug("%s", line)

    _log_sink = sink
    llama_cpp.llama_log_set(sink, ctypes.c_void_p(0))


def _compile_grammar(llm: Llama, schema: JsonSchema) -> LlamaGrammar:
    import llama_cpp
    from llama_cpp.llama_grammar import LlamaGrammar

    try:
        grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
    except Exception as exc:
        raise LLMError(f"JSON schema cannot become a grammar: {exc}", code="bad_schema") from exc
    # In 0.3.36 LlamaGrammar is only GBNF text; llama.cpp parses it when a request builds its
    # sampler, and a parse failure there is a NULL pointer. Parse it once now to find out.
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar._grammar.encode(), b"root")
    if not sampler:
        raise LLMError("llama.cpp rejected the grammar made from the schema", code="bad_schema")
    llama_cpp.llama_sampler_free(sampler)
    return grammar


def _reusable_prefix(llm: Llama, tokens: list[int]) -> int:
    """How many leading prompt tokens are already in the KV cache (llama-cpp's own rule)."""
    shared = shared_length(llm.input_ids[: int(llm.n_tokens)].tolist(), tokens)
    # When the whole prompt is cached, llama-cpp-python replays the last token for fresh logits.
    return shared - 1 if shared == len(tokens) and shared > 0 else shared


def _reset_perf(llm: Llama) -> None:
    import llama_cpp

    llama_cpp.llama_perf_context_reset(llm.ctx)


def _read_perf(llm: Llama) -> EvalStats:
    import llama_cpp

    data = llama_cpp.llama_perf_context(llm.ctx)
    return EvalStats(
        prompt_eval_tokens=int(data.n_p_eval),
        prompt_eval_ms=float(data.t_p_eval_ms),
        gen_tokens=int(data.n_eval),
        gen_ms=float(data.t_eval_ms),
    )
