"""The model's own thread: requests that need the language model wait here, not on the worker.

The daemon's worker asks every request with ``Pipeline.ask(..., fast=True)``: templates, cached
decisions, direct commands, errors and refusals are answered at once. A request that needs the
model (``NeedsModel``) is handed to this thread, which asks it again in full and hands the reply
back to the worker (``on_done``), where its actions are published like any other. So a template
request never waits behind the model: before, one model request made the ten template requests
behind it wait 0.4-1.3 s, and a model request in a large home 9.5 s.

One thread, so the model (one object behind one lock) answers one request at a time, in the
order they came; at most ``limit`` wait, more are answered "busy" by the daemon. When the home
changes, the model's prompt for the new home is prepared here too (``prepare``), between two
requests, with the template tier's matcher for it, so that neither the worker nor the next
model request pays for them.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub.messages import ErrorInfo, Reply, Request
from hub.pipeline import Pipeline

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A request that needs the model, and what the worker needs to finish it (``context``)."""

    request: Request
    context: Any


PREPARE = object()  # a queue item: prepare the tiers for the pipeline's current home


class ModelWorker:
    def __init__(
        self, pipeline: Pipeline, on_done: Callable[[Job, Reply], None], *, limit: int = 64
    ) -> None:
        self.pipeline = pipeline
        self.on_done = on_done
        self.limit = limit
        self._jobs: queue.Queue[Job | object | None] = queue.Queue()
        self._preparing = False  # a PREPARE is queued
        self._pending = 0  # submitted and not yet handed back
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="hub-model", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float) -> None:
        self._jobs.put(None)
        self._thread.join(timeout)

    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def submit(self, job: Job) -> bool:
        """Queue ``job``; False when ``limit`` jobs wait already (the caller answers busy)."""
        with self._lock:
            if self._pending >= self.limit:
                return False
            self._pending += 1
        self._jobs.put(job)
        return True

    def prepare(self) -> None:
        """Prepare the tiers (the template matcher, the model's prompt and tries) for the
        pipeline's home, on this thread, after the requests queued before it (once, however
        often it is asked)."""
        with self._lock:
            if self._preparing:
                return
            self._preparing = True
        self._jobs.put(PREPARE)

    def take_waiting(self) -> list[Job]:
        """The jobs not started yet, taken off the queue (at shutdown: answered by the caller)."""
        taken: list[Job] = []
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:
                self._jobs.put(None)
                break
            if isinstance(job, Job):
                taken.append(job)
            else:  # a PREPARE not run: a later change may ask again
                with self._lock:
                    self._preparing = False
        with self._lock:
            self._pending -= len(taken)
        return taken

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if not isinstance(job, Job):
                self._prepare()
                continue
            try:
                reply = self.pipeline.ask(job.request)
            except Exception:  # one request must never stop the model thread
                _LOGGER.exception("The model failed on %r", job.request.text[:200])
                message = "Internal error; nothing was done."
                reply = Reply(
                    text=job.request.text,
                    reply=message,
                    error=ErrorInfo("internal", message),
                    outcome="error",
                )
            try:
                self.on_done(job, reply)
            except Exception:
                _LOGGER.exception("Could not hand back the answer to %r", job.request.text[:200])
            finally:
                with self._lock:  # after on_done: pending 0 means every reply is handed back
                    self._pending -= 1

    def _prepare(self) -> None:
        with self._lock:
            self._preparing = False
        try:
            self.pipeline.warm()  # the template tier's matcher, then the model's prompt
        except Exception:  # the next request tries again, and says why if it cannot
            _LOGGER.exception("Could not prepare the model for the changed home")
