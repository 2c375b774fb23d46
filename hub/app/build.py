"""Wiring: build the registry, the tiers and the pipeline from one Config."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from hub.config import Config, load_config
from hub.dialogue.store import Conversations
from hub.dialogue.turns import Dialogue
from hub.errors import ConfigError
from hub.llm.lines import LineModel, SchemaLines, TrieLines
from hub.pipeline import Pipeline
from hub.security.policy import SecurityPolicy
from hub.store.memory import Memory
from hub.tiers.base import Tier
from hub.tiers.cache import CacheTier
from hub.tiers.faq import ChatTier, FAQTier
from hub.tiers.llm import LLMTier
from hub.tiers.templates import TemplateTier

if TYPE_CHECKING:
    from hub.llm.llama import LlamaBackend
    from hub.llm.writer import TextWriter

_LOGGER = logging.getLogger(__name__)

TIER_CHOICES = ("auto", "template", "llm")
CONFIG_SEARCH = (
    Path("config.yaml"),
    Path("~/.config/hub/config.yaml"),
    Path("/etc/hub/config.yaml"),
)


def find_config(path: str | os.PathLike[str] | None) -> Config:
    """Load the config named on the command line, by HUB_CONFIG, or found in the usual places."""
    if path:
        return load_config(path)
    env = os.environ.get("HUB_CONFIG")
    if env:
        return load_config(env)
    for candidate in CONFIG_SEARCH:
        candidate = candidate.expanduser()
        if candidate.is_file():
            return load_config(candidate)
    raise ConfigError(
        "",
        "no config file found: pass --config FILE, set HUB_CONFIG, "
        "or copy config.example.yaml to ./config.yaml",
    )


def build_tiers(
    config: Config,
    tier: str = "auto",
    *,
    memory: Memory | None = None,
    answers: bool = True,
    writer: LazyWriter | None = None,
) -> list[Tier]:
    """The tiers in order: cache, templates, FAQ, the model's commands, general answers.

    ``tier`` "template" or "llm" keeps only that tier (benchmarks); ``answers`` False leaves
    out the question answering (FAQ and general answers).
    """
    tiers: list[Tier] = []
    model = writer.model if writer is not None else LocalModel(config)
    if not answers or config.llm.backend != "embedded":
        writer = None
    elif writer is None:
        writer = LazyWriter(config, model)
    cache = memory.answers if memory is not None else None
    if tier == "auto" and memory is not None:
        tiers.append(CacheTier(memory.decisions, memory.answers, config.languages))
    if tier in ("auto", "template"):
        extra = [config.intents_dir] if config.intents_dir else []
        tiers.append(TemplateTier(config.languages, extra, on_demand=config.languages_on_demand))
    if tier == "auto" and answers and config.faq:
        tiers.append(FAQTier(config.faq, config.languages, writer, cache))
    if tier in ("auto", "llm") and config.llm.backend != "off":
        tiers.append(
            LLMTier(
                lambda: line_model(config, model),
                max_candidates=config.llm.max_candidates,
                min_confidence=config.llm.min_confidence,
                min_coverage=config.llm.min_coverage,
            )
        )
    if tier == "auto" and writer is not None:
        tiers.append(ChatTier(config.languages, writer, cache))
    return tiers


class LocalModel:
    """The configured GGUF, loaded once per process on first use: the LLM tier's commands and
    the writer's free text run on the same weights, each in a llama.cpp context of its own."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._backend: LlamaBackend | None = None
        self._lock = threading.Lock()

    def backend(self) -> LlamaBackend:
        with self._lock:
            if self._backend is None:
                self._backend = load_backend(self.config)
            return self._backend


class LazyWriter:
    """The free-text writer on the configured model, made on first use, then shared by the
    FAQ and answer tiers and the summaries."""

    def __init__(self, config: Config, model: LocalModel | None = None) -> None:
        self.config = config
        self.model = model or LocalModel(config)
        self._writer: TextWriter | None = None
        self._lock = threading.Lock()

    def __call__(self) -> TextWriter:
        with self._lock:
            if self._writer is None:
                self._writer = make_writer(self.config, self.model.backend())
            return self._writer


def make_writer(config: Config, backend: LlamaBackend | None = None) -> TextWriter:
    """A free-text writer with a llama.cpp context of its own, so the command prompt's cache
    is never evicted: on ``backend``'s loaded weights, else on the hub's GGUF loaded anew
    (model.path, else the installed default)."""
    from hub.llm.writer import LlamaWriter
    from hub.modelstore import resolve_model_path

    if backend is not None:
        return LlamaWriter.sharing(backend, n_ctx=config.summaries.context)
    path = resolve_model_path(
        config.model.path, config.data_dir, config.model.name, config.model.weights
    )
    threads = config.model.threads or None
    return LlamaWriter(path, n_ctx=config.summaries.context, n_threads=threads)


def load_backend(config: Config) -> LlamaBackend:
    """The embedded model (model.path, else the installed default), loaded now."""
    from hub.llm.llama import LlamaBackend
    from hub.modelstore import resolve_model_path
    from hub.paths import default_data_dir

    path = resolve_model_path(
        config.model.path, config.data_dir, config.model.name, config.model.weights
    )
    data_dir = default_data_dir() if config.data_dir is None else config.data_dir
    return LlamaBackend(
        path,
        n_ctx=config.model.context,
        n_threads=config.model.threads or None,
        n_batch=config.model.batch,
        state_dir=data_dir / "states",  # the evaluated prompt, so a restart skips it
    )


def line_model(config: Config, model: LocalModel | None = None) -> LineModel:
    """The configured model, loaded now (the LLM tier calls this on first use)."""
    if config.llm.backend == "remote":
        from hub.llm.remote import RemoteBackend

        if not config.llm.url:
            raise ConfigError("llm.url", "is required when backend is 'remote'")
        remote = RemoteBackend(
            config.llm.url,
            model=config.llm.model,
            api_key=config.llm.api_key,
            timeout=config.llm.timeout,
        )
        return SchemaLines(remote, max_tokens=config.llm.max_tokens)
    return TrieLines(model.backend() if model is not None else load_backend(config))


def build_pipeline(
    config: Config,
    tier: str = "auto",
    *,
    memory: Memory | None = None,
    answers: bool = True,
    writer: LazyWriter | None = None,
) -> Pipeline:
    tiers = build_tiers(config, tier, memory=memory, answers=answers, writer=writer)
    dialogue = Dialogue(SecurityPolicy(config.security), Conversations(config.conversation_window))
    return Pipeline(config.registry(), tiers, memory=memory, dialogue=dialogue)
