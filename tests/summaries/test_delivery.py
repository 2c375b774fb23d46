"""Delivery through a real Mosquitto: the retained summary, the HA sensor, the schedule."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from hub.app.lifecycle import start_summaries
from hub.config import Config, SummariesConfig, SummaryJob
from hub.mqtt.daemon import Daemon
from hub.store import Store
from hub.summaries import store as summary_store
from hub.summaries.schedule import SummaryScheduler
from tests.mqtt.conftest import Client, wait_until
from tests.summaries.dayfixture import DAY, day_events

JOB = SummaryJob(name="daily", cron="0 21 * * *", window=DAY, llm=False)


def _config(example: Config) -> Config:
    settings = SummariesConfig(timezone="Europe/Berlin", jobs=(JOB,))
    return replace(example, summaries=settings)


def test_a_scheduled_summary_is_stored_published_retained_and_announced(
    example_config: Config,
    start_daemon: Callable[..., Daemon],
    client_factory: Callable[..., Client],
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "hub.db")
    store.record(*day_events(start=time.time() - DAY + 60))
    daemon = start_daemon()
    scheduler = start_summaries(_config(example_config), daemon, store)
    assert isinstance(scheduler, SummaryScheduler)
    try:
        next_run = scheduler.next_run(JOB)
        assert (next_run.hour, next_run.minute, str(next_run.tzinfo)) == (21, 0, "Europe/Berlin")
        assert scheduler.run_now("daily")
        wait_until(lambda: "daily" in scheduler.service.published, 60, "the summary published")
        stored = summary_store.latest(store, "daily")
        assert stored is not None and stored == scheduler.service.published["daily"]
    finally:
        scheduler.stop()
    assert stored.facts.requests == 2600

    late = client_factory("hub/summary/#", "homeassistant/sensor/#")  # subscribes afterwards
    (message,) = late.wait_topic("hub/summary/daily")
    assert message.retain
    payload = message.json()
    assert payload["text"] == stored.text and payload["requests"] == 2600
    assert len(payload["state"]) <= 250 and payload["busiest_devices"][0] == "light.kitchen"
    (announced,) = late.wait_for(lambda m: m.topic.endswith("/summary_daily/config"))
    config = announced.json()
    assert announced.retain
    assert config["state_topic"] == "hub/summary/daily"
    assert config["json_attributes_topic"] == "hub/summary/daily"
    assert config["value_template"] == "{{ value_json.state }}"
    store.close()


def test_no_jobs_no_scheduler(example_config: Config, start_daemon: Callable[..., Daemon]) -> None:
    config = replace(example_config, summaries=SummariesConfig())
    assert start_summaries(config, start_daemon(), None) is None


def test_a_summary_made_while_the_broker_is_away_is_published_when_it_is_back(
    tmp_path: Path,
) -> None:
    from hub.summaries.service import Delivery, SummaryService
    from hub.summaries.sources import MemoryEvents

    class Link:
        def __init__(self) -> None:
            self.online = False
            self.sent: list[tuple[str, bool]] = []

        def publish(self, topic: str, payload: str | bytes, *, retain: bool = False) -> bool:
            if self.online:
                self.sent.append((topic, retain))
            return self.online

    link = Link()
    service = SummaryService(
        SummariesConfig(jobs=(JOB,)),
        events=MemoryEvents(day_events(start=time.time() - DAY + 60)),
        store=None,
        writer=None,
        deliver=Delivery(link, "hub"),
    )
    service.run(JOB)
    assert link.sent == []
    link.online = True
    service.flush()
    assert link.sent == [("hub/summary/daily", True)]
    service.flush()
    assert len(link.sent) == 1


def test_recorded_topics_reach_the_event_log_and_a_summary_counts_them(
    example_config: Config,
    start_daemon: Callable[..., Daemon],
    client_factory: Callable[..., Client],
    tmp_path: Path,
) -> None:
    from hub.summaries.sources import SourceSpec
    from hub.summaries.summary import Inputs, collect

    store = Store.open(tmp_path / "hub.db")
    settings = SummariesConfig(record_topics=("sensors/+/availability",))
    daemon = start_daemon()
    scheduler = start_summaries(replace(example_config, summaries=settings), daemon, store)
    assert scheduler is not None and scheduler.recorder is not None
    recorder = scheduler.recorder
    sensor = client_factory()

    def recorded() -> set[str]:
        recorder.flush()
        return {e.detail["topic"] for e in store.events(0, time.time() + 1, ["message"])}

    try:
        wait_until(
            lambda: (
                sensor.publish("sensors/porch/availability", b"offline")
                or "sensors/porch/availability" in recorded()
            ),
            15,
            "the message recorded",
        )
        sensor.publish("sensors/porch/state", b"ignored")
        sensor.publish("hub/request", b"turn on the kitchen light")
        # a recorded topic after them: the daemon hands messages over in the order they come,
        # so once this one is in the log, the two above would be too had they been kept
        sensor.publish("sensors/garage/availability", b"online")
        wait_until(lambda: "sensors/garage/availability" in recorded(), 15, "the last message")
    finally:
        scheduler.stop()
    events = list(store.events(0, time.time() + 1, ["message"]))
    assert {e.detail["topic"] for e in events} == {
        "sensors/porch/availability",
        "sensors/garage/availability",
    }
    inputs = Inputs(sources=(SourceSpec("mqtt", "sensors/+/availability"),))
    facts, _ = collect(inputs, store, 0, time.time() + 1, settings.tz)
    assert facts.messages == len(events) >= 2
    assert dict(facts.last_payloads)["sensors/porch/availability"] == "offline"
    store.close()
