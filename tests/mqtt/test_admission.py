"""Deadlines, redeliveries and "not twice" across restarts, with the fake link and the scripted
pipeline of tests/mqtt/fakes.py: sharper than a broker for timing questions."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from pathlib import Path

import pytest

from hub.config import Config, MQTTConfig
from hub.mqtt.daemon import Daemon
from hub.mqtt.freshness import UNKNOWN
from hub.mqtt.inbound import Inbound
from hub.store import Store
from tests.mqtt.conftest import wait_until
from tests.mqtt.fakes import FakeLink, ScriptedPipeline, make_daemon, request


@pytest.fixture
def settings(example_config: Config) -> MQTTConfig:
    return replace(example_config.mqtt or MQTTConfig(), queue_size=8, discovery=False)


def test_a_slow_answer_past_the_deadline_publishes_nothing(
    pipeline: ScriptedPipeline,
    settings: MQTTConfig,
    fake: FakeLink,
    caplog: pytest.LogCaptureFixture,
) -> None:
    daemon = make_daemon(pipeline, replace(settings, request_timeout=0.3), fake)
    daemon.submit(request("hold: the model thinks", "slow"))
    assert pipeline.holding.wait(5)
    started = time.perf_counter()
    wait_until(lambda: time.perf_counter() - started > 0.3, 5, "the deadline to pass")
    pipeline.release.set()
    wait_until(fake.answers, 5, "the answer")
    [answer] = fake.answers()
    assert answer["error"]["code"] == "expired" and answer["commands"] == []
    assert fake.actions == []
    assert "too late to act" in caplog.text and "past its deadline" in caplog.text
    daemon.stop(1)


def test_a_shorter_message_expiry_is_the_deadline(
    pipeline: ScriptedPipeline, settings: MQTTConfig, fake: FakeLink
) -> None:
    daemon = make_daemon(pipeline, settings, fake)
    daemon.submit(replace(request("hold", "e"), expiry=0.2))
    assert pipeline.holding.wait(5)
    started = time.perf_counter()
    wait_until(lambda: time.perf_counter() - started > 0.2, 5, "the expiry to pass")
    pipeline.release.set()
    wait_until(fake.answers, 5, "the answer")
    [answer] = fake.answers()
    assert answer["error"]["code"] == "expired"
    assert "message expiry" in answer["error"]["message"]
    assert fake.actions == []
    daemon.stop(1)


def test_what_the_broker_kept_from_before_this_run_is_of_unknown_age(
    pipeline: ScriptedPipeline, settings: MQTTConfig, fake: FakeLink
) -> None:
    daemon = make_daemon(pipeline, settings, fake)
    daemon.submit(replace(request("turn on", "q"), sent_after=UNKNOWN, queued=True))
    wait_until(fake.answers, 5, "the answer")
    [answer] = fake.answers()
    assert answer["error"]["code"] == "expired"
    assert "before the hub started" in answer["error"]["message"]
    assert fake.actions == [] and pipeline.seen == []
    daemon.stop(1)


def test_a_queued_request_is_acted_on_while_its_bound_is_within_the_timeout(
    pipeline: ScriptedPipeline, settings: MQTTConfig, fake: FakeLink
) -> None:
    daemon = make_daemon(pipeline, settings, fake)
    now = time.perf_counter()
    daemon.submit(replace(request("fresh", "a"), sent_after=now - 2.0, queued=True))
    daemon.submit(
        replace(request("stale", "b"), sent_after=now - settings.request_timeout - 1, queued=True)
    )
    wait_until(lambda: len(fake.answers()) == 2, 5, "two answers")
    fresh, stale = fake.answers()
    assert "error" not in fresh
    assert stale["error"]["code"] == "expired" and "while the hub was away" in str(stale)
    assert len(fake.actions) == 1
    daemon.stop(1)


def test_a_redelivery_by_the_broker_is_handled_once(
    pipeline: ScriptedPipeline, settings: MQTTConfig, fake: FakeLink
) -> None:
    daemon = make_daemon(pipeline, settings, fake)
    first = request("turn on the coffee machine")  # no id: only the DUP flag tells
    daemon.submit(first)
    daemon.submit(replace(first, dup=True, received=time.perf_counter()))
    daemon.submit(request("turn on the coffee machine"))  # the same words sent again: acted on
    wait_until(lambda: daemon.stats.received == 3, 5, "the three messages handled")
    daemon.stop(1)
    assert len(fake.answers()) == 2
    assert len(fake.actions) == 2
    assert pipeline.seen == ["turn on the coffee machine"] * 2


def test_an_unconfirmed_action_is_said_so_and_not_repeated(
    pipeline: ScriptedPipeline, settings: MQTTConfig, fake: FakeLink
) -> None:
    link = FakeLink()
    link.acknowledge = False  # the connection drops before the broker's PUBACK
    daemon = make_daemon(pipeline, settings, link)
    daemon.submit(request("turn on the coffee machine", "u"))
    daemon.submit(request("turn on the coffee machine", "u"))  # the requester tries again
    wait_until(lambda: len(link.answers()) == 2, 5, "two answers")
    unsure, again = link.answers()
    assert unsure["error"]["code"] == "unconfirmed" and unsure["commands"] == []
    assert "may or may not" in unsure["error"]["message"]
    assert again["error"]["code"] == "duplicate"  # it may have acted: never twice
    assert len(link.actions) == 1
    daemon.stop(1)


def _store_daemon(
    pipeline: ScriptedPipeline, settings: MQTTConfig, link: FakeLink, store: Store
) -> Daemon:
    daemon = Daemon(pipeline, settings, link_factory=lambda d: link, store=store)
    daemon.start()
    return daemon


def test_request_ids_acted_on_are_remembered_across_a_restart(
    pipeline: ScriptedPipeline, settings: MQTTConfig, tmp_path: Path
) -> None:
    path = tmp_path / "hub.db"
    store = Store.open(path)
    first = FakeLink()
    daemon = _store_daemon(pipeline, settings, first, store)
    daemon.submit(request("turn on the coffee machine", "garage-1"))
    wait_until(first.answers, 5, "the first answer")
    daemon.stop(1)
    store.close()

    store = Store.open(path)  # a new process: only the file remembers
    second = FakeLink()
    daemon = _store_daemon(pipeline, settings, second, store)
    daemon.submit(request("turn on the coffee machine", "garage-1"))
    daemon.submit(request("turn on the coffee machine", "garage-2"))
    wait_until(lambda: len(second.answers()) == 2, 5, "the answers after the restart")
    again, other = second.answers()
    assert again["error"]["code"] == "duplicate" and "acted on" in again["error"]["message"]
    assert "error" not in other
    assert len(second.actions) == 1
    daemon.stop(1)
    rows = store.read(lambda db: list(db.query("SELECT key FROM request_ids")), [])
    assert {r["key"] for r in rows} == {"request:mqtt:garage-1", "request:mqtt:garage-2"}
    store.close()


def test_the_same_id_from_two_sources_is_two_requests(
    pipeline: ScriptedPipeline, settings: MQTTConfig, fake: FakeLink
) -> None:
    daemon = make_daemon(pipeline, settings, fake)
    body = json.dumps({"text": "turn on the coffee machine", "id": "1"}).encode()
    for topic in ("hub/request/kitchen", "hub/request/office", "hub/request/kitchen"):
        daemon.submit(Inbound(topic, body, received=time.perf_counter(), size=len(body)))
    wait_until(lambda: len(fake.answers()) == 3, 5, "three answers")
    codes = [a.get("error", {}).get("code") for a in fake.answers()]
    assert codes == [None, None, "duplicate"]
    daemon.stop(1)


def test_the_daemon_logs_how_late_in_words_a_person_reads(
    pipeline: ScriptedPipeline,
    settings: MQTTConfig,
    fake: FakeLink,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    daemon = make_daemon(pipeline, settings, fake)
    daemon.submit(replace(request("x", "late"), sent_after=time.perf_counter() - 30, queued=True))
    wait_until(fake.answers, 5, "the answer")
    daemon.stop(1)
    assert "may have been sent up to 30" in caplog.text
    assert "queued by the broker while the hub was away" in caplog.text


def test_what_the_broker_kept_for_the_hub_is_answered_never_busy(
    pipeline: ScriptedPipeline, settings: MQTTConfig, fake: FakeLink
) -> None:
    daemon = make_daemon(pipeline, replace(settings, queue_size=2), fake)
    daemon.submit(request("hold", "live-0"))
    assert pipeline.holding.wait(5)
    now = time.perf_counter()
    for i in range(6):  # a session backlog, delivered at once after a reconnection
        daemon.submit(replace(request(f"kept {i}", f"kept-{i}"), sent_after=now, queued=True))
    daemon.submit(request("live 1", "live-1"))
    daemon.submit(request("live 2", "live-2"))
    daemon.submit(request("live 3", "live-3"))  # the third live one waiting: over queue_size
    [busy] = fake.answers()
    assert (busy["id"], busy["error"]["code"]) == ("live-3", "busy")
    pipeline.release.set()
    wait_until(lambda: len(fake.answers()) == 10, 5, "every answer")
    codes = {a["id"]: a.get("error", {}).get("code") for a in fake.answers()}
    assert [codes[f"kept-{i}"] for i in range(6)] == [None] * 6
    assert codes["live-1"] is None and codes["live-2"] is None
    daemon.stop(1)
