"""The store and faq sections: where the hub remembers, for how long, and what it knows.

```yaml
store:
  path: hub.db          # default: <data dir>/hub.db
  keep_days: 30         # events older than this are pruned
  max_events: 500000    # and the oldest beyond this count
  answer_ttl_hours: 168 # cached answers to questions expire after this
  decisions: true       # cache the language model's decisions
faq:
  - id: wifi
    questions: ["what's the wifi password", "wifi name"]
    answer: "The network is Home-5G; the password is on the fridge door."
  - id: door_code
    questions: ["what's the door code"]
    answer: "The code is 4711."
    private: true       # never cached, logged or put on <prefix>/last; see security.sources
```
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from hub.config.reader import Reader
from hub.text.fold import slugify


@dataclass(frozen=True)
class StoreConfig:
    path: Path | None = None  # None: <data dir>/hub.db
    keep_days: float = 30.0
    max_events: int = 500_000
    answer_ttl_hours: float = 168.0
    decisions: bool = True
    enabled: bool = True


@dataclass(frozen=True)
class FAQEntry:
    """A fact the household wrote down; the hub answers from these and never invents."""

    id: str
    questions: tuple[str, ...]
    answer: str
    language: str | None = None  # the language the entry is written in (None: the first)
    # A secret (a door code): never cached, never on <prefix>/last, never logged in clear,
    # only told to the sources and areas security.sources and security.areas name
    private: bool = False

    @property
    def hash(self) -> str:
        parts = (*self.questions, self.answer, self.language or "")
        text = "\x1f".join((*parts, "private") if self.private else parts)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def parse_store(r: Reader, base: Path) -> StoreConfig:
    r.only("enabled", "path", "keep_days", "max_events", "answer_ttl_hours", "decisions")
    return StoreConfig(
        enabled=r.get("enabled", bool, True),
        path=r.path_value("path", base),
        keep_days=r.number("keep_days", 30.0, 0.01, 36_500.0),
        max_events=r.integer("max_events", 500_000, 100, 100_000_000),
        answer_ttl_hours=r.number("answer_ttl_hours", 168.0, 0.0, 87_600.0),
        decisions=r.get("decisions", bool, True),
    )


def parse_faq(top: Reader) -> tuple[FAQEntry, ...]:
    entries: dict[str, FAQEntry] = {}
    for r in top.items("faq"):
        r.only("id", "question", "questions", "answer", "language", "private")
        known = len(r.problems)
        questions = r.strings("questions") + r.strings("question")
        if not questions and len(r.problems) == known:  # else they are there, but wrong
            r.fail("questions", "is required: the ways people ask for this")
        answer = r.required_text("answer")
        language, private = r.text("language"), r.get("private", bool, False)
        entry_id = r.text("id") or (slugify(questions[0])[:40] if questions else "")
        if entry_id in entries:
            r.fail("id", f"duplicate faq id {entry_id!r}")
            continue
        if questions and answer:
            entries[entry_id] = FAQEntry(entry_id, questions, answer, language, private)
    return tuple(entries.values())
