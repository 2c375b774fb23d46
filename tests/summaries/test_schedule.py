"""The scheduler fires a summary job at its cron time: APScheduler's own loop, trigger and
worker thread, the job's service and a real SQLite file. The scheduler's clock is the test's
(a daily job cannot be waited for): it stands a second before the job's time, then at it."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.config import SummariesConfig, SummaryJob
from hub.store import Store
from hub.summaries import store as summary_store
from hub.summaries.schedule import SummaryScheduler
from hub.summaries.service import Delivery, SummaryService
from tests.mqtt.conftest import wait_until
from tests.summaries.dayfixture import DAY, day_events

JOB = SummaryJob(name="evening", cron="0 21 * * *", window=DAY, llm=False)


class SchedulerClock(datetime):
    """``datetime`` for APScheduler's scheduler loop: ``now()`` is what the test says."""

    at = datetime.now(UTC)
    looks = 0  # how often the scheduler's own thread asked

    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
        if threading.current_thread().name == "APScheduler":
            cls.looks += 1
        return cls.at.astimezone(tz)


class Link:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, bool]] = []
        self.lock = threading.Lock()

    def publish(self, topic: str, payload: str | bytes, *, retain: bool = False) -> bool:
        text = payload if isinstance(payload, str) else payload.decode()
        with self.lock:
            self.sent.append((topic, text, retain))
        return True

    def on(self, topic: str) -> list[tuple[str, str, bool]]:
        with self.lock:
            return [s for s in self.sent if s[0] == topic]


def test_a_job_fires_at_its_cron_time_and_its_summary_is_stored_and_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import apscheduler.schedulers.base  # type: ignore[import-untyped]

    settings = SummariesConfig(timezone="Europe/Berlin", jobs=(JOB,))
    tz = settings.tz
    now = datetime.now(tz)
    due = now.replace(hour=21, minute=0, second=0, microsecond=0)
    if due <= now + timedelta(minutes=1):  # in the future: the worker checks for late runs
        due += timedelta(days=1)
    monkeypatch.setattr(SchedulerClock, "at", due - timedelta(seconds=1))
    monkeypatch.setattr(SchedulerClock, "looks", 0)
    monkeypatch.setattr(apscheduler.schedulers.base, "datetime", SchedulerClock)

    store = Store.open(tmp_path / "hub.db")
    store.record(*day_events(start=time.time() - DAY + 60))
    link = Link()
    service = SummaryService(
        settings, events=store, store=store, writer=None, deliver=Delivery(link, "hub")
    )
    fired: list[datetime] = []  # the scheduler's clock when the job started
    run = service.run_safely

    def timed(job: SummaryJob) -> None:
        fired.append(SchedulerClock.now(tz))
        run(job)

    monkeypatch.setattr(service, "run_safely", timed)
    scheduler = SummaryScheduler(service)
    scheduler.start()
    try:
        assert scheduler.next_run(JOB) == due
        # its loop looks at the clock, waits the second it says is left, and looks again
        wait_until(lambda: SchedulerClock.looks >= 2, 30, "the scheduler's loop to look twice")
        assert fired == [] and link.sent == []  # not before its time
        SchedulerClock.at = due
        wait_until(lambda: link.on("hub/summary/evening"), 60, "the 21:00 summary published")
        wait_until(lambda: scheduler.next_run(JOB) != due, 10, "the next run scheduled")
        assert scheduler.next_run(JOB) == due + timedelta(days=1)
    finally:
        scheduler.stop()
    assert fired == [due]  # once, at its time
    stored = summary_store.latest(store, "evening")
    assert stored is not None and stored.facts.requests == 2600
    assert stored.until - stored.since == pytest.approx(DAY)
    [(_, payload, retained)] = link.on("hub/summary/evening")
    assert retained and json.loads(payload)["text"] == stored.text
    store.close()
