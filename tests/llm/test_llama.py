"""The embedded engine against the real default model (Qwen2.5-Coder 0.5B Q4_K_M)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hub.config import Config
from hub.errors import LLMError, ModelError
from hub.llm.backend import Generation, LLMBackend, Prompt
from hub.llm.chat import render_chatml
from hub.llm.llama import LlamaBackend, schema_key
from tests.llm.conftest import llm_threads

MakePrompt = Callable[[str], Prompt]
ACTIONS = {"light.turn_on", "light.turn_off"}


def test_missing_file_names_path_and_fix(tmp_path: Path) -> None:
    missing = tmp_path / "models" / "model.gguf"
    with pytest.raises(ModelError) as caught:
        LlamaBackend(missing)
    assert str(missing) in str(caught.value)
    assert "hub model install" in str(caught.value)


def test_garbage_file_is_not_gguf(tmp_path: Path) -> None:
    garbage = tmp_path / "model.gguf"
    garbage.write_bytes(b"<html>502 Bad Gateway</html>" * 100)
    with pytest.raises(ModelError) as caught:
        LlamaBackend(garbage)
    assert "not a GGUF" in str(caught.value)
    assert "hub model install" in str(caught.value)


def test_truncated_gguf_fails_to_load(tmp_path: Path, model_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    truncated = tmp_path / "model.gguf"
    with model_path.open("rb") as f:
        truncated.write_bytes(f.read(2_000_000))  # right magic, cut inside the metadata
    with pytest.raises(ModelError) as caught:
        LlamaBackend(truncated)
    message = str(caught.value)
    assert str(truncated) in message
    assert "hub model install" in message


def test_chatml_rendering() -> None:
    prompt = Prompt("sys", (("q", "a"),), "u")
    assert render_chatml(prompt.messages()) == (
        "<|im_start|>system\nsys<|im_end|>\n"
        "<|im_start|>user\nq<|im_end|>\n"
        "<|im_start|>assistant\na<|im_end|>\n"
        "<|im_start|>user\nu<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_gguf_template_is_used_and_renders_chatml(
    llama_backend: LlamaBackend, home_prompt: MakePrompt
) -> None:
    messages = home_prompt("turn on the office light").messages()
    assert llama_backend._template.kind == "gguf"
    assert llama_backend._template.render(messages) == render_chatml(messages)


def test_a_closed_backend_raises_llm_error_and_keeps_no_model(model_path: Path) -> None:
    """LLMBackend's promise for close(): later calls raise LLMError (warm() evaluating the
    prefix and generate() being safe across threads have tests of their own below)."""
    backend: LLMBackend = LlamaBackend(model_path, n_ctx=512, n_threads=llm_threads())
    prompt = Prompt("Count.", (), "1 2 3")
    try:
        assert backend.name == "llama"
        gen = backend.generate(prompt, None, max_tokens=4)
        assert gen.text and gen.completion_tokens > 0
    finally:
        backend.close()
    for call in (lambda: backend.generate(prompt, None), lambda: backend.warm(prompt)):
        with pytest.raises(LLMError) as caught:
            call()
        assert caught.value.code == "closed"


def test_schema_constrained_output_obeys_enum(
    llama_backend: LlamaBackend, home_prompt: MakePrompt, enum_schema: dict[str, Any]
) -> None:
    gen = llama_backend.generate(home_prompt("please switch off the bedroom light"), enum_schema)
    data = json.loads(gen.text)
    assert set(data) == {"action"}
    assert data["action"] in ACTIONS
    assert gen.completion_tokens > 0
    assert gen.prompt_tokens > 200


def test_free_text_generation(llama_backend: LlamaBackend, home_prompt: MakePrompt) -> None:
    gen = llama_backend.generate(home_prompt("Say hello."), None, max_tokens=8)
    assert gen.text.strip()
    assert 0 < gen.completion_tokens <= 8


def test_fixed_prefix_is_evaluated_once(
    llama_backend: LlamaBackend, home_prompt: MakePrompt, enum_schema: dict[str, Any]
) -> None:
    """After warm(), a request evaluates only its own tokens, and llama.cpp's counters agree."""
    llama_backend.warm(home_prompt(""))
    for text in ("turn on the garage light", "the bathroom light off"):
        gen = llama_backend.generate(home_prompt(text), enum_schema)
        stats = llama_backend.last_stats
        assert stats is not None
        assert gen.prompt_tokens > 200
        assert gen.evaluated_tokens < 30, gen
        assert stats.prompt_eval_tokens <= gen.evaluated_tokens + 1, stats
    warm = gen

    # A different prefix cannot be reused: the whole prompt is evaluated again.
    other = home_prompt("turn on the garage light")
    cold = llama_backend.generate(Prompt("Be brief. " + other.system, other.examples, other.user),
                                  enum_schema)  # fmt: skip
    stats = llama_backend.last_stats
    assert stats is not None
    assert cold.evaluated_tokens > 200, cold
    assert stats.prompt_eval_tokens > 200, stats
    print(f"\nreused prefix: {warm}\ncold prefix:   {cold}")


