"""The real model: a day's summary, checked; background writing that yields to requests."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.llm.gate import Gate
from hub.llm.writer import LlamaWriter
from hub.summaries.check import FactChecker, numbers_in
from hub.summaries.render import facts_lines
from hub.summaries.sources import MemoryEvents
from hub.summaries.summary import Inputs, Summarizer
from tests.llm.conftest import llm_threads
from tests.mqtt.conftest import wait_until
from tests.summaries.dayfixture import DAY, DAY_START, NAMES, day_events


@pytest.fixture(scope="module")
def gate() -> Gate:
    return Gate()


@pytest.fixture(scope="module")
def writer(model_path: Path, gate: Gate) -> Iterator[LlamaWriter]:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    w = LlamaWriter(model_path, n_ctx=2048, n_threads=llm_threads(), gate=gate)
    yield w
    w.close()


def test_the_day_summary_names_the_busiest_devices_and_the_failures_and_keeps_to_the_facts(
    writer: LlamaWriter,
) -> None:
    summary = Summarizer(writer).summarize(
        "daily",
        Inputs(names=NAMES),
        MemoryEvents(day_events()),
        DAY_START,
        DAY_START + DAY,
        language="en",
        tz=ZoneInfo("Europe/Berlin"),
    )
    print(f"\nprose ({summary.prose}, {summary.ms / 1000:.1f} s): {summary.text}")
    for sentence, reason in summary.dropped:
        print(f"dropped: {sentence} [{reason}]")
    facts = summary.facts
    assert summary.prose in ("model", "model+template")  # the model wrote at least a sentence
    assert summary.model_calls >= 1
    text = summary.text
    assert "Kitchen light" in text  # the busiest device
    assert "Garage door" in text  # the device that failed most
    # nothing in it contradicts the facts: the check finds nothing left to drop ...
    assert FactChecker(facts).check(text).dropped == ()
    # ... and, said plainly, every number in it is a number of the facts
    allowed = {v for line in facts_lines(facts) for v, *_ in numbers_in(line)}
    allowed |= {float(round(v)) for v in allowed}
    assert {v for v, *_ in numbers_in(text)} <= allowed
    assert not re.search(r"\bno (errors|failures)\b", text, re.I)


def test_a_background_write_waits_while_a_request_runs_and_ends_as_it_would_alone(
    writer: LlamaWriter, gate: Gate
) -> None:
    system, user = "You are terse.", "Name three colours of the rainbow, as a sentence."
    alone = writer.write(system, user, max_tokens=24)
    result: list[str] = []
    thread = threading.Thread(
        target=lambda: result.append(writer.write(system, user, max_tokens=24))
    )
    yields = gate.yields
    start = int(writer._open().n_tokens)
    thread.start()
    wait_until(lambda: int(writer._open().n_tokens) != start, 60, "the write to get under way")
    with gate.request():
        # the writer parks before its next step; the one under way, if any, finishes first
        wait_until(lambda: gate.yields > yields, 60, "the writer to wait for the request")
        before = int(writer._open().n_tokens)
        time.sleep(0.8)
        assert int(writer._open().n_tokens) == before  # no step while the request runs
    thread.join(120)
    assert result == [alone]


def test_a_request_priority_write_between_background_steps_leaves_both_right(
    writer: LlamaWriter,
) -> None:
    """An FAQ answer may evict the background write's tokens; it re-evaluates them."""
    a = ("You are terse.", "Name three fruits, as a sentence.")
    b = ("You answer questions.", "What colour is the sky on a clear day?")
    alone_a = writer.write(*a, max_tokens=20)
    alone_b = writer.write(*b, max_tokens=20, priority="request")
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(writer.write(*a, max_tokens=20)))
    start = int(writer._open().n_tokens)
    thread.start()
    # under way, so the request lands between its steps (not before it starts, as a fixed
    # sleep would on a slow machine)
    wait_until(lambda: int(writer._open().n_tokens) != start, 60, "the write to get under way")
    assert writer.write(*b, max_tokens=20, priority="request") == alone_b
    thread.join(120)
    assert result == [alone_a]


def test_the_request_path_marks_the_gate_busy_while_it_runs_the_model(
    model_path: Path, gate: Gate
) -> None:
    from hub.llm.backend import Prompt
    from hub.llm.llama import LlamaBackend

    backend = LlamaBackend(model_path, n_ctx=512, n_threads=llm_threads(), gate=gate)
    seen: list[bool] = []
    thread = threading.Thread(
        target=lambda: backend.generate(Prompt("Count.", (), "1 2 3"), None, max_tokens=24)
    )
    try:
        thread.start()
        while thread.is_alive():
            seen.append(gate.busy())
            time.sleep(0.01)
        thread.join()
    finally:
        backend.close()
    assert any(seen) and not gate.busy()
