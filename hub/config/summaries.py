"""The summaries section: scheduled reports of what happened, written by the local model.

```yaml
summaries:
  timezone: Europe/Berlin          # cron times and the report's clock (default: UTC)
  record_topics:                   # MQTT topics the daemon records for summaries
    - zigbee2mqtt/+/availability
  keep: 60                         # summaries kept per job in the database
  context: 2048                    # tokens of the summary writer's own llama.cpp context
  jobs:
    - name: daily
      cron: "0 21 * * *"           # minute hour day month weekday
      window: 24h                  # what the summary covers: 30m, 12h, 7d, 1w
      language: en
      sources: [events, "journal:hub", "file:/var/log/hub.log", "mqtt:zigbee2mqtt/+/availability"]
      llm: true                    # false: the facts and a sentence written by code
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.config.binding import topic_problem
from hub.config.reader import Reader

_WINDOW = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$", re.I)
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86_400, "w": 604_800}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_WINDOW = 31 * 86_400


@dataclass(frozen=True)
class SummaryJob:
    name: str
    cron: str
    window: float = 86_400.0  # seconds
    language: str = "en"
    sources: tuple[str, ...] = ("events",)  # events | file:PATH | journal:UNIT | mqtt:TOPIC
    llm: bool = True


@dataclass(frozen=True)
class SummariesConfig:
    timezone: str = "UTC"
    jobs: tuple[SummaryJob, ...] = ()
    record_topics: tuple[str, ...] = ()
    keep: int = 60
    context: int = 2048  # the writer's own context (tokens)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def job(self, name: str) -> SummaryJob | None:
        return next((j for j in self.jobs if j.name == name), None)


def parse_window(text: str) -> float | None:
    """'24h' -> 86400.0; None when it is not a window."""
    match = _WINDOW.match(text)
    if not match:
        return None
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


def parse_summaries(r: Reader, base: Path, default_language: str = "en") -> SummariesConfig:
    r.only("timezone", "jobs", "record_topics", "keep", "context")
    timezone = r.text("timezone", "UTC") or "UTC"
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        r.fail("timezone", f"unknown time zone {timezone!r} (e.g. Europe/Berlin, UTC)")
        tz = ZoneInfo("UTC")  # to check the jobs' cron expressions all the same
    topics = r.strings("record_topics")
    for i, topic in enumerate(topics):
        problem = topic_problem(topic.replace("+", "x").replace("#", "x"))
        if problem:
            r.fail(f"record_topics[{i}]", problem)
    jobs: list[SummaryJob] = []
    for job in r.items("jobs"):
        parsed = _job(job, tz, base, default_language)
        if parsed is None:
            continue
        if any(j.name == parsed.name for j in jobs):
            job.fail("name", f"duplicate job name {parsed.name!r}")
            continue
        jobs.append(parsed)
    return SummariesConfig(
        timezone=timezone,
        jobs=tuple(jobs),
        record_topics=topics,
        keep=r.integer("keep", 60, 1, 100_000),
        context=r.integer("context", 2048, 512, 32_768),
    )


def _job(r: Reader, tz: ZoneInfo, base: Path, default_language: str) -> SummaryJob | None:
    """The job; None when its name, cron or window is wrong (the problem is recorded)."""
    r.only("name", "cron", "window", "language", "sources", "llm")
    name = r.required_text("name")
    if name and not _NAME.match(name):
        r.fail("name", "use lower-case letters, digits, '-' and '_' (it becomes an MQTT topic)")
        name = ""
    cron = r.required_text("cron")
    problem = cron_problem(cron, tz) if cron else None
    if problem:
        r.fail("cron", problem)
    window_text = r.text("window", "24h") or "24h"
    window = parse_window(window_text)
    if window is None or not 60 <= window <= MAX_WINDOW:
        r.fail(
            "window", f"must be a duration from 1m to 31d like 30m, 24h or 7d, not {window_text!r}"
        )
        window = None
    sources = r.strings("sources") or ("events",)
    out = []
    for i, source in enumerate(sources):
        kind, _, target = source.partition(":")
        if source == "events" or (kind in ("journal", "mqtt") and target):
            out.append(source)
        elif kind == "file" and target:
            path = Path(target).expanduser()
            out.append(f"file:{path if path.is_absolute() else base / path}")
        else:
            r.fail(
                f"sources[{i}]",
                f"expected events, file:PATH, journal:UNIT or mqtt:TOPIC, not {source!r}",
            )
    language = r.text("language", default_language) or default_language
    llm = r.get("llm", bool, True)
    if not name or not cron or problem or window is None:
        return None
    return SummaryJob(
        name=name,
        cron=cron,
        window=window,
        language=language,
        sources=tuple(out),
        llm=llm,
    )


def cron_problem(cron: str, tz: ZoneInfo) -> str | None:
    """Why APScheduler would not take ``cron`` (five fields), or None."""
    from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

    if len(cron.split()) != 5:
        return f"must have five fields (minute hour day month weekday), not {cron!r}"
    try:
        CronTrigger.from_crontab(cron, timezone=tz)
    except ValueError as exc:
        return f"not a valid cron expression {cron!r}: {exc}"
    return None
