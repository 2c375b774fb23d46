"""The writer's second context on the request path's loaded model (hub.llm.context)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.errors import LLMError
from hub.llm.backend import Prompt
from hub.llm.gate import Gate
from hub.llm.llama import LlamaBackend
from hub.llm.writer import LlamaWriter
from tests.llm.conftest import llm_threads

SYSTEM, USER = "You are terse.", "Name three colours of the rainbow, as a sentence."


@pytest.fixture
def backend(model_path: Path) -> LlamaBackend:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    return LlamaBackend(model_path, n_ctx=1024, n_threads=llm_threads(), gate=Gate())


def test_a_shared_writer_writes_what_a_writer_of_its_own_writes_and_keeps_the_request_cache(
    backend: LlamaBackend, model_path: Path
) -> None:
    alone = LlamaWriter(model_path, n_ctx=1024, n_threads=llm_threads(), gate=Gate())
    try:
        expected = alone.write(SYSTEM, USER, max_tokens=24)
    finally:
        alone.close()
    backend.generate(Prompt("Count.", (), "1 2 3"), None, max_tokens=4)
    llm = backend._open()
    cached = llm.input_ids[: llm.n_tokens].tolist()
    shared = LlamaWriter.sharing(backend, n_ctx=1024)
    try:
        assert shared.write(SYSTEM, USER, max_tokens=24) == expected
        assert shared.write(SYSTEM, USER, max_tokens=24, priority="request") == expected
        assert shared.context_tokens == 1024
        # the request path's KV cache still holds its prompt: writing used another context
        assert llm.input_ids[: llm.n_tokens].tolist() == cached
    finally:
        backend.close()
    with pytest.raises(LLMError) as failed:
        shared.write(SYSTEM, USER, max_tokens=4)
    assert failed.value.code == "closed"
    shared.close()  # closing after the model went is harmless
