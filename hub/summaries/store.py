"""Summaries in the hub's SQLite file (the ``summaries`` table, hub.store.migrations)."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from hub.store import Store
from hub.summaries.summary import Summary


def save(store: Store, summary: Summary, *, keep: int = 60) -> int | None:
    """Store ``summary``; keep the newest ``keep`` of its name. Its row id, None if degraded."""

    def work(db: sqlite_utils.Database) -> int:
        table = db.table("summaries")
        table.insert(
            {
                "name": summary.name,
                "created": summary.created,
                "since": summary.since,
                "until": summary.until,
                "language": summary.language,
                "text": summary.text,
                "prose": summary.prose,
                "facts": summary.facts.to_json(),
                "summary": json.dumps(summary.to_dict(), ensure_ascii=False),
            }
        )
        row_id = int(table.last_pk or 0)
        db.execute(
            "DELETE FROM summaries WHERE name = ? AND id NOT IN "
            "(SELECT id FROM summaries WHERE name = ? ORDER BY created DESC, id DESC LIMIT ?)",
            [summary.name, summary.name, keep],
        )
        return row_id

    return store.write(work)


def latest(store: Store, name: str) -> Summary | None:
    rows: list[dict[str, Any]] = store.read(
        _rows(
            "SELECT summary FROM summaries WHERE name = ? ORDER BY created DESC, id DESC LIMIT 1",
            [name],
        ),
        [],
    )
    return Summary.from_dict(json.loads(rows[0]["summary"])) if rows else None


def listing(store: Store) -> list[dict[str, Any]]:
    """One row a name: the newest summary's time, window and first words, and how many."""
    return store.read(
        _rows(
            "SELECT name, COUNT(*) AS count, MAX(created) AS created, "
            "(SELECT s2.text FROM summaries s2 WHERE s2.name = s.name "
            " ORDER BY s2.created DESC, s2.id DESC LIMIT 1) AS text "
            "FROM summaries s GROUP BY name ORDER BY name",
            [],
        ),
        [],
    )


def _rows(sql: str, params: list[Any]) -> Any:
    return lambda db: [dict(r) for r in db.query(sql, params)]
