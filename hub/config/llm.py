"""The model and llm sections: which model, where it runs, and how the LLM tier decides."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hub.config.reader import Reader

LLM_BACKENDS = ("embedded", "remote", "off")


# The language models hub installs by name (`hub model install --model NAME`), short name ->
# full name; hub.modelstore.specs has their files. The first is the default.
MODEL_NAMES = {
    "qwen2.5-coder-0.5b": "qwen2.5-coder-0.5b-instruct-q4_k_m",
    "qwen2.5-coder-1.5b": "qwen2.5-coder-1.5b-instruct-q4_k_m",
}


MODEL_WEIGHTS = ("original", "fast", "q4_0", "iq4_nl")


@dataclass(frozen=True)
class ModelConfig:
    path: Path | None = None  # overrides the installed default model
    name: str | None = None  # an installed model by name (MODEL_NAMES); None: the default
    # original: the file as installed; fast: the copy `hub model install --weights fast`
    # makes, the installed file's Q5_0 matrices in Q4_0 (llama.cpp's repacked kernels), every
    # other as it is, 0.8x the time but less exact on unseen phrasings; q4_0 or iq4_nl: every
    # matrix in those weights (hub.modelstore.requantize)
    weights: str = "original"
    threads: int = 0  # 0: min(4, cores), right for a Pi 5
    # Tokens of the request path's llama.cpp context: room for a home of about 300 devices in
    # one prompt (12 KB of KV cache a token with the default model: 96 MB).
    context: int = 8192
    batch: int = 256


@dataclass(frozen=True)
class LLMConfig:
    backend: str = "embedded"  # embedded | remote | off
    url: str | None = None  # remote: an OpenAI-compatible server
    api_key: str | None = None
    timeout: float = 10.0
    max_tokens: int = 160
    max_candidates: int = 40  # devices shown to the model at most; the rest are narrowed away
    min_confidence: float = 0.0  # below this, the hub asks "Did you mean ...?" instead of acting
    # The share of the model's belief its chosen lines held; below it the model wanted to say
    # something the home cannot do (a device that does not exist there), so the hub asks.
    min_coverage: float = 0.01
    model: str | None = None  # remote: the server's model name (Ollama: e.g. qwen2.5:0.5b)


def parse_model(r: Reader, base: Path) -> ModelConfig:
    r.only("path", "name", "weights", "threads", "context", "batch")
    names = [*MODEL_NAMES, *MODEL_NAMES.values()]
    name = r.choice("name", names, names[0]) if r.has("name") else None
    path = r.path_value("path", base)
    if name is not None and path is not None:
        r.fail("name", "give model.name or model.path, not both (path is a file of your own)")
    return ModelConfig(
        path=path,
        name=name,
        weights=r.choice("weights", MODEL_WEIGHTS, "original"),
        threads=r.integer("threads", 0, 0, 64),
        context=r.integer("context", 8192, 512, 32768),
        batch=r.integer("batch", 256, 32, 4096),
    )


def parse_llm(r: Reader, base: Path) -> LLMConfig:
    r.only(
        "backend",
        "url",
        "model",
        "api_key",
        "api_key_file",
        "timeout",
        "max_tokens",
        "max_candidates",
        "min_confidence",
        "min_coverage",
    )
    if r.data.get("backend") is False:  # YAML 1.1 reads a bare `off` as false
        r = r.with_data({**r.data, "backend": "off"})
    backend = r.choice("backend", LLM_BACKENDS, "embedded")
    url = r.text("url")
    if backend == "remote" and not url:
        r.fail("url", "is required when backend is 'remote'")
    if url and not url.startswith(("http://", "https://")):
        r.fail("url", f"must start with http:// or https://, not {url!r}")
    api_key = r.text("api_key")
    key_file = r.path_value("api_key_file", base)
    if key_file is not None:
        try:
            api_key = key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            r.fail("api_key_file", f"cannot read {key_file}: {exc.strerror or exc}")
    return LLMConfig(
        backend=backend,
        url=url,
        api_key=api_key or os.environ.get("HUB_LLM_API_KEY") or None,
        timeout=r.number("timeout", 10.0, 0.1, 600.0),
        max_tokens=r.integer("max_tokens", 160, 16, 2048),
        max_candidates=r.integer("max_candidates", 40, 1, 1000),
        min_confidence=r.number("min_confidence", 0.0, 0.0, 1.0),
        min_coverage=r.number("min_coverage", 0.01, 0.0, 1.0),
        model=r.text("model"),
    )
