"""Saved prompt prefixes (hub.llm.prefix_cache) on the real model: a prefix seen before is copied
back, and the model then answers exactly as after evaluating it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.llm.prefix_cache import PrefixStates
from tests.llm.conftest import llm_threads


@pytest.fixture(scope="module")
def llm(model_path: Path) -> Any:
    llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    model = llama_cpp.Llama(
        str(model_path), n_ctx=1024, n_threads=llm_threads(), n_batch=256, verbose=False
    )
    yield model
    model.close()


def _logits(llm: Any) -> Any:
    import llama_cpp
    import numpy as np

    pointer = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
    return np.ctypeslib.as_array(pointer, shape=(llm.n_vocab(),)).copy()


def _tokens(llm: Any, text: str) -> list[int]:
    return list(llm.tokenize(text.encode(), add_bos=False))


def test_a_prefix_seen_before_is_restored_and_answers_as_if_evaluated(llm: Any) -> None:
    kitchen = _tokens(llm, "Devices: kitchen light, kitchen fan, counter lights. " * 6)
    garden = _tokens(llm, "Devices: garden sprinkler, patio lamp, shed door. " * 6)
    request = _tokens(llm, " Request: turn on the")
    states = PrefixStates()

    states.switch(llm, kitchen)
    llm.eval(request)
    evaluated = _logits(llm)
    states.switch(llm, garden)
    assert int(llm.n_tokens) == len(garden)
    states.switch(llm, kitchen)
    assert (states.evaluated, states.restored) == (2, 1)
    assert llm.input_ids[: llm.n_tokens].tolist() == kitchen
    llm.eval(request)
    restored = _logits(llm)
    assert int(restored.argmax()) == int(evaluated.argmax())
    assert float(abs(restored - evaluated).max()) < 1e-3

    states.switch(llm, kitchen)  # already there: nothing to do
    states.switch(llm, garden)  # saved when the kitchen came back
    assert (states.evaluated, states.restored) == (2, 2)


def test_the_oldest_saved_prefix_goes_first(llm: Any) -> None:
    states = PrefixStates(size=1)
    a, b, c = (_tokens(llm, f"Room {name}: lamp, fan, door. " * 3) for name in "abc")
    for prefix in (a, b, c):  # a is saved when b comes, then b when c comes: a is dropped
        states.switch(llm, prefix)
    states.switch(llm, a)  # dropped, so evaluated again; c is saved now, in b's place
    assert states.restored == 0 and states.evaluated == 4
    states.switch(llm, c)  # taken out of the saved ones before a is saved
    assert states.restored == 1
