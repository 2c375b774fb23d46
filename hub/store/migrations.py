"""The database schema, as a list of migrations: each runs once, in order, on every database.

``PRAGMA user_version`` holds how many have run. A migration is only ever appended, never
changed, so a database written by any earlier hub upgrades in place.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils


def _events(db: sqlite_utils.Database) -> None:
    db.table("events").create(
        {
            "id": int,
            "ts": float,
            "kind": str,
            "source": str,
            "text": str,
            "area": str,
            "tier": str,
            "outcome": str,
            "reply": str,
            "ms": float,
            "language": str,
            "entity_id": str,
            "commands": str,
            "detail": str,
            "request_id": str,
        },
        pk="id",
    )
    db.table("events").create_index(["ts"])
    db.table("events").create_index(["kind", "ts"])


def _answers(db: sqlite_utils.Database) -> None:
    db.table("answers").create(
        {
            "question": str,  # normalized
            "language": str,
            "answer": str,
            "origin": str,  # faq | model
            "facts": str,  # the FAQ entry ids the answer was made from, comma-separated
            "facts_hash": str,  # their text's hash: a changed entry invalidates the answer
            "created": float,
            "expires": float,
            "hits": int,
        },
        pk=("question", "language"),
    )


def _decisions(db: sqlite_utils.Database) -> None:
    db.table("decisions").create(
        {
            "text": str,  # normalized request text
            "area": str,  # "" when the request named none
            "registry": str,  # the registry version the commands were checked against
            "language": str,
            "commands": str,  # JSON, Home Assistant shape, validated
            "reply": str,
            "created": float,
            "hits": int,
        },
        pk=("text", "area", "registry"),
    )


def _summaries(db: sqlite_utils.Database) -> None:
    """Written summaries (hub.summaries.store reads and writes them)."""
    db.table("summaries").create(
        {
            "id": int,
            "name": str,  # the job's name, or "adhoc" for `hub summarize`
            "created": float,
            "since": float,
            "until": float,
            "language": str,
            "text": str,
            "prose": str,  # model | model+template | template
            "facts": str,  # JSON, hub.summaries.facts.Facts.to_json
            "summary": str,  # JSON, the whole record
        },
        pk="id",
    )
    db.table("summaries").create_index(["name", "created"])


def _request_ids(db: sqlite_utils.Database) -> None:
    """Request ids the daemon acted on (hub.store.request_ids): "not twice" across restarts."""
    db.table("request_ids").create({"key": str, "at": float}, pk="key")
    db.table("request_ids").create_index(["at"])


Migration = Callable[[sqlite_utils.Database], None]

MIGRATIONS: list[Migration] = [_events, _answers, _decisions, _summaries, _request_ids]
