"""The model's thread: requests in order, and the model prepared for a changed home between them."""

from __future__ import annotations

import threading

from hub.messages import Reply, Request
from hub.mqtt.modelworker import Job, ModelWorker
from hub.pipeline import Pipeline
from hub.registry import Registry


class Recording(Pipeline):
    """Records what the model's thread does, in order; "hold" waits until released."""

    def __init__(self) -> None:
        self.registry = Registry()
        self.tiers = []
        self.done: list[str] = []
        self.release = threading.Event()
        self.holding = threading.Event()
        self.fail_warm = False

    def ask(self, request: Request, *, fast: bool = False) -> Reply:
        if request.text == "hold":
            self.holding.set()
            self.release.wait(10)
        self.done.append(f"ask {request.text}")
        return Reply(text=request.text)

    def warm(self, *, llm: bool = True, fast: bool = True) -> None:
        self.done.append(f"warm llm={llm} fast={fast}")
        if self.fail_warm:
            raise RuntimeError("no model")


def test_a_changed_home_is_prepared_once_between_requests_and_a_failure_is_survived() -> None:
    pipeline = Recording()
    finished = threading.Semaphore(0)
    worker = ModelWorker(pipeline, lambda job, reply: finished.release())
    worker.start()
    try:
        assert worker.submit(Job(Request("hold"), None))
        assert pipeline.holding.wait(5)
        worker.prepare()
        worker.prepare()  # asked twice while the model is busy: prepared once
        assert worker.submit(Job(Request("after"), None))
        pipeline.release.set()
        assert finished.acquire(timeout=5) and finished.acquire(timeout=5)
        assert pipeline.done == ["ask hold", "warm llm=True fast=True", "ask after"]
        assert worker.pending == 0

        pipeline.fail_warm = True
        worker.prepare()  # it fails: logged, and the thread goes on
        assert worker.submit(Job(Request("later"), None))
        assert finished.acquire(timeout=5)
        assert pipeline.done[-2:] == ["warm llm=True fast=True", "ask later"]
        assert worker.alive()
    finally:
        worker.stop(5)
