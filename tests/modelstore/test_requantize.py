"""The faster copy of an installed model: made from the real default GGUF, loaded by llama.cpp,
reused while it is up to date, made again when the installed file changes."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.errors import ModelError
from hub.modelstore import LARGER_LLM, default_model_path, runnable_model
from hub.modelstore.files import write_sidecar
from hub.modelstore.requantize import copy_path, quantized_copy
from tests.llm.conftest import MODEL_SHA256
from tests.llm.conftest import model_path as model_path  # the fixture

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")


@pytest.fixture(scope="module")
def installed(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The default model "installed" in a data directory of its own (a hard link when the
    file system allows it), with its verified checksum recorded as an install does."""
    data_dir = tmp_path_factory.mktemp("data")
    dest = default_model_path(data_dir)
    dest.parent.mkdir(parents=True)
    try:
        os.link(model_path, dest)
    except OSError:
        shutil.copyfile(model_path, dest)
    write_sidecar(dest, MODEL_SHA256)
    yield dest
    shutil.rmtree(data_dir)  # the copies are hundreds of MB


def _file_type(path: Path) -> int:
    """The GGUF's ``general.file_type`` (llama.cpp's LLAMA_FTYPE), read by llama.cpp."""
    import llama_cpp

    model = llama_cpp.Llama(model_path=str(path), n_ctx=64, verbose=False)
    try:
        return int(model.metadata["general.file_type"])
    finally:
        model.close()


def test_the_copy_is_q8_0_and_loads(installed: Path) -> None:
    said: list[str] = []
    copy = quantized_copy(installed, "q8_0", say=said.append)
    assert copy == copy_path(installed, "q8_0") == installed.parent / "q8_0" / installed.name
    assert said and "Q8_0" in said[0]
    assert installed.stat().st_size < copy.stat().st_size < 2 * installed.stat().st_size
    assert _file_type(copy) == 7  # LLAMA_FTYPE_MOSTLY_Q8_0, and llama.cpp loads it
    assert _file_type(installed) == 15  # the installed file is untouched: Q4_K_M


def test_an_up_to_date_copy_is_reused(installed: Path) -> None:
    first = quantized_copy(installed, "q8_0")
    written = first.stat().st_mtime_ns
    said: list[str] = []
    assert quantized_copy(installed, "q8_0", say=said.append) == first
    assert said == [] and first.stat().st_mtime_ns == written


def test_a_changed_install_makes_a_new_copy(installed: Path) -> None:
    copy = quantized_copy(installed, "q8_0")
    stamp = copy.with_name(copy.name + ".from")
    stamp.write_text("0000 q8_0 llama-cpp-python 0.0\n", encoding="utf-8")
    said: list[str] = []
    assert quantized_copy(installed, "q8_0", say=said.append) == copy
    assert said, "a copy stamped with another source is made again"
    assert MODEL_SHA256 in stamp.read_text(encoding="utf-8")


def test_the_copy_is_what_the_hub_runs(installed: Path) -> None:
    data_dir = installed.parent.parent
    assert runnable_model(None, data_dir, None, True) == copy_path(installed, "q8_0")
    assert runnable_model(None, data_dir, None, False) == installed
    # a file of the user's own (model.path) is run as it is
    assert runnable_model(installed, data_dir, None, True) == installed


def test_no_room_for_the_copy_runs_the_installed_file(
    installed: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    dest = default_model_path(data_dir)
    dest.parent.mkdir(parents=True)
    os.symlink(installed, dest)
    write_sidecar(dest, MODEL_SHA256)
    (dest.parent / "q8_0").write_text("a file where the copy's folder should be")
    with pytest.raises(ModelError, match="cannot write a q8_0 copy"):
        quantized_copy(dest, "q8_0")
    with caplog.at_level("WARNING"):
        assert runnable_model(None, data_dir, None, True) == dest
    assert "as installed" in caplog.text


def test_an_unknown_format_is_refused(installed: Path) -> None:
    with pytest.raises(ModelError, match="unknown model format 'q9'"):
        quantized_copy(installed, "q9")


def test_a_model_without_a_fast_format_runs_as_installed(tmp_path: Path) -> None:
    dest = default_model_path(tmp_path, LARGER_LLM)
    dest.parent.mkdir(parents=True)
    with dest.open("wb") as fh:  # sparse: the right size and magic, no 1 GB written
        fh.write(b"GGUF")
        fh.truncate(LARGER_LLM.size)
    assert LARGER_LLM.fast_format is None
    assert runnable_model(None, tmp_path, "qwen2.5-coder-1.5b", True) == dest
    assert not (dest.parent / "q8_0").exists()
