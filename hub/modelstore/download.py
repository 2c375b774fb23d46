"""Install a model file from an http(s) URL, with the standard library only.

The download goes to ``<file>.part``; a later run asks for the rest with ``Range: bytes=N-``.
A server that ignores the range (answers 200) makes the download start over; one that answers
416 has nothing more to send, so the ``.part`` is checked as it is. Nothing is installed
without a matching sha256: hub refuses to download a model it cannot verify.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from hub import __version__
from hub.errors import ModelError
from hub.modelstore.files import (
    BLOCK_SIZE,
    Progress,
    Say,
    check_filename,
    ensure_free_space,
    existing_is_valid,
    format_size,
    has_gguf_magic,
    hash_file,
    hash_into,
    install_lock,
    log_say,
    normalize_sha256,
    part_path,
    place,
    recorded_sha256,
)
from hub.modelstore.specs import models_dir
from hub.paths import default_data_dir

logger = logging.getLogger(__name__)

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
_UNSATISFIED_RANGE = re.compile(r"bytes\s+\*/(\d+)")


def filename_from_url(url: str) -> str:
    """The last segment of the URL's path, percent-decoded and checked to be a plain name."""
    segment = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
    if not segment:
        raise ModelError(f"{url} does not end in a file name; give one with --name")
    return check_filename(segment)


def install_url(
    url: str,
    sha256: str,
    data_dir: Path | None = None,
    filename: str | None = None,
    *,
    verify: bool = False,
    say: Say = log_say,
    progress: bool = True,
    timeout: float = 30.0,
) -> Path:
    """Download ``url`` into ``<data_dir>/models/<filename>`` and check it against ``sha256``.

    Resumes an interrupted download. Does nothing when the file is already installed with this
    checksum (``verify`` re-hashes it first). A file that fails the checksum is deleted.
    """
    digest_wanted = normalize_sha256(sha256)
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in {"http", "https"}:
        raise ModelError(f"cannot download {url!r}: only http:// and https:// URLs are supported")
    name = check_filename(filename) if filename is not None else filename_from_url(url)
    data_dir = default_data_dir() if data_dir is None else data_dir
    dest = models_dir(data_dir) / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    with install_lock(dest.parent):
        recorded = recorded_sha256(dest)
        if dest.is_file() and recorded is not None and recorded != digest_wanted:
            raise ModelError(
                f"{dest} is already installed with another sha256 ({recorded}); "
                "give this download another file name with --name, or delete that file first"
            )
        if existing_is_valid(dest, digest_wanted, None, verify=verify, say=say, progress=progress):
            say(f"{name} is already installed: {dest}")
            return dest
        part = part_path(dest)
        for attempt in (1, 2):
            fetched = _fetch(url, part, say=say, progress=progress, timeout=timeout)
            if fetched.sha256 == digest_wanted:
                place(part, dest, fetched.sha256)
                say(f"installed {name}: {dest}")
                if not has_gguf_magic(dest):
                    say(f"warning: {name} is not a GGUF file; llama.cpp will not load it")
                return dest
            part.unlink(missing_ok=True)
            if fetched.resumed and attempt == 1:
                say(f"the resumed {part.name} failed its sha256 check; downloading it again")
                continue
            break
    raise ModelError(
        f"the file downloaded from {url} has sha256 {fetched.sha256}, not {digest_wanted}; "
        "it was deleted. Check the URL and the --sha256 value"
    )


@dataclass(frozen=True)
class _Fetched:
    sha256: str
    resumed: bool  # some of the bytes came from an earlier, interrupted run


