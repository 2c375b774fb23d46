"""A copy of an installed model in other weights, made here with llama.cpp's own quantizer:
the same model, evaluated faster, a little less exactly.

The default model's file (Qwen2.5-Coder-0.5B, "Q4_K_M") holds most of its matrices as Q5_0: the
896-wide rows of a 0.5B model do not fit the 256-value blocks of the K-quants. llama.cpp runs
Q5_0 with its generic kernels, but repacks Q4_0 and IQ4_NL matrices when it loads them into the
interleaved layouts of its AVX2 and ARM NEON kernels. The "fast" copy, which ``hub model
install --weights fast`` makes and ``model.weights: fast`` loads (not the default: it is less
exact on phrasings no template covers), has the Q5_0 matrices in Q4_0
and every other matrix copied as it is: about 0.8 times the time per answer. The "q4_0" and
"iq4_nl" copies have every matrix in those weights: a little faster, less exact
(docs/benchmarks.md#the-model-tier has the A/B and the dev set figures).

Nothing is downloaded: the copy is derived from the verified file, written as ``.part``, hashed,
renamed into place and recorded in its own sidecar, like every installed file, so a copy cut
short by a power cut is never loaded.
"""

from __future__ import annotations

import ctypes
import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from hub.errors import ModelError
from hub.modelstore.files import (
    Say,
    ensure_free_space,
    hash_file,
    part_path,
    place,
    recorded_sha256,
    remove_model,
)
from hub.modelstore.gguf import GGML_TYPES, tensor_types

# llama.cpp's file types (enum llama_ftype) for the copies hub makes
FILE_TYPES = {"fast": 2, "q4_0": 2, "iq4_nl": 25}
# the copies that change only the matrices of these types (enum ggml_type) and keep every other
# one as it is: "fast" makes the Q5_0 matrices Q4_0 and keeps the K-quants and Q8_0 matrices
# (ffn_down, half the attn_v, the output), which have fast kernels already and hold more bits
ONLY_FROM = {"fast": frozenset({GGML_TYPES["Q5_0"]})}
# "[  12/ 290]  blk.0.attn_k.weight - [  896,   128] ..." : one tensor of the file
_TENSOR_LINE = re.compile(r"\[\s*(\d+)/\s*(\d+)\]")


def fast_copy_path(source: Path, weights: str) -> Path:
    """Where the ``weights`` copy of ``source`` lives: beside it, ``<name>.<weights>.gguf``."""
    return source.with_name(f"{source.name.removesuffix('.gguf')}.{weights}.gguf")


def make_fast_copy(
    source: Path,
    weights: str,
    *,
    threads: int = 0,
    say: Say,
    progress: bool = True,
) -> Path:
    """The ``weights`` copy of ``source``, made now unless a recorded one is in place."""
    if weights not in FILE_TYPES:
        raise ModelError(f"hub makes no {weights!r} copy; it knows {', '.join(FILE_TYPES)}")
    dest = fast_copy_path(source, weights)
    if dest.is_file() and recorded_sha256(dest) is not None:
        return dest
    if not needs_copy(source, weights):
        return source
    remove_model(dest)  # unrecorded: cut short, or written over since
    part = part_path(dest)
    part.unlink(missing_ok=True)
    ensure_free_space(dest.parent, source.stat().st_size)
    label = weights if weights in ONLY_FROM else weights.upper()
    say(f"making a {label} copy of {source.name} for speed (once)")
    try:
        keep = _kept(source, ONLY_FROM[weights]) if weights in ONLY_FROM else {}
        _quantize(source, part, FILE_TYPES[weights], threads, progress, keep)
        digest = hash_file(part)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    place(part, dest, digest)
    say(f"wrote {dest}")
    return dest


def needs_copy(source: Path, weights: str) -> bool:
    """Whether the ``weights`` copy of ``source`` differs from it: a "fast" copy of a model
    with no Q5_0 matrices (the 1.5B model: all K-quants) would be the same file."""
    changed = ONLY_FROM.get(weights)
    return changed is None or any(kind in changed for kind in tensor_types(source).values())


def _kept(source: Path, changed: frozenset[int]) -> dict[str, int]:
    """The matrices of ``source`` that keep their type (name -> ggml type): those of a type not
    in ``changed`` (llama.cpp copies a tensor as it is when asked for its own type)."""
    return {
        name: kind
        for name, kind in tensor_types(source).items()
        if kind not in changed and kind != GGML_TYPES["F32"]
    }


def _quantize(
    source: Path,
    dest: Path,
    file_type: int,
    threads: int,
    progress: bool,
    keep: dict[str, int],
) -> None:
    try:
        import llama_cpp
    except ImportError as exc:
        raise ModelError(
            "llama-cpp-python is not installed, so no faster copy of the model can be made; "
            "install hub with the 'llm' extra, or set model.weights: original"
        ) from exc
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = file_type
    params.allow_requantize = True  # the source is quantized already
    params.nthread = threads
    overrides = (llama_cpp.llama_model_tensor_override * (len(keep) + 1))()  # null-terminated
    patterns = [f"^{re.escape(name)}$".encode() for name in keep]  # kept alive for the call
    for slot, pattern, kind in zip(overrides, patterns, keep.values(), strict=False):
        slot.pattern, slot.type = pattern, kind
    if keep:
        params.tt_overrides = ctypes.cast(
            overrides, ctypes.POINTER(llama_cpp.llama_model_tensor_override)
        )
    with _counted(progress) as on_line:
        from hub.llm.llama import native_lines

        with native_lines(on_line):
            status = llama_cpp.llama_model_quantize(
                str(source).encode(), str(dest).encode(), ctypes.byref(params)
            )
    if status != 0:
        raise ModelError(f"llama.cpp could not quantize {source} (status {status})")


@contextmanager
def _counted(enabled: bool) -> Iterator[Callable[[str], None]]:
    """A tensor-counting progress bar on stderr (a terminal only), fed llama.cpp's lines."""
    bar = None
    lock = threading.Lock()
    if enabled and sys.stderr.isatty():
        from tqdm import tqdm  # type: ignore[import-untyped]

        bar = tqdm(desc="quantizing", unit="tensor", file=sys.stderr, dynamic_ncols=True)

    def on_line(line: str) -> None:
        match = _TENSOR_LINE.search(line)
        if bar is None or match is None:
            return
        with lock:
            bar.total = int(match.group(2))
            bar.update(int(match.group(1)) - bar.n)

    try:
        yield on_line
    finally:
        if bar is not None:
            bar.close()
