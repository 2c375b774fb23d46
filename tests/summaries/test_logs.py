"""Log files and the journal, streamed into bounded facts."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.summaries.logs import (
    journal_command,
    read_file,
    read_journal,
    summarize_lines,
    timestamp,
)
from hub.summaries.sources import SourceSpec
from hub.summaries.summary import Inputs, collect

UTC = ZoneInfo("UTC")
T0 = 1_764_374_400.0  # 2025-11-29 00:00 UTC

LOG = """\
2025-11-28 23:59:59,000 ERROR hub.mqtt: before the window
2025-11-29 00:00:01,000 INFO hub.app.build: hub is running
2025-11-29 01:00:00,000 WARNING hub.store: database is slow (312 ms)
2025-11-29 02:00:00,000 ERROR hub.mqtt: lost the broker after 31 s
Traceback (most recent call last):
2025-11-29 03:00:00,000 ERROR hub.mqtt: lost the broker after 52 s
Nov 29 04:00:00 pi zigbee2mqtt[812]: error: device porch is unreachable
Nov 29 04:00:05 pi zigbee2mqtt[812]: info: MQTT publish
2025-11-30 00:00:00,000 ERROR hub.mqtt: after the window
"""


def test_a_log_file_is_counted_by_level_unit_and_message(tmp_path: Path) -> None:
    path = tmp_path / "hub.log"
    path.write_text(LOG)
    facts, notable = summarize_lines("hub.log", read_file(path, UTC, T0, T0 + 86_400))
    assert facts.lines == 7  # the two lines outside the window are skipped
    assert dict(facts.by_level) == {"info": 2, "warning": 1, "error": 4}
    assert facts.errors == 4 and facts.warnings == 1
    assert dict(facts.by_unit) == {"hub.log": 5, "zigbee2mqtt": 2}
    assert dict(facts.errors_by_unit) == {"hub.log": 3, "zigbee2mqtt": 1}
    top = dict(facts.top_errors)
    assert top["ERROR hub.mqtt: lost the broker after N s"] == 2  # digits masked: one message
    assert len(notable) == 4
    assert notable[-1].text == "zigbee2mqtt: error: device porch is unreachable"


def test_a_missing_file_is_a_problem_in_the_facts_not_a_crash(tmp_path: Path) -> None:
    inputs = Inputs(sources=(SourceSpec("file", str(tmp_path / "gone.log")),))
    facts, _ = collect(inputs, None, T0, T0 + 86_400, UTC)
    assert facts.logs[0].problem == "No such file or directory"


def test_the_journal_is_read_through_journalctl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fake journalctl on PATH prints what the real one prints with -o json."""
    fake = tmp_path / "journalctl"
    entries = [
        '{"__REALTIME_TIMESTAMP": "1764378000000000", "PRIORITY": "6", '
        '"_SYSTEMD_UNIT": "hub.service", "MESSAGE": "hub is running"}',
        '{"__REALTIME_TIMESTAMP": "1764381600000000", "PRIORITY": "3", '
        '"_SYSTEMD_UNIT": "hub.service", "MESSAGE": "lost the broker"}',
        '{"__REALTIME_TIMESTAMP": "1764381700000000", "PRIORITY": "4", '
        '"_SYSTEMD_UNIT": "hub.service", "MESSAGE": [104, 105]}',
        "not json",
    ]
    args = tmp_path / "args"
    fake.write_text(f'#!/bin/sh\necho "$@" > {args}\n' + "".join(f"echo '{e}'\n" for e in entries))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    facts, notable = summarize_lines("journal:hub", read_journal("hub", T0, T0 + 86_400))
    assert args.read_text().split() == [
        "-u", "hub", "--since", f"@{int(T0)}", "--until", f"@{int(T0 + 86_400)}",
        "-o", "json", "--no-pager", "-q",
    ]  # fmt: skip
    assert facts.lines == 3
    assert dict(facts.by_level) == {"info": 1, "error": 1, "warning": 1}
    assert dict(facts.by_unit) == {"hub.service": 3}
    assert [n.text for n in notable] == ["hub.service: lost the broker"]


@pytest.mark.skipif(shutil.which("journalctl") is None, reason="journalctl is not installed")
def test_the_real_journalctl_answers_for_a_unit_without_entries() -> None:
    # What journalctl itself says here: nothing on a machine with a journal; in a container
    # without one, a complaint on stderr ("No journal files were found.").
    said = subprocess.run(
        journal_command("hub-test-no-such-unit", T0, T0 + 60),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert said.stdout == ""
    complaint = said.stderr.strip().splitlines()[-1] if said.stderr.strip() else None
    inputs = Inputs(sources=(SourceSpec("journal", "hub-test-no-such-unit"),))
    facts, _ = collect(inputs, None, T0, T0 + 60, UTC)
    log = facts.logs[0]
    assert log.name == "journal:hub-test-no-such-unit"
    assert log.lines == 0 and log.errors == 0
    # "0 lines" when it read the journal; its own words, not a crash, when it could not
    assert log.problem == (f"journalctl: {complaint}" if complaint else None)


def test_timestamps_iso_with_and_without_zone_and_syslog_across_the_new_year() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    noon = datetime(2025, 11, 29, 13, 5, 7, tzinfo=berlin).timestamp()
    assert timestamp("2025-11-29 13:05:07,250 INFO x", berlin, noon) == noon + 0.25
    assert timestamp("2025-11-29T12:05:07.5Z x", berlin, noon) == noon + 0.5
    assert timestamp("2025-11-29 13:05:07+01:00 x", berlin, noon) == noon
    assert timestamp("Nov 29 13:05:07 pi hub[1]: x", berlin, noon) == noon
    january = datetime(2026, 1, 1, 0, 30, tzinfo=berlin).timestamp()
    december = datetime(2025, 12, 31, 23, 59, 0, tzinfo=berlin).timestamp()
    assert timestamp("Dec 31 23:59:00 pi hub[1]: x", berlin, january) == december
    assert timestamp("no time here", berlin, noon) is None


def test_a_source_that_cannot_be_read_is_said_in_the_summary(tmp_path: Path) -> None:
    from hub.summaries.summary import Summarizer

    gone = tmp_path / "gone.log"
    summary = Summarizer(None).summarize(
        "x", Inputs(sources=(SourceSpec("file", str(gone)),)), None, T0, T0 + 60
    )
    assert summary.text == f"The log {gone} could not be read (No such file or directory)."
