"""Request ids the daemon acted on, kept in the store so that "not twice" survives a restart.

One small table (``request_ids``: key, time), written once per acted request with an id and
pruned to the de-duplication window (``hub.mqtt.dedupe.Deduper``). A degraded store only
loses this memory across a restart; the running daemon keeps its own copy in memory.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from hub.store.db import Store

TABLE = "request_ids"


class RequestIds:
    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self, since: float) -> list[tuple[str, float]]:
        empty: list[dict[str, Any]] = []
        rows = self.store.read(
            lambda db: list(db.query(f"SELECT key, at FROM {TABLE} WHERE at >= ?", [since])),
            empty,
        )
        return [(str(row["key"]), float(row["at"])) for row in rows]

    def add(self, key: str, at: float) -> None:
        def work(db: sqlite_utils.Database) -> None:
            db.execute(f"INSERT OR REPLACE INTO {TABLE} (key, at) VALUES (?, ?)", [key, at])

        self.store.write(work)

    def forget(self, key: str) -> None:
        self.store.write(lambda db: db.execute(f"DELETE FROM {TABLE} WHERE key = ?", [key]))

    def prune(self, before: float) -> None:
        self.store.write(lambda db: db.execute(f"DELETE FROM {TABLE} WHERE at < ?", [before]))
