"""The store: migrations, the event log, and what happens when the file fails."""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.store import Event, Store
from hub.store.migrations import MIGRATIONS


def _request(text: str, ts: float | None = None) -> Event:
    return Event("request", ts=ts or time.time(), source="cli", text=text, tier="template")


def test_a_new_file_gets_every_migration_and_keeps_events(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    store = Store.open(path)
    store.record(_request("turn on the light"), _request("lock the door"))
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    again = Store.open(path)
    texts = [e.text for e in again.events(0, time.time() + 1)]
    assert texts == ["turn on the light", "lock the door"]


def test_an_older_database_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    import sqlite_utils

    db = sqlite_utils.Database(path)
    MIGRATIONS[0](db)  # a database from the first version: only the events table
    db.execute("PRAGMA user_version = 1")
    db.table("events").insert(_request("from before").to_row())
    db.conn.commit()
    db.conn.close()
    store = Store.open(path)
    assert not store.degraded
    assert [e.text for e in store.events(0, time.time() + 1)] == ["from before"]
    assert store.read(lambda d: d.table("decisions").exists(), False)


def test_a_database_from_a_newer_hub_is_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.close()
    store = Store.open(path)
    assert store.degraded
    assert "newer hub" in store.status()


def test_events_stream_in_time_order_within_the_window(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "hub.db")
    base = 1_700_000_000.0
    store.record(*(_request(f"r{i}", base + (i * 7919) % 5000) for i in range(5000)))
    got = list(store.events(base + 1000, base + 2000))
    assert [e.ts for e in got] == sorted(e.ts for e in got)
    assert len(got) == 1000
    assert all(base + 1000 <= e.ts < base + 2000 for e in got)
    kinds = list(store.events(0, base + 10_000, ["action"]))
    assert kinds == []


def test_pruning_keeps_the_newest_within_age_and_count(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "hub.db")
    now = time.time()
    store.record(*(_request(f"old{i}", now - 40 * 86400) for i in range(3)))
    store.record(*(_request(f"new{i}", now - 10 + i) for i in range(5)))
    assert store.prune(max_age_seconds=30 * 86400, max_events=4) == 4
    assert [e.text for e in store.events(0, now + 1)] == ["new1", "new2", "new3", "new4"]


def test_pruning_by_age_drops_every_older_event_however_few(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "hub.db")
    now, day, hour = time.time(), 86400.0, 3600.0
    store.record(
        _request("a month and a day ago", now - 31 * day),
        _request("just inside", now - 30 * day + hour),
        _request("just outside", now - 30 * day - hour),
        _request("today", now - 60),
    )
    assert store.prune(max_age_seconds=30 * day, max_events=1000) == 2
    assert [e.text for e in store.events(0, now + 1)] == ["just inside", "today"]
    assert store.prune(max_age_seconds=30 * day, max_events=1000) == 0  # nothing more to do
    store.close()


def test_pruning_by_count_keeps_the_newest_by_time_not_by_arrival(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "hub.db")
    now = time.time()
    ages = [50, 10, 40, 20, 60, 30]  # seconds ago, in the order they are recorded
    store.record(*(_request(f"{age}s ago", now - age) for age in ages))
    assert store.prune(max_age_seconds=86400, max_events=3) == 3
    assert [e.text for e in store.events(0, now + 1)] == ["30s ago", "20s ago", "10s ago"]
    store.close()


def test_a_corrupt_file_at_start_is_moved_aside_and_replaced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "hub.db"
    path.write_bytes(b"this is not a database, just bytes " * 200)
    with caplog.at_level(logging.ERROR):
        store = Store.open(path)
    assert not store.degraded
    moved = list(tmp_path.glob("hub.db.corrupt-*"))
    assert len(moved) == 1 and moved[0].read_bytes().startswith(b"this is not")
    assert "corrupt" in caplog.text and str(moved[0]) in caplog.text
    store.record(_request("after"))
    assert [e.text for e in store.events(0, time.time() + 1)] == ["after"]


def test_a_damaged_page_is_detected_at_start(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    store = Store.open(path)
    store.record(*(_request("x" * 200) for _ in range(500)))
    store.close()
    data = bytearray(path.read_bytes())
    for offset in range(4096 * 2, len(data) - 4096, 4096):  # scribble over later pages
        data[offset + 8 : offset + 200] = b"\xff" * 192
    path.write_bytes(bytes(data))
    again = Store.open(path)
    assert not again.degraded
    assert list(tmp_path.glob("hub.db.corrupt-*"))


def test_a_locked_database_degrades_holds_events_and_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hub.db"
    store = Store.open(path)
    monkeypatch.setattr("hub.store.db.RETRY_SECONDS", 0.0)
    other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the file
    store.record(_request("while locked"))
    assert store.degraded
    assert "locked" in store.status() and "1 event(s) held" in store.status()
    assert [e.text for e in store.events(0, time.time() + 1)] == ["while locked"]  # from memory
    other.execute("ROLLBACK")
    other.close()
    store.record(_request("after"))
    assert not store.degraded
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 2


def test_events_held_at_shutdown_are_kept_for_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hub.db"
    store = Store.open(path)
    other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    store.record(_request("one"), _request("two"))
    store.close()  # the file is still locked: the events go to the pending file
    pending = tmp_path / "hub.db.pending.jsonl"
    assert len(pending.read_text().splitlines()) == 2
    other.execute("ROLLBACK")
    other.close()
    again = Store.open(path)
    assert [e.text for e in again.events(0, time.time() + 1)] == ["one", "two"]
    assert not pending.exists()


@contextlib.contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here to take a disk away: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_read_only_disk_is_survived_reported_and_caught_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hub.store.db.RETRY_SECONDS", 0.0)
    with _tmpfs(tmp_path / "disk", "4m") as disk:
        first = Store.open(disk / "hub.db")
        first.record(_request("before"))
        first.close()
        view = tmp_path / "view"
        view.mkdir()
        subprocess.run(["mount", "--bind", str(disk), str(view)], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
            store = Store.open(view / "hub.db")
            store.record(_request("while read-only"))
            assert store.degraded
            assert "read-only" in store.status(), store.status()
            assert "1 event(s) held" in store.status()
            subprocess.run(["mount", "-o", "remount,bind,rw", str(view)], check=True)
            store.record(_request("after"))
            assert not store.degraded
            texts = [e.text for e in store.events(0, time.time() + 1)]
            assert texts == ["before", "while read-only", "after"]
            store.close()
        finally:
            subprocess.run(["umount", "-l", str(view)], check=False)


def test_a_full_disk_is_survived_reported_and_caught_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hub.store.db.RETRY_SECONDS", 0.0)
    with _tmpfs(tmp_path / "disk", "512k") as disk:
        store = Store.open(disk / "hub.db")
        filler = disk / "filler"
        filler.write_bytes(b"\0" * 300_000)  # something else takes most of the disk
        big = "x" * 4000
        sent = 0
        while not store.degraded and sent < 200:
            store.record(_request(f"{sent} {big}"))
            sent += 1
        assert store.degraded, "the disk never filled"
        assert "full" in store.status(), store.status()
        filler.unlink()  # room again
        store.record(_request("after"))
        assert not store.degraded, store.status()
        texts = [e.text.split()[0] for e in store.events(0, time.time() + 1)]
        assert texts == [*(str(i) for i in range(sent)), "after"]  # nothing lost
        store.close()


def test_events_held_over_a_read_only_folder_wait_in_the_runtime_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The db folder itself cannot be written at shutdown: the pending file goes to
    $RUNTIME_DIRECTORY (systemd's), and the next start reads it back from there. systemd may
    empty that folder when the unit stops, so the journal gets them too."""
    runtime = tmp_path / "run"
    runtime.mkdir()
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(runtime))
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    with _tmpfs(tmp_path / "disk", "4m") as disk:
        Store.open(disk / "hub.db").close()
        view = tmp_path / "view"
        view.mkdir()
        subprocess.run(["mount", "--bind", str(disk), str(view)], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
            store = Store.open(view / "hub.db")
            store.record(_request("one"), _request("two"))
            assert store.degraded
            with caplog.at_level(logging.ERROR, logger="hub.store.db"):
                store.close()
            assert not (view / "hub.db.pending.jsonl").exists()
            logged = [r.getMessage() for r in caplog.records]
            assert sum(m.startswith("held event ") for m in logged) == 2
            [kept] = runtime.glob("hub.db-*.pending.jsonl")
            assert len(kept.read_text().splitlines()) == 2
            subprocess.run(["mount", "-o", "remount,bind,rw", str(view)], check=True)
            again = Store.open(view / "hub.db")
            assert [e.text for e in again.events(0, time.time() + 1)] == ["one", "two"]
            assert not kept.exists()
            again.close()
        finally:
            subprocess.run(["umount", "-l", str(view)], check=False)


def test_events_nowhere_to_keep_go_to_the_journal_one_line_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "hub.db"
    store = Store.open(path)
    (tmp_path / "hub.db.pending.jsonl").mkdir()  # beside the database: cannot be written
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(tmp_path / "missing-run"))
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path / "missing-state"))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "missing-tmp"))
    other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    store.record(_request("kept in the journal"), _request("this one too"))
    with caplog.at_level(logging.ERROR, logger="hub.store.db"):
        store.close()
    other.execute("ROLLBACK")
    other.close()
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("held event")]
    assert len(lines) == 2
    rows = [json.loads(line.removeprefix("held event ")) for line in lines]
    assert [r["text"] for r in rows] == ["kept in the journal", "this one too"]
    assert "missing-run" in caplog.text  # says where it tried


def test_request_ids_are_kept_and_pruned(tmp_path: Path) -> None:
    from hub.store.request_ids import RequestIds

    store = Store.open(tmp_path / "hub.db")
    ids = RequestIds(store)
    ids.add("request:mqtt:a", 1000.0)
    ids.add("request:mqtt:b", 2000.0)
    ids.add("request:mqtt:a", 2500.0)  # acted on again later: the newest time counts
    assert sorted(ids.load(since=0)) == [("request:mqtt:a", 2500.0), ("request:mqtt:b", 2000.0)]
    ids.prune(before=2200.0)
    ids.forget("request:mqtt:x")
    assert ids.load(since=0) == [("request:mqtt:a", 2500.0)]
    ids.forget("request:mqtt:a")
    assert ids.load(since=0) == []
    store.close()
