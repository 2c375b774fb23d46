"""Log files and the systemd journal, read as streams into bounded :class:`LogFacts`.

A file is read line by line through a buffered binary reader (a 50 MB file never sits in
memory); each line gets a level (from a level word, else from words like "failed"), a unit
(the syslog tag ``name[pid]:`` or the journal's unit) and, for errors, a message key with digits
masked, so that "timeout after 31 ms" and "timeout after 52 ms" count as one message. Lines
with a timestamp outside the window are skipped; lines without one count.

The journal is ``journalctl -u UNIT --since @T --until @T -o json`` read as a stream.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from hub.summaries.facts import LogFacts, Notable, _Capped, ordered

log = logging.getLogger(__name__)

MAX_LINE = 4096  # characters of a line looked at
KEEP_FIRST = 6  # error lines kept from the start and the end of a source, for the prose
KEEP_LAST = 6
TOP_ERRORS = 10
JOURNAL_TIMEOUT = 120.0  # seconds a journal read may take before it is cut short

_LEVEL = re.compile(
    r"\b(CRITICAL|FATAL|EMERG|ALERT|CRIT|ERROR|ERR|WARNING|WARN|NOTICE|INFO|DEBUG|TRACE)\b"
)
_LEVELS = {
    "CRITICAL": "critical", "FATAL": "critical", "EMERG": "critical", "ALERT": "critical",
    "CRIT": "critical", "ERROR": "error", "ERR": "error", "WARNING": "warning",
    "WARN": "warning", "NOTICE": "info", "INFO": "info", "DEBUG": "debug", "TRACE": "debug",
}  # fmt: skip
_LEVEL_TAGGED = re.compile(  # "error:", "[warn]", "info |" in any case
    r"\b(critical|fatal|error|err|warning|warn|notice|info|debug|trace)(?=:|\]|\s+\|)", re.I
)
_FAILURE = re.compile(r"\b(fail(ed|ure)?|error|exception|traceback|timed? ?out)\b", re.I)
_ISO = re.compile(r"^\[?(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})([.,]\d+)?(Z|[+-]\d{2}:?\d{2})?")
_SYSLOG = re.compile(r"^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}:\d{2}:\d{2}) ")
_TAG = re.compile(r"^(?:\S+ +\d+ \d{2}:\d{2}:\d{2}|\S+T\S+) \S+ ([\w.@/-]+?)(?:\[\d+\])?: ")
_DIGITS = re.compile(r"0x[0-9a-fA-F]+|\d+")
_PRIORITY = {0: "critical", 1: "critical", 2: "critical", 3: "error", 4: "warning"}
_PRIORITY.update({5: "info", 6: "info", 7: "debug"})


@dataclass(frozen=True)
class LogLine:
    text: str
    ts: float | None = None
    level: str | None = None  # known from the source (the journal's PRIORITY)
    unit: str | None = None


def level_of(text: str) -> str:
    head = text[:200]
    match = _LEVEL.search(head) or _LEVEL_TAGGED.search(head)
    if match:
        return _LEVELS[match.group(1).upper()]
    return "error" if _FAILURE.search(text) else "none"


_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}


class Clock:
    """Timestamps at the start of lines, in seconds since the epoch.

    The epoch of each (day, hour, zone) is computed once and cached (bounded): parsing dates is
    most of the cost of reading a big log otherwise. Lines without a zone are in ``tz``; syslog
    lines, which have no year, are in the year of ``until``, or the one before when that would
    put them more than a day after ``until`` (December's lines read in January).
    """

    def __init__(self, tz: tzinfo, until: float) -> None:
        self.tz, self.until = tz, until
        self.year = datetime.fromtimestamp(until, tz).year
        self._hours: dict[tuple[str, str, str], float | None] = {}

    def __call__(self, text: str) -> float | None:
        match = _ISO.match(text)
        if match:
            date, clock, fraction, zone = match.groups()
            base = self._hour(date, clock[:2], zone or "")
            if base is None:
                return None
            seconds = int(clock[3:5]) * 60 + int(clock[6:8])
            return base + seconds + (float("0." + fraction[1:]) if fraction else 0.0)
        match = _SYSLOG.match(text)
        if match:
            month, day, clock = match.groups()
            base = self._hour(f"{month} {day}", clock[:2], "syslog")
            return None if base is None else base + int(clock[3:5]) * 60 + int(clock[6:8])
        return None

    def _hour(self, date: str, hour: str, zone: str) -> float | None:
        key = (date, hour, zone)
        if key not in self._hours:
            if len(self._hours) > 10_000:
                self._hours.clear()
            self._hours[key] = self._epoch(date, hour, zone)
        return self._hours[key]

    def _epoch(self, date: str, hour: str, zone: str) -> float | None:
        try:
            if zone == "syslog":
                month, day = date.split()
                when = datetime(self.year, _MONTHS[month], int(day), int(hour), tzinfo=self.tz)
                if when.timestamp() > self.until + 86_400:
                    when = when.replace(year=self.year - 1)
            else:
                offset = "+00:00" if zone == "Z" else zone
                when = datetime.fromisoformat(f"{date}T{hour}:00:00{offset}")
                if when.tzinfo is None:
                    when = when.replace(tzinfo=self.tz)
        except (ValueError, KeyError):
            return None
        return when.timestamp()


def timestamp(text: str, tz: tzinfo, until: float) -> float | None:
    """Seconds since the epoch of an ISO or syslog timestamp at the line's start, if any."""
    return Clock(tz, until)(text)


def read_file(path: Path, tz: tzinfo, since: float, until: float) -> Iterator[LogLine]:
    """The lines of a log file within the window, streamed (1 MiB buffer)."""
    clock = Clock(tz, until)
    with path.open("rb", buffering=1 << 20) as f:
        for raw in f:
            text = raw[:MAX_LINE].decode("utf-8", errors="replace").rstrip("\r\n")
            if not text:
                continue
            ts = clock(text)
            if ts is not None and not since <= ts < until:
                continue
            tag = _TAG.match(text)
            yield LogLine(text, ts, None, tag.group(1) if tag else None)


def journal_command(unit: str, since: float, until: float) -> list[str]:
    return [
        "journalctl", "-u", unit, "--since", f"@{int(since)}", "--until", f"@{int(until)}",
        "-o", "json", "--no-pager", "-q",
    ]  # fmt: skip


def read_journal(unit: str, since: float, until: float) -> Iterator[LogLine]:
    """The journal of one unit within the window, streamed from journalctl's JSON lines."""
    command = journal_command(unit, since, until)
    if shutil.which(command[0]) is None:
        raise FileNotFoundError("journalctl is not installed")
    deadline = time.monotonic() + JOURNAL_TIMEOUT
    read = 0
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        try:
            for raw in proc.stdout:
                if time.monotonic() > deadline:
                    log.warning("journal of %s cut short after %.0f s", unit, JOURNAL_TIMEOUT)
                    break
                try:
                    entry = json.loads(raw)
                except ValueError:
                    continue
                read += 1
                yield _journal_line(entry, unit)
        finally:
            if proc.poll() is None:
                proc.kill()
            stderr = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
        if stderr and (proc.wait() not in (0, -9) or not read):
            # "No journal files were found.", "Failed to ...": say so instead of "0 lines"
            raise OSError(f"journalctl: {stderr.splitlines()[-1]}")


def _journal_line(entry: dict[str, object], unit: str) -> LogLine:
    message = entry.get("MESSAGE", "")
    if isinstance(message, list):  # journald sends non-UTF-8 messages as byte arrays
        message = bytes(int(b) for b in message if isinstance(b, int)).decode(errors="replace")
    try:
        level = _PRIORITY.get(int(str(entry.get("PRIORITY", 6))), "info")
    except ValueError:
        level = "info"
    try:
        ts: float | None = int(str(entry.get("__REALTIME_TIMESTAMP"))) / 1e6
    except ValueError:
        ts = None
    name = str(entry.get("_SYSTEMD_UNIT") or entry.get("SYSLOG_IDENTIFIER") or unit)
    return LogLine(str(message)[:MAX_LINE], ts, level, name)


def summarize_lines(name: str, lines: Iterable[LogLine]) -> tuple[LogFacts, list[Notable]]:
    """Count one source's lines in one pass; keep a bounded sample of error lines."""
    n = size = 0
    levels, units, unit_errors, messages = _Capped(), _Capped(), _Capped(), _Capped()
    first: list[Notable] = []
    last: deque[Notable] = deque(maxlen=KEEP_LAST)
    for line in lines:
        n += 1
        size += len(line.text) + 1
        level = line.level or level_of(line.text)
        levels.add(level)
        unit = line.unit or name
        units.add(unit)
        if level in ("error", "critical"):
            unit_errors.add(unit)
            messages.add(_DIGITS.sub("N", _message(line.text))[:160])
            note = Notable(line.ts or 0.0, "log", f"{unit}: {_message(line.text)[:200]}")
            (first if len(first) < KEEP_FIRST else last).append(note)
    facts = LogFacts(
        name=name,
        lines=n,
        bytes=size,
        by_level=ordered(levels),
        by_unit=ordered(units),
        errors_by_unit=ordered(unit_errors),
        top_errors=ordered(messages)[:TOP_ERRORS],
    )
    return facts, [*first, *last]


def _message(text: str) -> str:
    """The line without its timestamp, host and tag, where they can be told apart."""
    tag = _TAG.match(text)
    if tag:
        return text[tag.end() :]
    match = _ISO.match(text)
    return text[match.end() :].lstrip(" ]") if match else text
