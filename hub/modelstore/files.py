"""File plumbing shared by every installer: checksums and their sidecars, ``.part`` files,
atomic placement, a directory lock, free-space checks and the progress bar.

A model file counts as verified when a ``<file>.sha256`` sidecar (``sha256sum`` format, so
``sha256sum -c`` works too) sits next to it. The sidecar is written only after the bytes were
hashed, and only after the file was renamed into place.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from tqdm import tqdm  # type: ignore[import-untyped]

from hub.errors import ModelError

logger = logging.getLogger(__name__)

Say = Callable[[str], None]
"""Where installers send one-line messages meant for the person at the terminal."""

BLOCK_SIZE = 1 << 20
PART_SUFFIX = ".part"
SIDECAR_SUFFIX = ".sha256"
GGUF_MAGIC = b"GGUF"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


def log_say(message: str) -> None:
    logger.info("%s", message)


def normalize_sha256(value: str) -> str:
    """``value`` as 64 lowercase hex digits, or a ModelError."""
    digest = value.strip().lower()
    if not _HEX64.fullmatch(digest):
        raise ModelError(f"not a sha256 checksum (64 hex digits): {value!r}")
    return digest


def check_filename(name: str) -> str:
    """A bare file name for the models directory: no directories, nothing hidden or odd."""
    if (
        not name
        or name in {".", ".."}
        or "/" in name
        or "\\" in name
        or "\0" in name
        or name.startswith(".")
    ):
        raise ModelError(f"not a usable model file name: {name!r} (give a plain name like x.gguf)")
    if name.endswith((PART_SUFFIX, SIDECAR_SUFFIX)):
        raise ModelError(f"model file names may not end in {PART_SUFFIX} or {SIDECAR_SUFFIX}")
    return name


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + PART_SUFFIX)


def sidecar_path(dest: Path) -> Path:
    return dest.with_name(dest.name + SIDECAR_SUFFIX)


def read_sidecar(dest: Path) -> str | None:
    """The verified sha256 recorded for ``dest``, or None when there is none (or it is junk)."""
    try:
        text = sidecar_path(dest).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None
    fields = text.split()
    if fields and _HEX64.fullmatch(fields[0]):
        return fields[0]
    return None


def recorded_sha256(dest: Path) -> str | None:
    """The sha256 recorded when ``dest`` was verified, unless ``dest`` was written since."""
    recorded = read_sidecar(dest)
    if recorded is None:
        return None
    try:
        if dest.stat().st_mtime_ns > sidecar_path(dest).stat().st_mtime_ns:
            return None
    except OSError:
        return None
    return recorded


def write_sidecar(dest: Path, digest: str) -> None:
    sidecar = sidecar_path(dest)
    tmp = sidecar.with_name(sidecar.name + ".tmp")
    tmp.write_text(f"{digest}  {dest.name}\n", encoding="ascii")
    os.replace(tmp, sidecar)


def remove_model(dest: Path) -> None:
    """Remove a model file and its sidecar (the sidecar first, so nothing claims to be verified)."""
    sidecar_path(dest).unlink(missing_ok=True)
    dest.unlink(missing_ok=True)


def has_gguf_magic(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(len(GGUF_MAGIC)) == GGUF_MAGIC
    except OSError:
        return False


def hash_into(hasher: Hasher, path: Path, length: int | None = None) -> None:
    """Feed the first ``length`` bytes of ``path`` (all of it when None) to ``hasher``."""
    remaining = length
    with path.open("rb") as fh:
        while remaining is None or remaining > 0:
            want = BLOCK_SIZE if remaining is None else min(BLOCK_SIZE, remaining)
            block = fh.read(want)
            if not block:
                break
            hasher.update(block)
            if remaining is not None:
                remaining -= len(block)


def hash_file(path: Path, *, progress: bool = False) -> str:
    hasher = hashlib.sha256()
    size = path.stat().st_size
    with Progress(size, 0, f"checking {path.name}", enabled=progress) as bar, path.open("rb") as fh:
        while block := fh.read(BLOCK_SIZE):
            hasher.update(block)
            bar.update(len(block))
    return hasher.hexdigest()


def place(part: Path, dest: Path, digest: str) -> None:
    """Move a verified ``.part`` into place atomically, then record its checksum."""
    os.replace(part, dest)
    write_sidecar(dest, digest)
    _fsync_dir(dest.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def existing_is_valid(
    dest: Path, sha256: str, size: int | None, *, verify: bool, say: Say, progress: bool
) -> bool:
    """Whether ``dest`` already holds the wanted bytes.

    A recorded checksum is trusted unless ``verify``; a file without one is hashed once and
    then recorded. A file that turns out wrong is removed, so nothing corrupt stays in place.
    """
    if not dest.is_file():
        sidecar_path(dest).unlink(missing_ok=True)
        return False
    actual = dest.stat().st_size
    if size is not None and actual != size:
        say(f"{dest} has {actual} bytes instead of {size}; replacing it")
        remove_model(dest)
        return False
    if recorded_sha256(dest) == sha256 and not verify:
        return True
    say(f"checking the sha256 of {dest}")
    digest = hash_file(dest, progress=progress)
    if digest == sha256:
        write_sidecar(dest, digest)
        return True
    say(f"{dest} does not match its sha256 (got {digest}); replacing it")
    remove_model(dest)
    return False


@contextlib.contextmanager
def install_lock(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on the models directory, so two installs never share a .part."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ModelError(
                f"another `hub model install` is writing to {directory}; wait for it to finish"
            ) from None
        yield
    finally:
        os.close(fd)


def ensure_free_space(directory: Path, needed: int) -> None:
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise ModelError(
            f"not enough free space in {directory}: {format_size(needed)} needed, "
            f"{format_size(free)} free"
        )


def format_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


class Progress:
    """A byte progress bar on stderr, shown only when wanted and stderr is a terminal."""

    def __init__(self, total: int | None, initial: int, desc: str, *, enabled: bool) -> None:
        self._bar: Any = None  # tqdm ships no type hints
        if enabled and sys.stderr.isatty():
            self._bar = tqdm(
                total=total,
                initial=initial,
                desc=desc,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=sys.stderr,
                dynamic_ncols=True,
            )

    def update(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