def test_concurrent_calls_are_serialised(
    llama_backend: LlamaBackend, home_prompt: MakePrompt, enum_schema: dict[str, Any]
) -> None:
    results: list[Generation] = []
    errors: list[BaseException] = []

    def ask(text: str) -> None:
        try:
            results.append(llama_backend.generate(home_prompt(text), enum_schema))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(t,)) for t in ("kitchen on", "office off")]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    wall_ms = (time.perf_counter() - start) * 1000
    assert not errors
    assert len(results) == 2
    for gen in results:
        assert json.loads(gen.text)["action"] in ACTIONS
    # Generation.ms is measured while holding the lock, so serialised calls cannot overlap.
    assert wall_ms >= 0.95 * sum(g.ms for g in results)


def test_fast_grammar_path_matches_stock_sampling(
    llama_backend: LlamaBackend, home_prompt: MakePrompt, enum_schema: dict[str, Any]
) -> None:
    """The best-token-first grammar check must give exactly what llama-cpp-python gives."""
    schema = {
        "type": "object",
        "properties": {
            **enum_schema["properties"],
            "data": {
                "type": "object",
                "properties": {"brightness_pct": {"type": "integer", "minimum": 0}},
            },
        },
        "required": ["action", "data"],
    }
    prompt = home_prompt("set the office light to 30 percent")
    fast = llama_backend.generate(prompt, schema)
    llama_backend.fast_grammar = False
    try:
        stock = llama_backend.generate(prompt, schema)
    finally:
        llama_backend.fast_grammar = True
    assert fast.text == stock.text
    assert fast.completion_tokens == stock.completion_tokens
    assert json.loads(fast.text)["action"] in ACTIONS


def test_grammar_is_cached_by_schema_content(
    llama_backend: LlamaBackend, enum_schema: dict[str, Any]
) -> None:
    reordered = {"required": ["action"], **enum_schema}
    assert schema_key(reordered) == schema_key(enum_schema)
    assert llama_backend._grammar(reordered) is llama_backend._grammar(enum_schema)


def test_unusable_schema_is_an_llm_error(
    llama_backend: LlamaBackend, home_prompt: MakePrompt
) -> None:
    with pytest.raises(LLMError) as caught:
        llama_backend.generate(home_prompt("hi"), {"type": "frobnicate"})
    assert caught.value.code == "bad_schema"


@pytest.mark.parametrize(
    "text",
    [
        "turn off the kitchen lights",
        "set the bedside lamp to 40%",
        "please open the garage door and lock the front door",
        "it's too dark in the office",
        "schalte den fernseher aus",
    ],
)
def test_guessing_ahead_gives_the_same_lines_as_plain_decoding(
    llama_backend: LlamaBackend, example_config: Config, text: str
) -> None:
    from hub.llm.lines import TrieLines
    from hub.messages import Request
    from hub.tiers.llm import LLMTier

    registry = example_config.registry()
    tier = LLMTier(lambda: TrieLines(llama_backend))
    answers = []
    for draft in (False, True):
        llama_backend.draft = draft
        # Another request first, so both runs evaluate this one whole: llama.cpp's logits
        # differ in the last bits between batch shapes, which can flip a close call.
        tier.handle(Request("good morning"), registry)
        result = tier.handle(Request(text), registry)
        assert result is not None
        answers.append((result.detail.split(" conf=")[0], [c.to_dict() for c in result.commands]))
    llama_backend.draft = True
    assert answers[0] == answers[1]


def test_a_refused_level_refuses_every_level_of_that_setting(
    llama_backend: LlamaBackend, example_config: Config
) -> None:
    """A retry after an invented level ("set tv volume to *") may not write another level."""
    from dataclasses import replace

    from hub.llm.lines import TrieLines
    from hub.llm.prompt import user_message
    from hub.tiers.llm import LLMTier

    registry = example_config.registry()
    context = LLMTier(lambda: TrieLines(llama_backend))._context(registry, None)
    prompt = replace(context.prompt, user=user_message("tv volume to 30", None))
    lines = TrieLines(llama_backend)
    free = lines.answer(prompt, context.language, context.key)
    assert "set tv volume to 30" in free.lines
    refused = frozenset({"set tv volume to *"})
    again = lines.answer(prompt, context.language, context.key, refused=refused)
    assert not any(line.startswith("set tv volume to") for line in again.lines), again.lines


def test_no_number_refuses_every_level_and_leaves_the_relative_lines(
    llama_backend: LlamaBackend, example_config: Config
) -> None:
    """ "make the tv louder" says no number: asked again with ``NO_NUMBER`` refused, the model
    writes no level of any device, and still writes a line."""
    from dataclasses import replace

    from hub.llm.backend import NO_NUMBER
    from hub.llm.lines import TrieLines
    from hub.llm.prompt import user_message
    from hub.tiers.llm import LLMTier

    registry = example_config.registry()
    context = LLMTier(lambda: TrieLines(llama_backend))._context(registry, None)
    prompt = replace(context.prompt, user=user_message("tv volume to 30", None))
    lines = TrieLines(llama_backend)
    refused = frozenset({"set tv volume to *", NO_NUMBER})
    again = lines.answer(prompt, context.language, context.key, refused=refused)
    assert again.lines and not any(re.search(r"\bto \d", line) for line in again.lines), again.lines
