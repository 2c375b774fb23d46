"""The faster copy of the real default model (hub.modelstore.requantize): made once, recorded,
remade when cut short, and answering like the model it was made from."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.errors import ModelError
from hub.llm.backend import Prompt
from hub.llm.llama import LlamaBackend
from hub.modelstore import fast_copy_path, make_fast_copy
from hub.modelstore.files import read_sidecar, sidecar_path
from hub.modelstore.gguf import GGML_TYPES, tensor_types
from tests.llm.conftest import llm_threads


def _file_type(path: Path) -> int:
    """The GGUF's general.file_type, llama.cpp's enum llama_ftype (2: Q4_0, 15: Q4_K_M)."""
    import ctypes

    import llama_cpp

    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    model = llama_cpp.llama_model_load_from_file(str(path).encode(), params)
    try:
        buffer = ctypes.create_string_buffer(16)
        llama_cpp.llama_model_meta_val_str(model, b"general.file_type", buffer, len(buffer))
        return int(buffer.value)
    finally:
        llama_cpp.llama_model_free(model)


def test_the_copy_is_q4_0_recorded_and_made_once(model_path: Path, fast_model_path: Path) -> None:
    assert fast_model_path == fast_copy_path(model_path, "q4_0")
    assert _file_type(fast_model_path) == 2  # LLAMA_FTYPE_MOSTLY_Q4_0
    assert _file_type(model_path) == 15  # LLAMA_FTYPE_MOSTLY_Q4_K_M
    assert fast_model_path.stat().st_size < model_path.stat().st_size
    assert read_sidecar(fast_model_path) is not None
    before = fast_model_path.stat().st_mtime_ns
    said: list[str] = []
    assert make_fast_copy(model_path, "q4_0", say=said.append) == fast_model_path
    assert fast_model_path.stat().st_mtime_ns == before and said == []  # not made again


def test_a_copy_cut_short_is_made_again(tmp_path: Path, model_path: Path) -> None:
    source = tmp_path / "model.gguf"
    source.symlink_to(model_path)
    dest = fast_copy_path(source, "q4_0")
    dest.write_bytes(b"GGUF half of it")  # no sidecar: a power cut while it was written
    said: list[str] = []
    assert make_fast_copy(source, "q4_0", threads=llm_threads(), say=said.append) == dest
    assert dest.stat().st_size > 100_000_000 and sidecar_path(dest).is_file()
    assert any("making a Q4_0 copy" in line for line in said)
    assert not dest.with_name(dest.name + ".part").exists()


def test_an_unknown_copy_is_refused(model_path: Path) -> None:
    with pytest.raises(ModelError, match="no 'q2_k' copy"):
        make_fast_copy(model_path, "q2_k", say=lambda _: None)


def test_the_copy_answers_like_the_model(fast_model_path: Path, model_path: Path) -> None:
    """The same request, the same constrained choice, from both files."""
    prompt = Prompt(
        "Answer with one of: kitchen light on, kitchen light off, garage door open.",
        (),
        "please switch off the light in the kitchen",
    )
    schema = {
        "type": "string",
        "enum": ["kitchen light on", "kitchen light off", "garage door open"],
    }
    answers = []
    for path in (model_path, fast_model_path):
        backend = LlamaBackend(path, n_ctx=512, n_threads=llm_threads())
        try:
            answers.append(backend.generate(prompt, schema, max_tokens=16).text)
        finally:
            backend.close()
    assert answers[0] == answers[1] == '"kitchen light off"'


def test_the_fast_copy_changes_the_q5_0_matrices_only(tmp_path: Path, model_path: Path) -> None:
    """model.weights: fast: the Q5_0 matrices (generic kernels) become Q4_0 (repacked ones);
    the K-quant and Q8_0 matrices (ffn_down, half the attn_v, the output) keep their type."""
    source = tmp_path / "model.gguf"
    source.symlink_to(model_path)
    dest = make_fast_copy(source, "fast", threads=llm_threads(), say=lambda _: None)
    assert dest == tmp_path / "model.fast.gguf" and read_sidecar(dest) is not None
    before, after = tensor_types(model_path), tensor_types(dest)
    assert before.keys() == after.keys()
    q5_0 = {name for name, kind in before.items() if kind == GGML_TYPES["Q5_0"]}
    assert len(q5_0) > 100  # most of the default model's matrices
    assert {name for name in before if before[name] != after[name]} == q5_0
    assert {after[name] for name in q5_0} == {GGML_TYPES["Q4_0"]}
    assert after["output.weight"] == GGML_TYPES["Q8_0"]
    assert GGML_TYPES["Q6_K"] in after.values() and GGML_TYPES["Q4_K"] in after.values()


def test_install_makes_the_fast_copy_only_when_asked(
    tmp_path: Path, model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hub model install` leaves the installed file as the hub loads it by default (the fast
    copy is less exact on unseen phrasings); `--weights fast` makes the copy (once), which
    model.weights: fast loads."""
    from click.testing import CliRunner

    from hub.cli import HubGroup
    from hub.cli.model import model
    from hub.config.llm import ModelConfig
    from hub.modelstore import DEFAULT_LLM, resolve_model_path

    models = tmp_path / "models"
    models.mkdir()
    installed = models / DEFAULT_LLM.filename
    installed.symlink_to(model_path)
    installed.with_name(installed.name + ".sha256").write_text(
        f"{DEFAULT_LLM.sha256}  {installed.name}\n"
    )
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path))
    hub = HubGroup("hub")
    hub.add_command(model)
    copy = fast_copy_path(installed, "fast")
    plain = CliRunner().invoke(hub, ["model", "install"], catch_exceptions=False)
    assert plain.exit_code == 0, plain.stderr
    assert "making" not in plain.stderr and not copy.exists()
    assert ModelConfig().weights == "original"
    assert resolve_model_path(None, tmp_path, weights=ModelConfig().weights) == installed
    args = ["model", "install", "--weights", "fast"]
    result = CliRunner().invoke(hub, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "making a fast copy" in result.stderr and read_sidecar(copy) is not None
    assert resolve_model_path(None, tmp_path, weights="fast") == copy
    again = CliRunner().invoke(hub, args, catch_exceptions=False)
    assert again.exit_code == 0 and "making" not in again.stderr
