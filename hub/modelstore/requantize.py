"""A faster copy of an installed model: the same weights in llama.cpp's Q8_0 format.

The default model ships as a "Q4_K_M" GGUF, but Qwen2.5-0.5B's 896-wide rows do not fit
Q4_K's 256-wide blocks, so 133 of its 170 weight tensors are Q5_0, which llama.cpp's CPU
kernels unpack slowly. In Q8_0 every weight keeps its value (a 5-bit value fits in 8 bits
with little rounding), and a request's tokens are evaluated in about two thirds of the
time, for 185 MB more file. Formats with fewer bits (Q4_0, IQ4_NL) were faster still but
acted wrongly more often on the dev set, so they are not offered.

The copy is made once, in a folder beside the installed file, in a few seconds (``hub model
install`` makes it; the first start makes it when it is missing), and made again when the
installed file or llama.cpp changes. Which model has which fast format is in its spec
(:mod:`hub.modelstore.specs`); the 1.5B model's Q4_K tensors were slower as Q8_0, so it has
none. docs/operating.md#which-model has the measurements.
"""

from __future__ import annotations

import ctypes
import logging
import os
import tempfile
from pathlib import Path

from hub.errors import ModelError
from hub.modelstore.files import Say, ensure_free_space, has_gguf_magic, log_say, recorded_sha256

logger = logging.getLogger(__name__)

_FTYPES = {"q8_0": "LLAMA_FTYPE_MOSTLY_Q8_0"}
_STAMP_SUFFIX = ".from"


def copy_path(source: Path, fmt: str) -> Path:
    """Where the ``fmt`` copy of ``source`` lives: ``<models>/<fmt>/<source's name>``, a folder
    of its own, so model listings never show it as a model."""
    return source.parent / fmt / source.name


def quantized_copy(source: Path, fmt: str, *, say: Say = log_say) -> Path:
    """The ``fmt`` copy of ``source``, made now unless an up-to-date one exists.

    Raises ModelError when it cannot be made (no room, a read-only folder, llama.cpp refuses);
    the caller decides whether to run on ``source`` instead."""
    if fmt not in _FTYPES:
        raise ModelError(f"unknown model format {fmt!r}; known: {', '.join(_FTYPES)}")
    dest = copy_path(source, fmt)
    stamp = _stamp(source, fmt)
    if dest.is_file() and _read_stamp(dest) == stamp and has_gguf_magic(dest):
        return dest
    import llama_cpp  # native; only when a copy is made

    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        ensure_free_space(dest.parent, source.stat().st_size)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        os.close(fd)
    except OSError as exc:
        message = f"cannot write a {fmt} copy of {source.name} in {dest.parent}: {exc}"
        raise ModelError(message) from exc
    tmp = Path(tmp_name)
    say(f"making a {fmt.upper()} copy of {source.name} for speed (a few seconds, once)")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, _FTYPES[fmt])
    params.allow_requantize = True
    params.nthread = min(4, os.cpu_count() or 1)
    try:
        code = llama_cpp.llama_model_quantize(
            str(source).encode(), str(tmp).encode(), ctypes.byref(params)
        )
        if code != 0 or not has_gguf_magic(tmp):
            raise ModelError(f"llama.cpp could not make a {fmt} copy of {source} (code {code})")
        os.replace(tmp, dest)
        _write_stamp(dest, stamp)
    finally:
        tmp.unlink(missing_ok=True)
    logger.info("made %s from %s (%d MB)", dest, source.name, dest.stat().st_size >> 20)
    return dest


def _stamp(source: Path, fmt: str) -> str:
    """What the copy was made from: the installed file (its verified sha256, else its size and
    time), the format and the llama.cpp that made it."""
    import llama_cpp

    info = source.stat()
    origin = recorded_sha256(source) or f"{info.st_size}-{info.st_mtime_ns}"
    return f"{origin} {fmt} llama-cpp-python {llama_cpp.__version__}"


def _read_stamp(dest: Path) -> str | None:
    try:
        return dest.with_name(dest.name + _STAMP_SUFFIX).read_text(encoding="utf-8").strip()
    except OSError:
        return None


def _write_stamp(dest: Path, stamp: str) -> None:
    path = dest.with_name(dest.name + _STAMP_SUFFIX)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(stamp + "\n", encoding="utf-8")
    os.replace(tmp, path)