def _fetch(url: str, part: Path, *, say: Say, progress: bool, timeout: float) -> _Fetched:
    """Bring ``part`` to the full content of ``url``, resuming what is there."""
    have = part.stat().st_size if part.exists() else 0
    while True:
        try:
            response = _open(url, have, timeout)
        except urllib.error.HTTPError as exc:
            content_range = exc.headers.get("Content-Range") if exc.headers else None
            exc.close()
            if exc.code != 416 or not have:
                raise ModelError(
                    f"download of {url} failed: HTTP {exc.code} {exc.reason}"
                ) from None
            total = _unsatisfied_total(content_range)
            if total is None or total == have:
                say(f"{part.name} is already complete; checking it")
                return _Fetched(hash_file(part, progress=progress), resumed=True)
            say(f"{part.name} does not fit the file on the server; downloading from the start")
            have = 0
            part.unlink()
            continue
        with response:
            start, total = _start_and_total(response)
            logger.debug("%s: HTTP %s, body starts at %s of %s", url, response.status, start, total)
            if start == 0 and have:
                say(f"{url} cannot resume downloads; downloading from the start")
                have = 0
            if start == have:
                if have:
                    say(f"resuming {part.name} at {format_size(have)}")
                digest = _receive(
                    url, response, part, have, total, progress=progress, timeout=timeout
                )
                return _Fetched(digest, resumed=have > 0)
        if not have:
            raise ModelError(f"download of {url} failed: the server sent a part of the file only")
        say(f"{url} answered with an unexpected range; downloading from the start")
        have = 0
        part.unlink()


def _open(url: str, have: int, timeout: float) -> http.client.HTTPResponse:
    headers = {"User-Agent": f"hub/{__version__}", "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)
    logger.debug("GET %s (Range: %s)", url, headers.get("Range", "-"))
    try:
        response: http.client.HTTPResponse = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError:
        raise  # the caller handles HTTP statuses (416 means "nothing more to send")
    except urllib.error.URLError as exc:
        raise ModelError(f"cannot download {url}: {_describe(exc.reason, timeout)}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise ModelError(f"cannot download {url}: {_describe(exc, timeout)}") from None
    return response


def _start_and_total(response: http.client.HTTPResponse) -> tuple[int, int | None]:
    """Where the body starts in the file, and the file's full size when the server says."""
    if response.status == 206:
        match = _CONTENT_RANGE.fullmatch((response.headers.get("Content-Range") or "").strip())
        if match is None:
            return -1, None  # a range we cannot place: treat like no resume support
        start, _end, total = match.groups()
        return int(start), None if total == "*" else int(total)
    length = response.headers.get("Content-Length")
    return 0, int(length) if length and length.isdigit() else None


def _unsatisfied_total(content_range: str | None) -> int | None:
    match = _UNSATISFIED_RANGE.fullmatch((content_range or "").strip())
    return int(match.group(1)) if match else None


def _receive(
    url: str,
    response: http.client.HTTPResponse,
    part: Path,
    have: int,
    total: int | None,
    *,
    progress: bool,
    timeout: float,
) -> str:
    """Append the response body to ``part`` after its first ``have`` bytes; return the sha256
    of the whole file."""
    if total is not None:
        ensure_free_space(part.parent, total - have)
    hasher = hashlib.sha256()
    if have:
        hash_into(hasher, part, have)
    received = have
    with (
        part.open("r+b" if have else "wb") as out,
        Progress(total, have, part.name.removesuffix(".part"), enabled=progress) as bar,
    ):
        out.truncate(have)
        out.seek(have)
        try:
            while block := response.read(BLOCK_SIZE):
                out.write(block)
                hasher.update(block)
                received += len(block)
                bar.update(len(block))
        except (OSError, http.client.HTTPException) as exc:
            raise _interrupted(url, received, total, _describe(exc, timeout)) from None
        finally:
            out.flush()
            os.fsync(out.fileno())
    if total is not None and received != total:
        raise _interrupted(url, received, total, "the connection closed early")
    return hasher.hexdigest()


def _interrupted(url: str, received: int, total: int | None, cause: str) -> ModelError:
    of = f" of {format_size(total)}" if total is not None else ""
    return ModelError(
        f"download of {url} stopped after {format_size(received)}{of}: {cause}; "
        "run the same command again to resume it"
    )


def _describe(cause: object, timeout: float) -> str:
    if isinstance(cause, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    text = str(cause)
    return text or type(cause).__name__
