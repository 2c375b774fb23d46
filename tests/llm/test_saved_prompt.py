"""The fixed prompt saved on disk (hub.llm.saved_prompt): a restart loads it instead of evaluating it,
and then answers exactly as after evaluating it; a bad file is ignored, never trusted."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.llm.backend import Prompt
from hub.llm.llama import LlamaBackend, TrieAnswer
from hub.llm.saved_prompt import StateFiles
from hub.llm.trie import TokenTrie
from tests.llm.conftest import llm_threads

MakePrompt = Callable[[str], Prompt]
IDENTITY = {"model": "/models/a.gguf", "n_ctx": 1024, "n_batch": 256, "llama_cpp_python": "0"}
TOKENS = [1, 2, 3]
LINES = [
    f"turn {verb} {room} light"
    for verb in ("on", "off")
    for room in ("kitchen", "living room", "bedroom", "bathroom", "hall", "office", "garage")
]
REQUEST = "it's dark in the hall, and switch the office light off"


# -- the files, without a model ---------------------------------------------------------------
def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_saved_data_comes_back(tmp_path: Path) -> None:
    files = StateFiles(tmp_path / "states", IDENTITY)
    assert files.load(TOKENS) is None  # nothing saved yet: no warning either
    path = files.save(TOKENS, b"kv cells" * 100)
    assert path is not None and path.parent == tmp_path / "states"
    assert files.load(TOKENS) == (path, b"kv cells" * 100)
    assert not list(path.parent.glob("*.tmp"))


def test_another_prompt_or_setting_has_a_file_of_its_own(tmp_path: Path) -> None:
    files = StateFiles(tmp_path, IDENTITY)
    files.save(TOKENS, b"a")
    assert files.load([1, 2, 4]) is None
    other = StateFiles(tmp_path, {**IDENTITY, "n_batch": 512})
    assert other.path(TOKENS) != files.path(TOKENS)
    assert other.load(TOKENS) is None


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda data: data[:-100], "truncated"),
        (lambda data: data[:-1] + bytes([data[-1] ^ 1]), "corrupt"),
        (lambda data: data[:20], "cut off"),
        (lambda data: b"<html>not this</html>", "not a hub state file"),
        (lambda data: data.replace(b'"n_ctx":1024', b'"n_ctx":2048'), "another n_ctx"),
    ],
    ids=["truncated", "flipped-bit", "header-cut", "garbage", "other-key"],
)
def test_a_bad_file_is_ignored_with_one_warning(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    damage: Callable[[bytes], bytes],
    reason: str,
) -> None:
    files = StateFiles(tmp_path, IDENTITY)
    path = files.save(TOKENS, os.urandom(5000))
    assert path is not None
    path.write_bytes(damage(path.read_bytes()))
    with caplog.at_level(logging.WARNING):
        assert files.load(TOKENS) is None
    [warning] = warnings(caplog)
    assert str(path) in warning and reason in warning


def test_only_the_most_recently_used_files_are_kept(tmp_path: Path) -> None:
    files = StateFiles(tmp_path, IDENTITY, keep=2)
    for n in range(2):
        path = files.save([n], b"x")
        assert path is not None
        os.utime(path, (1000 + n, 1000 + n))
    assert files.load([0]) is not None  # used now: the newest
    files.save([9], b"x")
    assert sorted(tmp_path.iterdir()) == sorted([files.path([0]), files.path([9])])


def test_an_unwritable_directory_is_a_warning_not_an_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    with caplog.at_level(logging.WARNING):
        assert StateFiles(blocked / "states", IDENTITY).save(TOKENS, b"x") is None
    assert len(warnings(caplog)) == 1


# -- on the real model ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("states")


def restart(model_path: Path, state_dir: Path) -> LlamaBackend:
    """A backend as a new hub process makes it."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    return LlamaBackend(
        model_path, n_ctx=1024, n_batch=256, n_threads=llm_threads(), state_dir=state_dir
    )


def answer(backend: LlamaBackend, prompt: Prompt) -> tuple[TrieAnswer, Any]:
    """The lines for REQUEST, and the model's last logits (exact equality is the test)."""
    import llama_cpp
    import numpy as np

    trie = TokenTrie.build(LINES, backend.tokenize)
    result = backend.decode(prompt, trie)
    llm = backend._open()
    pointer = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
    return result, np.ctypeslib.as_array(pointer, shape=(llm.n_vocab(),)).copy()


def same(a: TrieAnswer, b: TrieAnswer) -> bool:
    fields = ("lines", "evaluated", "generated", "forced", "confidence", "coverage")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


@pytest.fixture(scope="module")
def evaluated(
    model_path: Path, state_dir: Path, home_prompt: MakePrompt
) -> Iterator[tuple[TrieAnswer, Any]]:
    """The answer after a first start: the prompt evaluated, then saved."""
    backend = restart(model_path, state_dir)
    try:
        backend.warm(home_prompt(""))
        assert (backend._states.evaluated, backend._states.loaded) == (1, 0)
        assert len(list(state_dir.glob("*.kv"))) == 1
        yield answer(backend, home_prompt(REQUEST))
    finally:
        backend.close()


def test_a_restart_loads_the_prompt_and_answers_exactly_the_same(
    model_path: Path,
    state_dir: Path,
    home_prompt: MakePrompt,
    evaluated: tuple[TrieAnswer, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    backend = restart(model_path, state_dir)
    try:
        with caplog.at_level(logging.INFO, logger="hub.llm.prefix_cache"):
            backend.warm(home_prompt(""))
        assert (backend._states.evaluated, backend._states.loaded) == (0, 1)
        assert any("Loaded the model's fixed prompt" in r.getMessage() for r in caplog.records)
        result, logits = answer(backend, home_prompt(REQUEST))
    finally:
        backend.close()
    print(f"\nevaluated: {evaluated[0]}\nloaded:    {result}")
    assert result.lines  # a real answer, not an empty one that would match anything
    assert same(result, evaluated[0])
    assert (logits == evaluated[1]).all()  # bit for bit


def test_a_truncated_file_is_ignored_and_replaced(
    model_path: Path,
    state_dir: Path,
    home_prompt: MakePrompt,
    evaluated: tuple[TrieAnswer, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    [path] = state_dir.glob("*.kv")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    backend = restart(model_path, state_dir)
    try:
        with caplog.at_level(logging.WARNING):
            backend.warm(home_prompt(""))
        assert (backend._states.evaluated, backend._states.loaded) == (1, 0)
        [warning] = warnings(caplog)
        assert str(path) in warning and "truncated" in warning
        result, logits = answer(backend, home_prompt(REQUEST))
    finally:
        backend.close()
    assert same(result, evaluated[0])
    assert (logits == evaluated[1]).all()
    assert path.read_bytes() == data  # saved again, whole


def test_another_home_does_not_load_this_home_s_prompt(
    model_path: Path, state_dir: Path, evaluated: tuple[TrieAnswer, Any]
) -> None:
    del evaluated  # this home's prompt is saved
    other = Prompt("You control a flat. Devices: - light.lamp: Lamp, area lounge.", (), "")
    backend = restart(model_path, state_dir)
    try:
        backend.warm(other)
        assert (backend._states.evaluated, backend._states.loaded) == (1, 0)
    finally:
        backend.close()
    assert len(list(state_dir.glob("*.kv"))) == 2
