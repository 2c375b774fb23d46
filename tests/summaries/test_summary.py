"""From events to a checked summary, with a fake writer (the real model: test_writer.py)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from hub.errors import LLMError
from hub.llm.writer import FakeWriter
from hub.store.events import Event
from hub.summaries.sources import MemoryEvents, SourceSpec
from hub.summaries.summary import Inputs, Summarizer, Summary, chunked, collect
from tests.summaries.dayfixture import DAY, DAY_START, NAMES, day_events

UTC = ZoneInfo("UTC")


def _run(writer: FakeWriter | None, language: str = "en") -> Summary:
    return Summarizer(writer).summarize(
        "daily",
        Inputs(names=NAMES),
        MemoryEvents(day_events()),
        DAY_START,
        DAY_START + DAY,
        language=language,
        tz=UTC,
    )


def test_prose_that_contradicts_the_facts_loses_those_sentences() -> None:
    facts = _run(None).facts
    kitchen = dict(facts.actions_by_device)["light.kitchen"]
    writer = FakeWriter(
        f"The hub handled {facts.requests} requests. The Kitchen light was used {kitchen} times. "
        f"The Kitchen light was used {kitchen + 1} times. There were no errors. "
        "The garage door failed several times."
    )
    summary = _run(writer)
    assert summary.text == (
        f"The hub handled {facts.requests} requests. The Kitchen light was used {kitchen} times. "
        "The garage door failed several times."
    )
    assert summary.prose == "model"
    assert [s for s, _ in summary.dropped] == [
        f"The Kitchen light was used {kitchen + 1} times.",
        "There were no errors.",
    ]


def test_prose_missing_the_busiest_device_or_the_failures_gets_a_sentence_from_the_facts() -> None:
    writer = FakeWriter("It was a calm day at home.")
    summary = _run(writer)
    assert summary.prose == "model+template"
    assert summary.text.startswith("It was a calm day at home. The busiest devices were Kitchen")
    assert "Garage door (" in summary.text and "failed" in summary.text


def test_prose_that_is_all_wrong_falls_back_to_the_template() -> None:
    summary = _run(FakeWriter("There were 99999 requests. No device went offline."))
    assert summary.prose == "template"
    assert len(summary.dropped) == 2
    assert summary.text.startswith(f"The hub handled {summary.facts.requests} requests")


def test_a_failing_model_falls_back_to_the_template() -> None:
    class Broken(FakeWriter):
        def write(self, *args: object, **kwargs: object) -> str:
            raise LLMError("boom", code="generation")

    summary = _run(Broken())
    assert summary.prose == "template" and summary.model_calls == 0


def test_the_template_speaks_german() -> None:
    summary = _run(None, "de")
    assert summary.text.startswith("Der Hub hat 2600 Anfragen bearbeitet")
    assert "Garage door" in summary.text


def test_the_model_is_asked_in_the_job_language_with_the_facts() -> None:
    writer = FakeWriter("Alles ruhig.")
    _run(writer, "de")
    system, user, _, priority = writer.calls[-1]
    assert "German" in system
    assert "requests: 2600" in user and "Kitchen light" in user
    assert priority == "background"


def test_many_notable_events_are_summarized_in_a_bounded_number_of_chunks() -> None:
    events = [
        Event("error", DAY_START + i, detail={"code": f"e{i % 40}", "message": "x" * 300})
        for i in range(50_000)
    ]
    events += [
        Event("device", DAY_START + 10 + i, entity_id=f"sensor.s{i}", detail={"available": False})
        for i in range(200)
    ]
    writer = FakeWriter(context_tokens=1024)
    summary = Summarizer(writer, max_chunks=3).summarize(
        "x", Inputs(), MemoryEvents(events), DAY_START, DAY_START + DAY, tz=UTC
    )
    assert summary.facts.errors == 50_000
    assert 2 <= summary.model_calls <= 4  # up to 3 chunk notes and the merge
    assert len(writer.calls) == summary.model_calls
    for system, user, _, _ in writer.calls:
        assert writer.count_tokens(system + user) < 1024


def test_chunks_are_thinned_to_the_bound_keeping_first_and_last() -> None:
    lines = [f"line {i}" for i in range(100)]
    chunks = chunked(lines, lambda s: 10, 55, 3)
    assert len(chunks) <= 3
    flat = [line for chunk in chunks for line in chunk]
    assert flat[0] == "line 0" and flat[-1] == "line 99"
    assert flat == sorted(flat, key=lambda s: int(s.split()[1]))


def test_mqtt_sources_count_only_their_topics() -> None:
    inputs = Inputs(sources=(SourceSpec("mqtt", "zigbee2mqtt/+/availability"),))
    facts, _ = collect(inputs, MemoryEvents(day_events()), DAY_START, DAY_START + DAY, UTC)
    expected = sum(
        1
        for e in day_events()
        if e.kind == "message" and e.detail["topic"] == "zigbee2mqtt/porch/availability"
    )
    assert facts.messages == expected > 0
    assert facts.requests == 0  # only messages were read


def test_a_summary_round_trips_through_its_dict() -> None:
    summary = _run(FakeWriter("The hub handled 2600 requests. There were 7777 errors."))
    assert Summary.from_dict(summary.to_dict()) == summary


def test_markdown_and_empty_list_lead_ins_are_cleaned_from_the_prose() -> None:
    from hub.summaries.summary import _clean

    text = "## Report\nThe failures were:. Hub: 12 errors.\n- Garage door failed\n* All good"
    assert _clean(text) == "Report. Hub: 12 errors. Garage door failed. All good."


def test_a_log_only_summary_asks_the_model_about_the_logs(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("2025-11-29 10:00:00 ERROR app: disk full\n2025-11-29 10:00:01 INFO app: ok\n")
    writer = FakeWriter("The log had 1 errors.")
    summary = Summarizer(writer).summarize(
        "x", Inputs(sources=(SourceSpec("file", str(log)),)), None, DAY_START, DAY_START + DAY
    )
    system, user, _, _ = writer.calls[-1]
    assert "most frequent error" in system and "busiest devices" not in system
    assert "requests" not in user and "2 lines, 1 errors" in user
    assert summary.text == "The log had 1 errors."


def test_log_prose_without_the_error_counts_gets_them_from_the_facts(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("2025-11-29 10:00:00 ERROR app: disk full\n2025-11-29 10:00:01 INFO app: ok\n")
    writer = FakeWriter("The network had a problem.")
    summary = Summarizer(writer).summarize(
        "x", Inputs(sources=(SourceSpec("file", str(log)),)), None, DAY_START, DAY_START + DAY
    )
    assert summary.prose == "model+template"
    assert summary.text == f"The network had a problem. The log {log} had 2 lines with 1 errors."
