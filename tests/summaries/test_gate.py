"""The priority gate: background steps wait while a request is in flight."""

from __future__ import annotations

import threading
import time

from hub.llm.gate import Gate


def test_wait_idle_returns_at_once_when_idle() -> None:
    gate = Gate()
    assert gate.wait_idle(timeout=0.01) and gate.yields == 0


def test_a_background_loop_stops_while_a_request_runs_and_resumes_after() -> None:
    gate = Gate()
    steps: list[float] = []
    done = threading.Event()

    def background() -> None:
        while not done.is_set():
            gate.wait_idle()
            steps.append(time.monotonic())
            time.sleep(0.002)

    thread = threading.Thread(target=background)
    thread.start()
    time.sleep(0.05)
    with gate.request():
        with gate.request():  # nested requests count
            time.sleep(0.01)
        assert gate.busy()
        deadline = time.monotonic() + 10
        while gate.yields == 0 and time.monotonic() < deadline:  # the loop parks
            time.sleep(0.005)
        parked = len(steps)
        started = time.monotonic()
        time.sleep(0.2)
        during = steps[parked:]
    deadline = time.monotonic() + 10
    while len(steps) == parked and time.monotonic() < deadline:
        time.sleep(0.005)
    done.set()
    thread.join()
    assert during == []
    assert steps[-1] > started + 0.2  # it resumed
    assert gate.yields >= 1 and not gate.busy()


def test_wait_idle_times_out() -> None:
    gate = Gate()
    with gate.request():
        assert not gate.wait_idle(timeout=0.05)
