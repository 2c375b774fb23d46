"""``hub model`` through click's CliRunner, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from hub.cli import HubGroup
from hub.cli.model import model
from hub.modelstore import DEFAULT_LLM, LARGER_LLM

PAYLOAD = b"GGUF" + random.Random(11).randbytes(512 * 1024)
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    requests: list[str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        if self.path != "/files/model.gguf":
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        self.wfile.write(PAYLOAD)


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def url(server: _Server, path: str = "/files/model.gguf") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setenv("HUB_DATA_DIR", str(directory))
    return directory


@pytest.fixture
def hub() -> click.Group:
    """A stand-in for the real ``hub`` group: same error handling, only ``model`` on it."""
    group = HubGroup("hub")
    group.add_command(model)
    return group


def run(hub: click.Group, *args: str) -> Result:
    return CliRunner().invoke(hub, list(args), catch_exceptions=False)


def test_help_texts(hub: click.Group) -> None:
    assert "Install, list and locate model files" in run(hub, "model", "--help").stdout
    install_help = run(hub, "model", "install", "--help").stdout
    for text in ("--url", "--sha256", "--name", "--data-dir", "--verify", "--quiet", "Examples"):
        assert text in install_help
    assert "--json" in run(hub, "model", "list", "--help").stdout
    assert "default language model" in run(hub, "model", "path", "--help").stdout


def test_install_url_prints_the_path(hub: click.Group, server: _Server, data_dir: Path) -> None:
    result = run(hub, "model", "install", "--url", url(server), "--sha256", PAYLOAD_SHA)

    assert result.exit_code == 0, result.output
    path = data_dir / "models" / "model.gguf"
    assert result.stdout == f"{path}\n"
    assert path.read_bytes() == PAYLOAD
    assert "installed model.gguf" in result.stderr

    again = run(hub, "model", "install", "--url", url(server), "--sha256", PAYLOAD_SHA.upper())
    assert again.exit_code == 0
    assert "already installed" in again.stderr
    assert server.requests == ["/files/model.gguf"]


def test_install_quiet_prints_only_the_path(
    hub: click.Group, server: _Server, tmp_path: Path, data_dir: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    result = run(
        hub, "model", "install", "-q", "--url", url(server), "--sha256", PAYLOAD_SHA,
        "--name", "renamed.gguf", "--data-dir", str(elsewhere),
    )  # fmt: skip

    assert result.exit_code == 0
    assert result.stdout == f"{elsewhere / 'models' / 'renamed.gguf'}\n"
    assert result.stderr == ""
    assert not data_dir.exists()


def test_url_without_sha256_is_a_usage_error(
    hub: click.Group, server: _Server, data_dir: Path
) -> None:
    result = run(hub, "model", "install", "--url", url(server))

    assert result.exit_code == 2
    assert "--url needs --sha256" in result.stderr
    assert server.requests == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sha256", PAYLOAD_SHA], "--sha256 and --name go with --url"),
        (["--name", "x.gguf"], "--sha256 and --name go with --url"),
        (["--model", "gpt-4"], "no model is called 'gpt-4'; known: qwen2.5-coder-0.5b"),
        (
            ["--model", "qwen2.5-coder-1.5b", "--url", "http://x/y.gguf", "--sha256", "a" * 64],
            "--model installs a model hub knows",
        ),
        (["--url", "http://127.0.0.1:9/x.gguf", "--sha256", "abc"], "64 hexadecimal digits"),
        (
            ["--weights", "q4_0", "--url", "http://x/y.gguf", "--sha256", "a" * 64],
            "--weights makes a copy of a model hub knows",
        ),
        (["--weights", "q2_k"], "'q2_k' is not one of 'original', 'fast', 'q4_0', 'iq4_nl'"),
    ],
)
def test_install_usage_errors(
    hub: click.Group, data_dir: Path, args: list[str], message: str
) -> None:
    result = run(hub, "model", "install", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_install_errors_are_one_line(hub: click.Group, server: _Server, data_dir: Path) -> None:
    missing = url(server, "/files/missing.gguf")
    result = run(hub, "model", "install", "--url", missing, "--sha256", PAYLOAD_SHA)

    assert result.exit_code == 2
    assert result.stderr.startswith("hub: error: ")
    assert result.stderr.count("\n") == 1
    assert missing in result.stderr and "404" in result.stderr


def test_install_refuses_a_name_with_a_path(
    hub: click.Group, server: _Server, data_dir: Path
) -> None:
    result = run(
        hub, "model", "install", "--url", url(server), "--sha256", PAYLOAD_SHA,
        "--name", "../escape.gguf",
    )  # fmt: skip

    assert result.exit_code == 2
    assert "not a usable model file name" in result.stderr
    assert server.requests == []


def test_install_default_when_already_installed(hub: click.Group, data_dir: Path) -> None:
    path = data_dir / "models" / DEFAULT_LLM.filename
    path.parent.mkdir(parents=True)
    with path.open("wb") as fh:  # a sparse stand-in: the checksum is recorded, not recomputed
        fh.write(b"GGUF")
        fh.truncate(DEFAULT_LLM.size)
    path.with_name(path.name + ".sha256").write_text(f"{DEFAULT_LLM.sha256}  {path.name}\n")

    # (no copy: a sparse stand-in has no matrices; tests/llm/test_requantize.py makes one)
    result = run(hub, "model", "install", "--weights", "original")

    assert result.exit_code == 0
    assert result.stdout == f"{path}\n"
    assert "already installed" in result.stderr


def test_list(hub: click.Group, server: _Server, data_dir: Path) -> None:
    empty = run(hub, "model", "list")
    assert empty.exit_code == 0 and empty.stdout == ""
    assert "hub model install" in empty.stderr
    assert json.loads(run(hub, "model", "list", "--json").stdout) == []

    run(hub, "model", "install", "-q", "--url", url(server), "--sha256", PAYLOAD_SHA)
    (data_dir / "models" / "unchecked.gguf").write_bytes(b"GGUF")

    table = [re.split(r"\s{2,}", line) for line in run(hub, "model", "list").stdout.splitlines()]
    assert table == [
        ["NAME", "SIZE", "VERIFIED", "PATH"],
        ["model", "512.0 KiB", "yes", str(data_dir / "models" / "model.gguf")],
        ["unchecked", "4 B", "no", str(data_dir / "models" / "unchecked.gguf")],
    ]

    listed = json.loads(run(hub, "model", "list", "--json").stdout)
    assert listed[0] == {
        "name": "model",
        "path": str(data_dir / "models" / "model.gguf"),
        "size": len(PAYLOAD),
        "verified": True,
    }


def test_path_when_missing(hub: click.Group, data_dir: Path) -> None:
    result = run(hub, "model", "path")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("hub: error: no language model at ")
    assert "`hub model install`" in result.stderr


def test_path_when_installed(hub: click.Group, data_dir: Path) -> None:
    path = data_dir / "models" / DEFAULT_LLM.filename
    path.parent.mkdir(parents=True)
    with path.open("wb") as fh:
        fh.write(b"GGUF")
        fh.truncate(DEFAULT_LLM.size)

    result = run(hub, "model", "path")

    assert result.exit_code == 0
    assert result.stdout == f"{path}\n"


def test_install_and_path_of_the_larger_model_by_name(hub: click.Group, data_dir: Path) -> None:
    path = data_dir / "models" / LARGER_LLM.filename
    missing = run(hub, "model", "path", "--model", "qwen2.5-coder-1.5b")
    assert missing.exit_code == 2
    assert "`hub model install --model qwen2.5-coder-1.5b`" in missing.stderr
    path.parent.mkdir(parents=True)
    with path.open("wb") as fh:  # a sparse stand-in: the checksum is recorded, not recomputed
        fh.write(b"GGUF")
        fh.truncate(LARGER_LLM.size)
    path.with_name(path.name + ".sha256").write_text(f"{LARGER_LLM.sha256}  {path.name}\n")

    installed = run(
        hub, "model", "install", "--model", "qwen2.5-coder-1.5b", "--weights", "original"
    )
    assert installed.exit_code == 0 and installed.stdout == f"{path}\n"
    assert "qwen2.5-coder-1.5b-instruct-q4_k_m is already installed" in installed.stderr
    found = run(hub, "model", "path", "--model", "qwen2.5-coder-1.5b-instruct-q4_k_m")
    assert found.exit_code == 0 and found.stdout == f"{path}\n"
