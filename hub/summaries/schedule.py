"""The summary jobs on their cron schedules (APScheduler 3.x, in the config's time zone).

One worker thread runs the jobs one at a time; a job that is still running when its next time
comes is not started twice, and runs missed while the hub was busy or asleep are coalesced
into one (within an hour). The model is shared with requests; the writer yields to them
(hub.llm.gate), so a job never delays a request by more than one decoding step.
"""

from __future__ import annotations

import logging
from typing import Any

from hub.config import SummaryJob
from hub.mqtt.record import Recorder
from hub.summaries.service import SummaryService

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
