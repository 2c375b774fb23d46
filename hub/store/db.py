"""The one SQLite file the hub remembers in: opened, checked, migrated, written from one place.

``Store`` owns the only writing connection, behind one lock, so any thread may call it. When the
file cannot be written (locked, read-only, disk gone, corrupt mid-run) the store turns
*degraded*: it says why in ``status()``, keeps new events in memory, and tries the file again
every few seconds. A clean ``close()`` writes what is held, or, if the file is still gone, puts it
in a ``.pending.jsonl`` file that the next start reads back: beside the database, or, when that
folder cannot be written either, in ``$STATE_DIRECTORY``, ``$RUNTIME_DIRECTORY`` or the temporary
folder (named after the database's path). The last two may not outlive the service (systemd
empties them when the unit stops, with ``PrivateTmp`` and without ``RuntimeDirectoryPreserve``),
so events kept there also go to the log; and if nowhere can take them, every event goes to the
log at ERROR, one JSON line each, so that the journal keeps them. A file that is corrupt at
start is moved aside and a fresh one created.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from hub.store.events import Event
from hub.store.migrations import MIGRATIONS

_LOGGER = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_SECONDS = 5.0  # a degraded store tries its file again this often
MAX_HELD = 100_000  # events held in memory while the file cannot be written
READ_BATCH = 2000


class Store:
    def __init__(self, path: Path | None) -> None:
        """``path`` None: an in-memory database (tests, ``--no-store``)."""
        self.path = path
        self._lock = threading.RLock()
        self._db: sqlite_utils.Database | None = None
        self._held: deque[Event] = deque(maxlen=MAX_HELD)
        self._dropped = 0
        self.problem: str | None = None
        self._retry_at = 0.0

    @classmethod
    def open(cls, path: Path | None) -> Store:
        store = cls(path)
        with store._lock:
            store._connect(at_start=True)
            store._read_pending_file()
        return store

    # -- state ------------------------------------------------------------------------------
    @property
    def degraded(self) -> bool:
        return self.problem is not None

    def status(self) -> str:
        if self.problem is None:
            return "ok"
        held = f"; {len(self._held)} event(s) held in memory" if self._held else ""
        return f"degraded: {self.problem}{held}"

    # -- connecting -------------------------------------------------------------------------
    def _connect(self, *, at_start: bool = False) -> bool:
        try:
            self._db = self._open_db()
        except sqlite3.DatabaseError as exc:
            if at_start and self.path is not None and _is_corrupt(exc):
                self._move_aside(str(exc))
                try:
                    self._db = self._open_db()
                except sqlite3.Error as again:
                    return self._degrade(again)
            else:
                return self._degrade(exc)
        except OSError as exc:
            return self._degrade(exc)
        if self.problem is not None:
            _LOGGER.warning("The database %s works again", self.path)
        self.problem = None
        return True

    def _open_db(self) -> sqlite_utils.Database:
        if self.path is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=1.0, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            check = conn.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed ({check})")
            db = sqlite_utils.Database(conn)
            _migrate(db)
        except BaseException:
            conn.close()
            raise
        return db

    def _move_aside(self, reason: str) -> None:
        assert self.path is not None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{self.path}{suffix}")
            if part.exists():
                part.rename(Path(f"{aside}{suffix}"))
        _LOGGER.error(
            "The database %s is corrupt (%s): moved it to %s and started a fresh one",
            self.path,
            reason,
            aside,
        )

    def _degrade(self, exc: BaseException) -> bool:
        problem = _describe(exc, self.path)
        if problem != self.problem:
            _LOGGER.error(
                "Cannot use the database: %s. Serving without the cache; events are held in "
                "memory until it works again",
                problem,
            )
        self.problem = problem
        self._retry_at = time.monotonic() + RETRY_SECONDS
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.conn.close()
            self._db = None
        return False

    def _usable(self) -> sqlite_utils.Database | None:
        """The database, reconnecting when a degraded store's retry time has come."""
        if self._db is None and time.monotonic() >= self._retry_at:
            self._connect()
        return self._db

    # -- reading and writing ------------------------------------------------------------------
    def write(self, work: Callable[[sqlite_utils.Database], T]) -> T | None:
        """Run ``work`` in one transaction; None (and degraded) when the file fails."""
        with self._lock:
            db = self._usable()
            if db is None:
                return None
            try:
                with db.conn:
                    result = work(db)
            except sqlite3.Error as exc:
                self._degrade(exc)
                return None
            if self._held:
                self._flush(db)
            return result

    def read(self, work: Callable[[sqlite_utils.Database], T], default: T) -> T:
        with self._lock:
            db = self._usable()
            if db is None:
                return default
            try:
                return work(db)
            except sqlite3.Error as exc:
                self._degrade(exc)
                return default

    def record(self, *events: Event) -> None:
        """Add events to the log; held in memory when the file cannot take them now."""
        with self._lock:
            if len(self._held) + len(events) > MAX_HELD:
                self._dropped += len(self._held) + len(events) - MAX_HELD
            self._held.extend(events)
            db = self._usable()
            if db is not None:
                self._flush(db)

    def _flush(self, db: sqlite_utils.Database) -> None:
        rows = [event.to_row() for event in self._held]
        try:
            with db.conn:
                db.table("events").insert_all(rows)
        except sqlite3.Error as exc:
            self._degrade(exc)
            return
        self._held.clear()

    def events(
        self, since: float, until: float, kinds: Iterable[str] | None = None
    ) -> Iterator[Event]:
        """Events with since <= ts < until in time order, read in batches (memory stays flat),
        then those still held in memory."""
        wanted = tuple(kinds) if kinds else None
        where = "ts >= ? AND ts < ?"
        if wanted:
            where += f" AND kind IN ({', '.join('?' for _ in wanted)})"
        last_ts, last_id = since, -1
        while True:
            sql = (
                f"SELECT * FROM events WHERE {where} AND (ts > ? OR (ts = ? AND id > ?)) "
                f"ORDER BY ts, id LIMIT {READ_BATCH}"
            )
            params = [since, until, *(wanted or ()), last_ts, last_ts, last_id]
            empty: list[dict[str, Any]] = []
            rows = self.read(_query(sql, params), empty)
            for row in rows:
                yield Event.from_row(row)
            if len(rows) < READ_BATCH:
                break
            last_ts, last_id = rows[-1]["ts"], rows[-1]["id"]
        with self._lock:
            held = [e for e in self._held if since <= e.ts < until]
        yield from (e for e in held if wanted is None or e.kind in wanted)

    def prune(self, *, max_age_seconds: float, max_events: int) -> int:
        """Drop events older than the age, then the oldest beyond the count; returns how many."""

        def work(db: sqlite_utils.Database) -> int:
            cutoff = time.time() - max_age_seconds
            gone = db.execute("DELETE FROM events WHERE ts < ?", [cutoff]).rowcount
            count = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
            if count > max_events:
                gone += db.execute(
                    "DELETE FROM events WHERE id IN "
                    "(SELECT id FROM events ORDER BY ts, id LIMIT ?)",
                    [count - max_events],
                ).rowcount
            return int(gone)

        gone = self.write(work) or 0
        if gone:
            _LOGGER.info("Pruned %d old event(s) from the log", gone)
        return gone

    # -- shutting down ----------------------------------------------------------------------
    def close(self) -> None:
        """Write what is held; if the file still fails, keep it in the pending file."""
        with self._lock:
            if self._held:
                self._retry_at = 0.0
                db = self._usable()
                if db is not None:
                    self._flush(db)
            if self._held:
                self._write_pending_file()
            if self._dropped:
                _LOGGER.error(
                    "%d event(s) were dropped: more than %d held", self._dropped, MAX_HELD
                )
            if self._db is not None:
                self._db.conn.close()
                self._db = None

    def _write_pending_file(self) -> None:
        if self.path is None:
            return
        rows = [json.dumps(event.to_row(), ensure_ascii=False) for event in self._held]
        problems: list[str] = []
        for file, volatile in pending_files(self.path):
            try:
                with file.open("a", encoding="utf-8") as out:
                    out.write("".join(row + "\n" for row in rows))
            except OSError as exc:
                problems.append(f"{file}: {getattr(exc, 'strerror', None) or exc}")
                continue
            _LOGGER.warning("Kept %d unwritten event(s) in %s for the next start", len(rows), file)
            if volatile:
                _LOGGER.error(
                    "%s may not outlive this service: the %d event(s) follow, one a line",
                    file.parent,
                    len(rows),
                )
                _log_rows(rows)
            self._held.clear()
            return
        _LOGGER.error(
            "Could not keep %d event(s) for the next start (%s); here they are, one a line",
            len(rows),
            "; ".join(problems),
        )
        _log_rows(rows)
        self._held.clear()

    def _read_pending_file(self) -> None:
        if self._db is None or self.path is None:
            return
        for file, _ in pending_files(self.path):
            if file.is_file():
                self._read_one_pending_file(file)

    def _read_one_pending_file(self, file: Path) -> None:
        events = []
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            _LOGGER.error("Cannot read the events kept in %s: %s", file, exc)
            return
        for number, line in enumerate(lines, 1):
            try:
                events.append(Event.from_row(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                _LOGGER.warning("Skipping unreadable line %d of %s", number, file)
        self.record(*events)
        if not self._held:
            with contextlib.suppress(OSError):
                file.unlink()
            _LOGGER.info("Wrote %d event(s) kept from the last run in %s", len(events), file)


def pending_files(path: Path) -> list[tuple[Path, bool]]:
    """Where held events may wait for the next start, in the order tried, and whether that
    place may be emptied when the service stops: beside the database; then, named after its
    full path (several hubs may share a folder), systemd's state and runtime directories and
    the temporary folder."""
    beside = path.with_name(f"{path.name}.pending.jsonl")
    digest = hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()[:12]
    name = f"{path.name}-{digest}.pending.jsonl"
    folders: list[tuple[str, bool]] = []
    for variable, volatile in (("STATE_DIRECTORY", False), ("RUNTIME_DIRECTORY", True)):
        folders += [(f, volatile) for f in os.environ.get(variable, "").split(":") if f]
    folders.append((tempfile.gettempdir(), True))
    files = [(beside, False)]
    for folder, volatile in folders:
        file = Path(folder) / name
        if all(file != known for known, _ in files):
            files.append((file, volatile))
    return files


def _log_rows(rows: list[str]) -> None:
    for row in rows:
        _LOGGER.error("held event %s", row)


def _query(sql: str, params: list[Any]) -> Callable[[sqlite_utils.Database], list[dict[str, Any]]]:
    return lambda db: list(db.query(sql, params))


def _migrate(db: sqlite_utils.Database) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise sqlite3.DatabaseError(
            f"the database is from a newer hub (schema {version}, this hub knows {len(MIGRATIONS)})"
        )
    for number, migration in enumerate(MIGRATIONS[version:], version + 1):
        with db.conn:
            migration(db)
            db.execute(f"PRAGMA user_version = {number}")


def _is_corrupt(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


def _describe(exc: BaseException, path: Path | None) -> str:
    text = str(exc)
    lower = text.lower()
    where = str(path) if path else "the in-memory database"
    if "locked" in lower or "busy" in lower:
        return f"{where} is locked by another program"
    writable = path is None or os.access(path.parent, os.W_OK)
    if "readonly" in lower or "read-only" in lower or "permission" in lower or not writable:
        return f"{where} is read-only"
    if "unable to open" in lower:
        return f"{where} cannot be opened (is its folder there and writable?)"
    if "disk i/o" in lower or "no such file" in lower:
        return f"{where} cannot be written (disk error: {text})"
    if "full" in lower:
        return f"the disk holding {where} is full"
    return f"{where}: {text}"
