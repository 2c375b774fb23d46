"""The model's fixed prompt, evaluated once and kept on disk, so a restart need not evaluate it.

Evaluating the fixed prompt (instructions, devices, examples: 864 tokens for the example home)
takes 7-11 s on two x86 cores, and every restart paid it again before the first model answer.
Once a prompt is evaluated, its KV cache (the cells of llama.cpp's one sequence, about 12 KB a
token for the default model; never the logits) is written to ``<data_dir>/states/``, and a
restart with the same key copies it back in a fraction of a second.

The key is everything those cells depend on: the model file (path, size, mtime and a hash of
its first MiB), the exact prompt tokens, n_ctx, n_batch, n_threads and the llama-cpp-python
version. A file is named by a hash of its key and holds the key again, the size of its data and
their SHA-256, so a file that is truncated, corrupt, from another version or for another key is
logged and ignored (the prompt is evaluated as before, and the file replaced). Files are written
under a temporary name and renamed; the few used most recently are kept, the rest deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

log = logging.getLogger(__name__)


def prefix_key(tokens: Sequence[int]) -> str:
    """The name of a prompt prefix: a hash of its tokens."""
    return hashlib.sha256(",".join(map(str, tokens)).encode()).hexdigest()


MAGIC = b"hub-kv-state\n"
FORMAT = 1
SUFFIX = ".kv"
KEEP = 4  # files kept in the directory, most recently used first
HEAD_BYTES = 1 << 20  # the part of the model file that is hashed (its metadata)
MAX_HEADER = 64 * 1024
STALE_TEMP_SECONDS = 3600.0


class StateError(Exception):
    """A state file that cannot be used (the message says why)."""


def model_identity(
    model_path: Path, *, n_ctx: int, n_batch: int, n_threads: int
) -> dict[str, object]:
    """What a prompt's KV cache depends on besides the prompt: the model file, the context's
    shape and the llama.cpp build (raises OSError when the model file cannot be read)."""
    import llama_cpp

    stat = model_path.stat()
    with model_path.open("rb") as f:
        head = hashlib.sha256(f.read(HEAD_BYTES)).hexdigest()
    return {
        "format": FORMAT,
        "model": str(model_path.resolve()),
        "model_size": stat.st_size,
        "model_mtime_ns": stat.st_mtime_ns,
        "model_head_sha256": head,
        "n_ctx": n_ctx,
        "n_batch": n_batch,
        "n_threads": n_threads,
        "llama_cpp_python": str(llama_cpp.__version__),
    }


class StateFiles:
    """KV caches of prompts in one directory, one file per key."""

    def __init__(self, directory: Path, identity: Mapping[str, object], keep: int = KEEP) -> None:
        self.directory = directory
        self.identity = dict(identity)
        self.keep = keep

    def key(self, tokens: Sequence[int]) -> dict[str, object]:
        return {**self.identity, "tokens": len(tokens), "tokens_sha256": prefix_key(tokens)}

    def path(self, tokens: Sequence[int]) -> Path:
        digest = hashlib.sha256(_canonical(self.key(tokens))).hexdigest()
        return self.directory / f"{digest[:24]}{SUFFIX}"

    def load(self, tokens: Sequence[int]) -> tuple[Path, bytes] | None:
        """The saved KV cache of ``tokens``, checked against its key, size and hash; None when
        there is none, or (with one warning) when it cannot be used."""
        path = self.path(tokens)
        try:
            data = _read(path, self.key(tokens))
        except FileNotFoundError:
            log.debug("no saved state at %s", path)
            return None
        except (OSError, StateError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            log.warning(
                "Ignoring the saved prompt state %s (%s): evaluating the prompt", path, reason
            )
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # used now: pruning keeps it
        return path, data

    def save(self, tokens: Sequence[int], data: bytes) -> Path | None:
        """Write ``data`` as the state of ``tokens`` (atomically), then delete the oldest files
        beyond ``keep``. A failure is logged, never raised: the hub works without the file."""
        path = self.path(tokens)
        header = {"key": self.key(tokens), "size": len(data), "sha256": _sha256(data)}
        temp: Path | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            temp = Path(name)
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC)
                f.write(_canonical(header) + b"\n")
                f.write(data)
            os.replace(temp, path)
        except OSError as exc:
            log.warning("Could not save the prompt state to %s: %s", path, exc.strerror or exc)
            if temp is not None:
                temp.unlink(missing_ok=True)
            return None
        self._prune()
        return path

    def _prune(self) -> None:
        try:
            entries = list(os.scandir(self.directory))
        except OSError:
            return
        files = []
        now = time.time()
        for entry in entries:
            try:
                mtime = entry.stat().st_mtime
            except OSError:
                continue  # deleted meanwhile (another hub process)
            if entry.name.endswith(SUFFIX):
                files.append((mtime, entry.path))
            elif entry.name.endswith(".tmp") and now - mtime > STALE_TEMP_SECONDS:
                _remove(entry.path)  # left by a process killed while writing
        files.sort(reverse=True)
        for _, old in files[self.keep :]:
            _remove(old)
            log.debug("deleted the old prompt state %s", old)


def _read(path: Path, key: Mapping[str, object]) -> bytes:
    with path.open("rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise StateError("not a hub state file")
        line = f.readline(MAX_HEADER)
        if not line.endswith(b"\n"):
            raise StateError("its header is cut off")
        try:
            header = json.loads(line)
            saved_key, size, digest = header["key"], int(header["size"]), str(header["sha256"])
            if not isinstance(saved_key, dict):
                raise TypeError("its key is not a mapping")
        except (ValueError, KeyError, TypeError) as exc:
            raise StateError(f"its header is unreadable: {exc}") from None
        if saved_key != key:
            differs = sorted(k for k in set(saved_key) | set(key) if saved_key.get(k) != key.get(k))
            raise StateError(f"it was saved for another {', '.join(differs)}")
        data = f.read(size + 1)
    if len(data) != size:
        raise StateError(f"it holds {len(data)} bytes of state, not {size}: truncated?")
    if _sha256(data) != digest:
        raise StateError("its data does not match its checksum: corrupt")
    return data


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
