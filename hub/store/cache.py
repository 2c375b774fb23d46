"""The two caches: answers to questions, and decisions the language model already made.

A decision is keyed by the request's text, normalized only in ways that cannot change its
meaning (case, spacing, punctuation at the ends), its area, and the registry version the
commands were validated against. So "turn on" and "turn off", "30" and "40", "kitchen" and
"bedroom", "do" and "don't" are different keys by construction, and a changed home misses.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from hub.messages import Command
from hub.store.db import Store
from hub.text.fold import fold_case

_EDGE_PUNCTUATION = " \t\r\n.!?,;:。！？、，…¡¿\"'«»“”"


def cache_key(text: str) -> str:
    """Case, width and spacing folded; punctuation trimmed at the ends only."""
    folded = fold_case(text)
    return " ".join(folded.split()).strip(_EDGE_PUNCTUATION)


@dataclass(frozen=True)
class Decision:
    commands: tuple[Command, ...]
    reply: str
    language: str | None


class DecisionCache:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, text: str, area: str | None, registry: str) -> Decision | None:
        key = (cache_key(text), area or "", registry)

        def work(db: sqlite_utils.Database) -> Decision | None:
            rows = list(
                db.query(
                    "SELECT commands, reply, language FROM decisions "
                    "WHERE text = ? AND area = ? AND registry = ?",
                    key,
                )
            )
            if not rows:
                return None
            row = rows[0]
            commands = tuple(Command.from_dict(c) for c in json.loads(row["commands"]))
            return Decision(commands, row["reply"], row["language"])

        found = self.store.read(work, None)
        if found is not None:
            self.store.write(
                lambda db: db.execute(
                    "UPDATE decisions SET hits = hits + 1 "
                    "WHERE text = ? AND area = ? AND registry = ?",
                    key,
                )
            )
        return found

    def put(
        self,
        text: str,
        area: str | None,
        registry: str,
        commands: Sequence[Command],
        reply: str,
        language: str | None,
    ) -> None:
        row = {
            "text": cache_key(text),
            "area": area or "",
            "registry": registry,
            "language": language or "",
            "commands": json.dumps([c.to_dict() for c in commands], ensure_ascii=False),
            "reply": reply,
            "created": time.time(),
            "hits": 0,
        }
        pk = ("text", "area", "registry")
        self.store.write(lambda db: db.table("decisions").upsert(row, pk=pk))

    def forget_other_homes(self, registry: str) -> int:
        """Drop decisions made for any other registry version; they can never hit again."""
        gone = self.store.write(
            lambda db: db.execute("DELETE FROM decisions WHERE registry != ?", [registry]).rowcount
        )
        return int(gone or 0)

    def rows(self) -> list[dict[str, Any]]:
        return self.store.read(
            lambda db: list(db.query("SELECT * FROM decisions ORDER BY created DESC")), []
        )

    def clear(self) -> int:
        return int(self.store.write(lambda db: db.execute("DELETE FROM decisions").rowcount) or 0)


@dataclass(frozen=True)
class CachedAnswer:
    answer: str
    origin: str  # faq | model
    facts: tuple[str, ...]


class AnswerCache:
    def __init__(
        self, store: Store, ttl_seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.ttl = ttl_seconds
        self.clock = clock  # wall-clock seconds: expiry times are stored in the file

    def get(self, question: str, language: str) -> CachedAnswer | None:
        key = (cache_key(question), language, self.clock())

        def work(db: sqlite_utils.Database) -> CachedAnswer | None:
            rows = list(
                db.query(
                    "SELECT answer, origin, facts FROM answers "
                    "WHERE question = ? AND language = ? AND expires > ?",
                    key,
                )
            )
            if not rows:
                return None
            facts = tuple(f for f in rows[0]["facts"].split(",") if f)
            return CachedAnswer(rows[0]["answer"], rows[0]["origin"], facts)

        found = self.store.read(work, None)
        if found is not None:
            self.store.write(
                lambda db: db.execute(
                    "UPDATE answers SET hits = hits + 1 WHERE question = ? AND language = ?",
                    key[:2],
                )
            )
        return found

    def put(
        self,
        question: str,
        language: str,
        answer: str,
        *,
        origin: str,
        facts: Mapping[str, str],
    ) -> None:
        """``facts``: the FAQ entries the answer was made from, id -> their hash."""
        now = self.clock()
        row = {
            "question": cache_key(question),
            "language": language,
            "answer": answer,
            "origin": origin,
            "facts": ",".join(sorted(facts)),
            "facts_hash": ",".join(facts[k] for k in sorted(facts)),
            "created": now,
            "expires": now + self.ttl,
            "hits": 0,
        }
        self.store.write(lambda db: db.table("answers").upsert(row, pk=("question", "language")))

    def forget_changed(self, current: Mapping[str, str]) -> int:
        """Drop answers made from FAQ entries that changed or went away (``current``: id ->
        hash), and expired ones; answers from untouched entries stay."""

        def work(db: sqlite_utils.Database) -> int:
            stale = []
            for row in db.query("SELECT question, language, facts, facts_hash FROM answers"):
                ids = [f for f in row["facts"].split(",") if f]
                hashes = row["facts_hash"].split(",") if ids else []
                if any(current.get(i) != h for i, h in zip(ids, hashes, strict=False)):
                    stale.append((row["question"], row["language"]))
            for question, language in stale:
                db.execute(
                    "DELETE FROM answers WHERE question = ? AND language = ?", [question, language]
                )
            expired = db.execute("DELETE FROM answers WHERE expires <= ?", [self.clock()]).rowcount
            return len(stale) + int(expired)

        return int(self.store.write(work) or 0)

    def rows(self) -> list[dict[str, Any]]:
        return self.store.read(
            lambda db: list(db.query("SELECT * FROM answers ORDER BY created DESC")), []
        )

    def clear(self) -> int:
        return int(self.store.write(lambda db: db.execute("DELETE FROM answers").rowcount) or 0)
