"""Running summary jobs: read, write, check, store, publish. Used by ``hub run``'s scheduler
and by ``hub summarize``.

The writer (a second llama.cpp context on the hub's GGUF) is made once, by ``writer()``: ``hub
run`` calls it at start (llama.cpp silences stdout and stderr while loading, which must not
happen while other threads log), ``hub summarize`` on its first job. It is kept: loading costs
seconds, and the weights are shared with the request path anyway.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hub.config import SummariesConfig, SummaryJob
from hub.errors import HubError
from hub.llm.writer import TextWriter
from hub.mqtt.announce import Announcement
from hub.store import Store
from hub.summaries import delivery
from hub.summaries import store as summary_store
from hub.summaries.sources import EventSource, SourceSpec
from hub.summaries.summary import Inputs, Summarizer, Summary

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    link: delivery.Publisher
    prefix: str
    announcements: tuple[Announcement, ...] = ()  # Home Assistant discovery, sent once


class SummaryService:
    def __init__(
        self,
        settings: SummariesConfig,
        *,
        events: EventSource | None,
        store: Store | None,
        writer: Callable[[], TextWriter] | None,
        names: Mapping[str, str] | None = None,
        deliver: Delivery | None = None,
    ) -> None:
        self.settings = settings
        self.events = events
        self.store = store
        self._make_writer = writer
        self._writer: TextWriter | None = None
        self._writer_lock = threading.Lock()
        self.names = dict(names or {})
        self.deliver = deliver
        self._unpublished: dict[str, Summary] = {}
        self._announced = False
        self.published: dict[str, Summary] = {}  # the last summary of each job the broker took
        self._lock = threading.Lock()

    def writer(self) -> TextWriter | None:
        if self._make_writer is None:
            return None
        with self._writer_lock:
            if self._writer is None:
                self._writer = self._make_writer()
            return self._writer

    def run(
        self,
        job: SummaryJob,
        *,
        until: float | None = None,
        llm: bool | None = None,
        save: bool = True,
    ) -> Summary:
        """Summarize ``job``'s window ending at ``until`` (now); store and publish it."""
        end = time.time() if until is None else until
        use_llm = job.llm if llm is None else llm
        writer = None
        if use_llm:
            try:
                writer = self.writer()
            except HubError as exc:  # no model: the facts and the sentences written by code
                log.warning("summary %s without the model: %s", job.name, exc)
        inputs = Inputs(
            sources=tuple(SourceSpec.parse(s) for s in job.sources),
            topics=self.settings.record_topics,
            names=self.names,
        )
        summary = Summarizer(writer).summarize(
            job.name,
            inputs,
            self.events,
            end - job.window,
            end,
            language=job.language,
            tz=self.settings.tz,
        )
        kept = self.store if save else None
        if kept is not None and summary_store.save(kept, summary, keep=self.settings.keep) is None:
            log.warning("summary %s could not be stored: %s", job.name, kept.status())
        if self.deliver is not None:
            with self._lock:
                self._unpublished[job.name] = summary
            self.flush()
        return summary

    def run_safely(self, job: SummaryJob) -> None:
        """For the scheduler: a failed job is logged, never raised into the scheduler."""
        try:
            summary = self.run(job)
        except HubError as exc:
            log.error("summary %s failed: %s", job.name, exc)
        except Exception:  # the seam of a scheduled job: log it, keep the hub running
            log.exception("summary %s failed", job.name)
        else:
            log.info("summary %s: %s", job.name, summary.text[:200])

    def flush(self) -> None:
        """Publish the summaries the broker did not take yet (the newest per job)."""
        if self.deliver is None:
            return
        if not self._announced:
            self._announced = all(
                self.deliver.link.publish(a.topic, a.payload, retain=True)
                for a in self.deliver.announcements
            )
        with self._lock:
            waiting = list(self._unpublished.values())
        for summary in waiting:
            if delivery.publish(self.deliver.link, self.deliver.prefix, summary):
                with self._lock:
                    if self._unpublished.get(summary.name) is summary:
                        del self._unpublished[summary.name]
                    self.published[summary.name] = summary
            else:
                log.info("summary %s waits for the MQTT broker", summary.name)
