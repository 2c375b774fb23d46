"""The hub's memory, wired: the store, the event log of requests, and the two caches.

``Memory.open`` opens (or creates, or replaces a corrupt) database, prunes old events, drops
cached answers whose FAQ entries changed and decisions made for another home. The pipeline
hands it every request and reply; it records them and keeps the language model's decisions.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from hub.config import Config, StoreConfig
from hub.messages import Reply, Request
from hub.paths import default_data_dir
from hub.registry import Registry
from hub.store import AnswerCache, DecisionCache, Event, Store

_LOGGER = logging.getLogger(__name__)

DB_NAME = "hub.db"
PRUNE_EVERY = 3600.0  # seconds between prunes of the event log while running


def database_path(config: Config) -> Path:
    return config.store.path or (config.data_dir or default_data_dir()) / DB_NAME


class Memory:
    def __init__(self, store: Store, settings: StoreConfig) -> None:
        self.store = store
        self.settings = settings
        self.decisions = DecisionCache(store) if settings.decisions else None
        self.answers = AnswerCache(store, settings.answer_ttl_hours * 3600)
        self._next_prune = time.monotonic() + PRUNE_EVERY

    @classmethod
    def open(cls, config: Config, registry: Registry | None = None) -> Memory:
        path = database_path(config)
        memory = cls(Store.open(path), config.store)
        memory.prune()
        stale = memory.answers.forget_changed({e.id: e.hash for e in config.faq})
        if stale:
            _LOGGER.info("Dropped %d cached answer(s): their FAQ entries changed", stale)
        if registry is not None:
            memory.follow(registry)
        _LOGGER.info("Remembering in %s (%s)", path, memory.store.status())
        return memory

    def prune(self) -> None:
        """Drop events beyond the configured age and count (at start, then hourly)."""
        self._next_prune = time.monotonic() + PRUNE_EVERY
        self.store.prune(
            max_age_seconds=self.settings.keep_days * 86400, max_events=self.settings.max_events
        )

    def follow(self, registry: Registry) -> None:
        """The home is now ``registry``: decisions made for any other home go."""
        if self.decisions is not None:
            gone = self.decisions.forget_other_homes(registry.version)
            if gone:
                _LOGGER.info("The home changed: dropped %d cached decision(s)", gone)

    def remember(self, request: Request, reply: Reply, registry: Registry) -> None:
        self.store.record(request_event(request, reply))
        if time.monotonic() >= self._next_prune:
            self.prune()
        if (
            self.decisions is not None
            and reply.tier == "llm"
            and reply.commands
            and not reply.rejected
            and reply.outcome == "acted"
            and not reply.secure  # a security action is never done from the cache
            and not request.states
        ):
            self.decisions.put(
                request.text,
                request.area,
                registry.version,
                reply.commands,
                reply.reply,
                reply.language,
            )

    def record(self, event: Event) -> None:
        self.store.record(event)

    def status(self) -> str:
        return self.store.status()

    def close(self) -> None:
        self.store.close()


PRIVATE_REPLY = "(a private answer, not kept)"


def request_event(request: Request, reply: Reply) -> Event:
    detail: dict[str, object] = {}
    if reply.rejected:
        detail["rejected"] = [r.to_dict() for r in reply.rejected]
    if reply.error is not None:
        detail["error"] = reply.error.to_dict()
    return Event(
        kind="request",
        source=request.source,
        text=request.text,
        area=request.area,
        tier=reply.tier,
        outcome=reply.outcome,
        reply=PRIVATE_REPLY if reply.private else reply.reply,
        ms=round(reply.ms, 2),
        language=reply.language or request.language,
        commands=tuple(c.to_dict() for c in reply.commands),
        detail=detail,
        request_id=request.id,
    )
