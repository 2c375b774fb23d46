"""The summary jobs on their cron schedules (APScheduler 3.x, in the config's time zone).

One worker thread runs the jobs one at a time; a job that is still running when its next time
comes is not started twice, and runs missed while the hub was busy or asleep are coalesced
into one (within an hour). The model is shared with requests; the writer yields to them
(hub.llm.gate), so a job never delays a request by more than one decoding step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hub.app import make_writer
from hub.config import Config, SummaryJob
from hub.errors import HubError
from hub.llm.writer import TextWriter
from hub.mqtt.discovery import Announcement
from hub.store import Store
from hub.summaries.delivery import sensor_announcement
from hub.summaries.record import Recorder
from hub.summaries.service import Delivery, SummaryService

if TYPE_CHECKING:
    from hub.mqtt.daemon import Daemon

log = logging.getLogger(__name__)

MISFIRE_GRACE = 3600  # seconds a missed run may still start late
FLUSH_EVERY = 60  # seconds between retries of summaries the broker did not take


class SummaryScheduler:
    def __init__(self, service: SummaryService, recorder: Recorder | None = None) -> None:
        from apscheduler.executors.pool import (  # type: ignore[import-untyped]
            ThreadPoolExecutor,
        )
        from apscheduler.schedulers.background import (  # type: ignore[import-untyped]
            BackgroundScheduler,
        )

        self.service = service
        self.recorder = recorder
        self.settings = service.settings
        self._scheduler: Any = BackgroundScheduler(
            timezone=self.settings.tz,
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE,
            },
        )

    def start(self) -> None:
        from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

        for job in self.settings.jobs:
            trigger = CronTrigger.from_crontab(job.cron, timezone=self.settings.tz)
            self._scheduler.add_job(
                self.service.run_safely, trigger, args=[job], id=f"summary-{job.name}"
            )
        if self.service.deliver is not None:
            self._scheduler.add_job(
                self.service.flush, "interval", seconds=FLUSH_EVERY, id="summary-flush"
            )
        self._scheduler.start()
        for job in self.settings.jobs:
            log.info("summary %s: next at %s", job.name, self.next_run(job))

    def next_run(self, job: SummaryJob) -> Any:
        """When ``job`` runs next (a datetime in the config's zone), None when not scheduled."""
        found = self._scheduler.get_job(f"summary-{job.name}")
        return found.next_run_time if found is not None else None

    def run_now(self, name: str) -> bool:
        """Start job ``name`` now, on the scheduler's worker; False when there is no such job."""
        from datetime import datetime

        found = self._scheduler.get_job(f"summary-{name}")
        if found is None:
            return False
        found.modify(next_run_time=datetime.now(self.settings.tz))
        return True

    def stop(self) -> None:
        """Stop starting jobs; a running one finishes in the background (it is a daemon)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self.recorder is not None:
            self.recorder.stop()


def start_summaries(
    config: Config,
    daemon: Daemon,
    store: Store | None,
    writer: Callable[[], TextWriter] | None = None,
) -> SummaryScheduler | None:
    """``hub run``: schedule the configured jobs, publishing through the daemon's link.

    Call it before ``daemon.start()``: the writer is loaded here (llama.cpp points the
    process's stdout and stderr at /dev/null while a model loads). The daemon's link subscribes
    to ``record_topics`` and the daemon hands their messages to the recorder. Summaries made
    before the broker is connected are published once it is. None when there are neither jobs
    nor topics to record.
    """
    settings = config.summaries
    recorder = None
    if settings.record_topics and store is not None:
        recorder = Recorder(store, settings.record_topics)
        daemon.recorder = recorder  # the daemon hands the messages over
        subscribe = getattr(daemon.link, "subscribe", None)  # MQTTLink: now and on reconnects
        if subscribe is not None:
            subscribe(list(recorder.topics))
        recorder.start()
    if not settings.jobs and recorder is None:
        return None
    mqtt = daemon.settings
    announcements: tuple[Announcement, ...] = ()
    if mqtt.discovery:
        announcements = tuple(
            sensor_announcement(
                job.name,
                prefix=mqtt.prefix,
                discovery_prefix=mqtt.discovery_prefix,
                client_id=daemon.link.client_id,
                status_topic=daemon.topics.status,
            )
            for job in settings.jobs
        )
    service = SummaryService(
        settings,
        events=store,
        store=store,
        writer=writer or (lambda: make_writer(config)),
        names={d.entity_id: d.name for d in daemon.pipeline.registry.devices},
        deliver=Delivery(daemon.link, mqtt.prefix, announcements),
    )
    if any(job.llm for job in settings.jobs):
        try:  # now, not in a job: llama.cpp silences stdout and stderr while a model loads
            service.writer()
        except HubError as exc:
            log.warning("summaries will be written without the model: %s", exc)
    scheduler = SummaryScheduler(service, recorder)
    scheduler.start()
    service.flush()  # the discovery configs, if the broker is there already
    return scheduler
