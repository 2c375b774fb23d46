"""The daemon's queue, worker, refusals and shutdown, with a fake link and a scripted pipeline:
sharper than a broker for timing questions (full queue, stale request, drain deadline)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import pytest

from hub.config import Config, MQTTConfig
from hub.messages import Reply, Request
from hub.mqtt import daemon as daemon_module
from hub.mqtt.inbound import Inbound
from hub.registry import Registry
from tests.mqtt.conftest import wait_until
from tests.mqtt.fakes import COFFEE, FakeLink, ScriptedPipeline, make_daemon, request


@pytest.fixture
def settings(example_config: Config) -> MQTTConfig:
    return replace(example_config.mqtt or MQTTConfig(), queue_size=3, discovery=True)


def test_a_full_queue_answers_busy_at_once_and_the_queued_keep_their_order(
    pipeline: ScriptedPipeline, settings: MQTTConfig, fake: FakeLink
) -> None:
    daemon = make_daemon(pipeline, settings, fake)
    daemon.submit(request("hold 0", "0"))
    assert pipeline.holding.wait(5)
    for i in range(1, 4):
        daemon.submit(request(f"queued {i}", str(i)))
    daemon.submit(request("one too many", "4", reply_to="me/answers"))
    [busy] = fake.answers("me/answers")
    assert busy["error"]["code"] == "busy" and busy["id"] == "4"
    pipeline.release.set()
    wait_until(lambda: len(fake.answers()) == 4, 5, "four answers")
    assert [a["id"] for a in fake.answers()] == ["0", "1", "2", "3"]
    assert pipeline.seen == ["hold 0", "queued 1", "queued 2", "queued 3"]
    assert daemon.stats.busy == 1
    daemon.stop(1)


def test_a_request_that_waited_too_long_is_refused_not_acted_on_late(
    pipeline: ScriptedPipeline, settings: MQTTConfig, fake: FakeLink
) -> None:
    daemon = make_daemon(pipeline, settings, fake)
    daemon.submit(request("turn on the coffee machine", "late", ago=settings.request_timeout + 1))
    wait_until(fake.answers, 5, "the answer")
    [answer] = fake.answers()
    assert answer["error"]["code"] == "expired"
    assert fake.actions == [] and pipeline.seen == []
    daemon.stop(1)


def test_stop_drains_the_queue_then_refuses_new_messages(
    pipeline: ScriptedPipeline, settings: MQTTConfig, fake: FakeLink
) -> None:
    daemon = make_daemon(pipeline, settings, fake)
    daemon.submit(request("hold", "a"))
    assert pipeline.holding.wait(5)
    daemon.submit(request("b", "b"))
    stopper = threading.Thread(target=daemon.stop, args=(5,))
    stopper.start()
    wait_until(lambda: not daemon.accepting, 5, "the stop to begin")
    daemon.submit(request("c", "c"))  # arrives during the drain
    pipeline.release.set()
    stopper.join(10)
    answers = {a["id"]: a for a in fake.answers()}
    assert "error" not in answers["a"] and "error" not in answers["b"]
    assert answers["c"]["error"]["code"] == "shutting_down"
    assert len(fake.actions) == 2 and not fake.running


def test_what_is_still_queued_at_the_drain_deadline_is_answered_not_dropped(
    pipeline: ScriptedPipeline, settings: MQTTConfig, fake: FakeLink
) -> None:
    daemon = make_daemon(pipeline, settings, fake)
    daemon.submit(request("hold", "a"))
    assert pipeline.holding.wait(5)
    daemon.submit(request("b", "b"))
    stopper = threading.Thread(target=daemon.stop, args=(0.2,))
    stopper.start()
    wait_until(lambda: time.monotonic() > daemon.drain_deadline, 5, "the drain deadline")
    pipeline.release.set()
    stopper.join(10)
    answers = {a["id"]: a for a in fake.answers()}
    assert answers["b"]["error"]["code"] == "shutting_down"
    assert pipeline.seen == ["hold"]


def test_without_the_broker_nothing_is_done_and_the_refusal_follows_the_reconnection(
    pipeline: ScriptedPipeline, settings: MQTTConfig, fake: FakeLink
) -> None:
    daemon = make_daemon(pipeline, settings, fake)
    fake.up = False
    daemon.submit(request("turn on the coffee machine", "x"))
    wait_until(lambda: daemon.stats.errors.get("broker_unavailable"), 5, "the refusal")
    assert fake.actions == [] and fake.sent == []
    fake.up = True
    daemon.on_online()  # what the link calls after reconnecting
    [answer] = fake.answers()
    assert answer["error"]["code"] == "broker_unavailable" and answer["commands"] == []
    assert any(t.endswith("/config") and retain for t, _, retain, _ in fake.sent)  # announced
    daemon.submit(request("turn on the coffee machine", "x"))  # the same id, sent again
    wait_until(lambda: len(fake.answers()) == 2, 5, "the retry's answer")
    assert "error" not in fake.answers()[1]  # a refused request is not a duplicate
    assert len(fake.actions) == 1
    daemon.stop(1)


def test_oversized_and_crashing_messages_are_answered_and_the_worker_goes_on(
    pipeline: ScriptedPipeline, settings: MQTTConfig, fake: FakeLink
) -> None:
    daemon = make_daemon(pipeline, settings, fake)
    big = b"turn on " * 1000
    daemon.submit(
        Inbound("hub/request", big, correlation=b"c", size=len(big), received=time.perf_counter())
    )
    daemon.submit(request("crash", "boom"))
    daemon.submit(request("fine", "fine"))
    wait_until(lambda: len(fake.answers()) == 3, 5, "three answers")
    # answers of different requests may come in any order (errors do not wait for the
    # answers thread): each is found by its id
    by_id = {answer["id"]: answer for answer in fake.answers()}
    too_large, crash, fine = by_id[None], by_id["boom"], by_id["fine"]
    assert too_large["error"]["code"] == "too_large"
    correlations = {json.loads(p)["id"]: c for t, p, _, c in fake.sent if t == "hub/response"}
    assert correlations[None] == b"c"  # the oversized request's answer kept its correlation
    assert crash["error"]["code"] == "internal" and crash["id"] == "boom"
    assert "error" not in fine
    assert daemon.healthy()
    daemon.stop(1)


def test_a_worker_stuck_on_one_message_is_unhealthy(
    pipeline: ScriptedPipeline,
    settings: MQTTConfig,
    fake: FakeLink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(daemon_module, "STALL_SECONDS", 0.05)
    daemon = make_daemon(pipeline, settings, fake)
    assert daemon.healthy()
    daemon.submit(request("hold", "a"))
    wait_until(lambda: not daemon.healthy(), 5, "the stall to be noticed")
    pipeline.release.set()
    wait_until(daemon.healthy, 5, "health to come back")
    fake.running = False  # the network thread died
    assert not daemon.healthy() and not daemon.alive()
    daemon.stop(1)


class ModelPipeline(ScriptedPipeline):
    """Requests starting with "model" need the model: a fast ask raises NeedsModel, a full
    one waits for ``release``; others are template answers."""

    def ask(self, request: Request, *, fast: bool = False) -> Reply:
        from hub.pipeline import NeedsModel

        if request.text.startswith("model"):
            if fast:
                raise NeedsModel("llm")
            self.holding.set()
            self.release.wait(10)
        self.seen.append(request.text)
        return Reply(text=request.text, commands=(COFFEE,), reply="ok", tier="fake", ms=1.0)


def test_template_requests_never_wait_behind_the_model(
    registry: Registry, settings: MQTTConfig, fake: FakeLink
) -> None:
    pipeline = ModelPipeline(registry)
    daemon = make_daemon(pipeline, replace(settings, queue_size=16), fake)
    daemon.submit(request("model: make it cozy", "m1"))
    wait_until(pipeline.holding.is_set, 5, "the model to start")
    for n in range(5):
        daemon.submit(request(f"template {n}", f"t{n}"))
    wait_until(lambda: len(fake.answers()) == 5, 5, "the five template answers")
    assert [a["id"] for a in fake.answers()] == [f"t{n}" for n in range(5)]
    pipeline.release.set()
    wait_until(lambda: len(fake.answers()) == 6, 5, "the model's answer")
    model = fake.answers()[-1]
    # the template requests that came later acted on the coffee machine first: the model's
    # older answer may not undo them
    assert model["id"] == "m1" and model["error"]["code"] == "superseded"
    assert len(fake.actions) == 5  # the template requests' only
    daemon.stop(1)


def test_a_model_answer_acts_when_nothing_later_touched_its_devices(
    registry: Registry, settings: MQTTConfig, fake: FakeLink
) -> None:
    pipeline = ModelPipeline(registry)
    pipeline.release.set()
    daemon = make_daemon(pipeline, settings, fake)
    daemon.submit(request("model: coffee please", "m1"))
    wait_until(lambda: len(fake.answers()) == 1, 5, "the model's answer")
    answer = fake.answers()[0]
    assert answer["id"] == "m1" and "error" not in answer and answer["commands"]
    daemon.stop(1)
