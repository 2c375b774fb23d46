"""Who answers a Wyoming request: the running daemon (actions published as ``hub run``
publishes them), or the pipeline alone (nothing published). Both are awaited on the event loop
and never block it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from contextlib import suppress
from typing import TYPE_CHECKING, Protocol

from hub.messages import ErrorInfo, Reply, Request
from hub.pipeline import Pipeline

if TYPE_CHECKING:
    from hub.mqtt.daemon import Daemon
    from hub.mqtt.envelopes import Answer

_LOGGER = logging.getLogger(__name__)

# The daemon answers every request it queues (expired, busy, shutting down included); this
# only guards a client against a hub that stopped answering altogether.
ANSWER_TIMEOUT = 120.0


class Agent(Protocol):
    """Answers one request; many may be awaited at once."""

    name: str

    async def ask(self, request: Request) -> Reply: ...


class RequestIds:
    """``wyoming-<run>-<n>``: unique in this process and across restarts (the daemon refuses
    an id it acted on within ``dedupe_seconds``)."""

    def __init__(self) -> None:
        self._run = secrets.token_hex(2)
        self._count = itertools.count(1)

    def __call__(self) -> str:
        return f"wyoming-{self._run}-{next(self._count)}"


class PipelineAgent:
    """The pipeline, off the event loop, one request at a time (its tiers and the model are
    not made for concurrent calls)."""

    name = "pipeline"

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self._lock = asyncio.Lock()

    async def ask(self, request: Request) -> Reply:
        async with self._lock:
            return await asyncio.to_thread(self.pipeline.ask, request)


class DaemonAgent:
    """The daemon's queue: the worker acts on the request like any MQTT request (validated,
    published, verified, logged) and its answer comes back through ``on_answer``."""

    name = "daemon"

    def __init__(self, daemon: Daemon, timeout: float = ANSWER_TIMEOUT) -> None:
        self.daemon = daemon
        self.timeout = timeout

    async def ask(self, request: Request) -> Reply:
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[Answer] = loop.create_future()

        def on_answer(answer: Answer) -> None:  # the daemon's worker (or paho's) thread
            with suppress(RuntimeError):  # the loop is closed: the service has stopped
                loop.call_soon_threadsafe(_settle, answered, answer)

        self.daemon.submit_request(request, on_answer=on_answer)
        try:
            answer = await asyncio.wait_for(answered, self.timeout)
        except TimeoutError:
            _LOGGER.error("The daemon did not answer %s within %.0f s", request.id, self.timeout)
            message = "The hub did not answer in time."
            return Reply(text=request.text, reply=message, error=ErrorInfo("timeout", message))
        return answer.reply


def _settle(future: asyncio.Future[Answer], answer: Answer) -> None:
    if not future.done():  # the client may have gone (cancelled) or timed out meanwhile
        future.set_result(answer)
