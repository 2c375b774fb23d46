"""One summary, start to end: sources -> exact facts -> prose by the model -> check -> Summary.

Long inputs: the facts are counters (one pass, bounded memory), and what the model reads is
bounded too: the facts lines plus at most ``NOTABLE_PER_KIND`` notable events per kind. When
those do not fit one prompt, they are cut into chunks (at most ``MAX_CHUNKS``, evenly thinned
beyond), each chunk is summarized in a few sentences, and a last call merges the notes with the
facts. The number of model calls, and so the time, has a bound whatever the input's size.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from paho.mqtt.client import topic_matches_sub

from hub.errors import HubError, LLMError
from hub.llm.writer import TextWriter
from hub.summaries import logs as logfiles
from hub.summaries.check import FactChecker, numbers_in, sentences
from hub.summaries.facts import Facts, FactsCollector, LogFacts, Notable
from hub.summaries.render import (
    busiest_sentence,
    facts_lines,
    failures_sentence,
    language_name,
    logs_sentences,
    notable_lines,
    template_sentences,
    window_text,
)
from hub.summaries.sources import EventSource, SourceSpec

log = logging.getLogger(__name__)

MAX_CHUNKS = 4
CHUNK_NOTE_TOKENS = 96
PROSE_TOKENS = 200
ANSWER_RESERVE = 220  # tokens kept free in the context for the answer and the chat template

SYSTEM = (
    "You write a short report for the people living in a smart home about what their home hub "
    "did. Write {n} plain sentences in {language}, no list, no heading. Use only the facts "
    "given and copy every number exactly. {focus}"
)
FOCUS_EVENTS = "Name the busiest devices, the failures and errors, and devices that went offline."
FOCUS_LOGS = "Say how many errors and warnings the logs had and name the most frequent error."
CHUNK_SYSTEM = (
    "You read an excerpt of a smart home hub's log and note what matters in 2 short sentences: "
    "failures, errors, devices that went offline, requests that were not understood. Do not "
    "invent numbers."
)


@dataclass(frozen=True)
class Summary:
    name: str
    since: float
    until: float
    language: str
    facts: Facts
    text: str
    prose: str  # model | model+template | template
    dropped: tuple[tuple[str, str], ...] = ()  # sentences the check removed, with the reason
    model_calls: int = 0
    ms: float = 0.0
    created: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["facts"] = self.facts.to_dict()
        data["dropped"] = [list(d) for d in self.dropped]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Summary:
        values = dict(data)
        values["facts"] = Facts.from_dict(values["facts"])
        values["dropped"] = tuple((str(a), str(b)) for a, b in values.get("dropped", ()))
        return cls(**values)


@dataclass(frozen=True)
class Inputs:
    """What one summary reads."""

    sources: tuple[SourceSpec, ...] = (SourceSpec("events"),)
    topics: tuple[str, ...] = ()  # MQTT topic filters of recorded messages to count; () = all
    names: Mapping[str, str] = field(default_factory=dict)  # entity id -> friendly name


def collect(
    inputs: Inputs, events: EventSource | None, since: float, until: float, tz: ZoneInfo
) -> tuple[Facts, list[Notable]]:
    """Stream every source once into the facts and a bounded list of notable events."""
    collector = FactsCollector(
        since, until, inputs.names, sources=tuple(str(s) for s in inputs.sources)
    )
    kinds = [s.kind for s in inputs.sources]
    if "events" in kinds or "mqtt" in kinds:
        if events is None:
            raise HubError("the event log is not available", code="no_events")
        wanted = None if "events" in kinds else ("message",)
        topics = tuple(s.target for s in inputs.sources if s.kind == "mqtt") or inputs.topics
        for event in events.events(since, until, wanted):
            topic = str(event.detail.get("topic", "")) if event.kind == "message" else ""
            if topics and topic and not any(topic_matches_sub(f, topic) for f in topics):
                continue
            collector.add(event)
    for spec in inputs.sources:
        if spec.kind in ("file", "journal"):
            facts, notable = _read_log(spec, since, until, tz)
            collector.add_log(facts, notable)
    return collector.facts(), collector.notables()


def _read_log(
    spec: SourceSpec, since: float, until: float, tz: ZoneInfo
) -> tuple[LogFacts, list[Notable]]:
    from pathlib import Path

    try:
        if spec.kind == "file":
            lines: Iterable[logfiles.LogLine] = logfiles.read_file(
                Path(spec.target), tz, since, until
            )
        else:
            lines = logfiles.read_journal(spec.target, since, until)
        return logfiles.summarize_lines(str(spec), lines)
    except OSError as exc:
        problem = getattr(exc, "strerror", None) or str(exc)
        log.warning("cannot read %s: %s", spec, problem)
        return LogFacts(name=str(spec), problem=problem), []


class Summarizer:
    """Writes the prose for facts with a :class:`TextWriter`, checks it, falls back to code."""

    def __init__(self, writer: TextWriter | None, *, max_chunks: int = MAX_CHUNKS) -> None:
        self.writer = writer
        self.max_chunks = max_chunks

    def summarize(
        self,
        name: str,
        inputs: Inputs,
        events: EventSource | None,
        since: float,
        until: float,
        *,
        language: str = "en",
        tz: ZoneInfo | None = None,
    ) -> Summary:
        tz = tz or ZoneInfo("UTC")
        start = time.perf_counter()
        facts, notables = collect(inputs, events, since, until, tz)
        calls = 0
        prose, source = template_sentences(facts, language), "template"
        dropped: tuple[tuple[str, str], ...] = ()
        if self.writer is not None:
            try:
                draft, calls = self._write(facts, notable_lines(notables, tz), language, tz)
                prose, source, dropped = self._checked(facts, draft, language)
            except LLMError as exc:
                log.warning("summary %s: the model failed (%s); using the facts alone", name, exc)
        ms = (time.perf_counter() - start) * 1000
        log.info(
            "summary %s: %d events, %d model calls, %d sentences dropped, %.1f s",
            name,
            facts.events,
            calls,
            len(dropped),
            ms / 1000,
        )
        return Summary(name, since, until, language, facts, prose, source, dropped, calls, ms)

    def _checked(
        self, facts: Facts, draft: str, language: str
    ) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        checked = FactChecker(facts).check(draft)
        if not checked.kept:
            return template_sentences(facts, language), "template", checked.dropped
        text, source = checked.text, "model"
        low = text.lower()
        top = [e for e, _ in facts.actions_by_device[:1]]
        if top and not any(n in low for n in _names(facts, top[0])):
            text, source = f"{text} {busiest_sentence(facts, language)}", "model+template"
        if facts.failed_by_device:  # the device that failed most must be named
            named = any(n in low for n in _names(facts, facts.failed_by_device[0][0]))
        else:  # or, without failed actions, the errors
            named = not facts.errors or any(
                w in low for w in ("error", "fehler", facts.errors_by_code[0][0].lower())
            )
        if not named:
            text, source = f"{text} {failures_sentence(facts, language)}", "model+template"
        readable = [log for log in facts.logs if not log.problem]
        said = {value for value, *_ in numbers_in(text)}
        if readable and not any(float(log.errors) in said for log in readable):
            # the logs' error counts are what a log summary is for
            text = " ".join([text, *logs_sentences(facts, language)])
            source = "model+template"
        return text, source, checked.dropped

    def _write(
        self, facts: Facts, notes: Sequence[str], language: str, tz: ZoneInfo
    ) -> tuple[str, int]:
        assert self.writer is not None
        writer = self.writer
        header = f"Period: {window_text(facts, tz)}\n{_headlines(facts)}Facts:\n" + "\n".join(
            f"- {line}" for line in facts_lines(facts)
        )
        budget = writer.context_tokens - ANSWER_RESERVE - writer.count_tokens(SYSTEM) - 60
        calls = 0
        body = "\n".join(notes)
        if notes and writer.count_tokens(header) + writer.count_tokens(body) > budget:
            chunk_budget = max(200, budget - writer.count_tokens(header) // 2)
            summaries = []
            for chunk in chunked(notes, writer.count_tokens, chunk_budget, self.max_chunks):
                summaries.append(
                    writer.write(CHUNK_SYSTEM, "\n".join(chunk), max_tokens=CHUNK_NOTE_TOKENS)
                )
                calls += 1
            body = "\n".join(s for s in summaries if s)
        focus = FOCUS_EVENTS if facts.read_events else FOCUS_LOGS
        system = SYSTEM.format(n="3 to 5", language=language_name(language), focus=focus)
        lines = body.splitlines()
        while True:  # notes that do not fit are cut from the end
            user = header + ("\nNotable events:\n" + "\n".join(lines) if lines else "")
            if not lines or writer.count_tokens(system + user) <= budget:
                break
            lines.pop()
        text = writer.write(system, user, max_tokens=PROSE_TOKENS)
        return _clean(text), calls + 1


def chunked(
    lines: Sequence[str], count: Callable[[str], int], budget: int, max_chunks: int
) -> list[list[str]]:
    """Cut lines into chunks of at most ``budget`` tokens; at most ``max_chunks`` of them,
    thinning the lines evenly (keeping first and last) when there are more."""
    sizes = [count(line) + 1 for line in lines]
    while True:
        chunks: list[list[str]] = [[]]
        used = 0
        for line, size in zip(lines, sizes, strict=True):
            if chunks[-1] and used + size > budget:
                chunks.append([])
                used = 0
            chunks[-1].append(line)
            used += size
        if len(chunks) <= max_chunks or len(lines) <= 2:
            return chunks
        keep = max(2, len(lines) * max_chunks // len(chunks) - 1)
        step = (len(lines) - 1) / (keep - 1)
        picked = sorted({round(i * step) for i in range(keep)})
        lines = [lines[i] for i in picked]
        sizes = [sizes[i] for i in picked]


def _headlines(facts: Facts) -> str:
    """What the prose must say first (small models follow a short lead better than a list)."""
    out = []
    if facts.actions_by_device:
        entity, n = facts.actions_by_device[0]
        out.append(f"The busiest device was {facts.name_of(entity)} ({n} actions).")
    if facts.failed_by_device:
        entity, n = facts.failed_by_device[0]
        out.append(f"The device that failed most was {facts.name_of(entity)} ({n} failed actions).")
    if facts.still_offline:
        out.append(f"{facts.name_of(facts.still_offline[0])} was still offline at the end.")
    return "Headlines: " + " ".join(out) + "\n" if out else ""


def _names(facts: Facts, key: str) -> list[str]:
    names = {key.lower(), facts.name_of(key).lower(), key.split(".", 1)[-1].replace("_", " ")}
    return [n for n in names if len(n) >= 3]


def _clean(text: str) -> str:
    """One paragraph: markdown list marks and headings the model may add are removed."""
    lines = []
    for line in text.splitlines():
        line = line.strip().lstrip("#*-• ").strip()
        if line:
            lines.append(line if line[-1] in ".!?。" else line + ".")
    # a list's lead-in ("The failures were:") whose list the model left out goes
    kept = [s for s in sentences(" ".join(lines)) if not s.rstrip(".").endswith(":")]
    return " ".join(kept)
