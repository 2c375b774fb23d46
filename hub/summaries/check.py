"""Keep the model's prose true to the facts: a sentence that contradicts them is dropped.

Rules, per sentence:
- every number must be one the facts hold (the numbers of the lines the model was given, and
  their rounded forms); times (14:05), dates and percentile names (p95, 95th) are not counts;
- a count next to a device's name (within a few words before or after it) must be that
  device's (its actions, failed actions or times offline): "the kitchen light was used 7
  times" is checked against the kitchen light, not against any number in the facts;
- a claim of "no errors", "nothing failed", "no device went offline", "every request was
  understood" is dropped when the facts say otherwise (English and German phrasings);
- number words (two … twenty; zwei … zwanzig) count as numbers;
- a sentence of the same shape as an earlier one (only device names or numbers differ) is a
  loop of the model, not news: dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from hub.summaries.facts import Facts
from hub.summaries.render import facts_lines
from hub.text.numbers import number_words, spoken_key, words_pattern

NEAR_BEFORE = 30  # characters between a device's name and a count that is about it
NEAR_AFTER = 25
_BREAK = re.compile(r"[;:]|\b(?:and|while|but|whereas|und|aber)\b", re.I)
_ABOUT = re.compile(
    r"^\s*(?:\w+\s+){0,3}(?:on|for|to|of|by|at|from|für|an|auf|von)\s+(?:the\s+|die\s+|das\s+|den\s+|der\s+)?$",
    re.I,
)
KIND_WINDOW = 25
_KIND = re.compile(
    r"offline|unavailable|unreachable|disconnected|nicht erreichbar|fail\w*|error\w*"
    r"|unconfirmed|fehl\w*",
    re.I,
)
_OFFLINE_WORD = re.compile(r"offline|unavailable|unreachable|disconnected|nicht", re.I)
_STILL = re.compile(r"\b(?:still|remain\w*|at the end|immer noch|noch)\b", re.I)
_LIST_GLUE = re.compile(
    r"^\s*(?:\(\d+\)\s*)?(?:,|\band\b|\bund\b|&)?\s*(?:,\s*)?(?:and\s+|und\s+)?(?:the\s+|die\s+|der\s+|das\s+)?$",
    re.I,
)
_LEAD_IN = re.compile(r"^[^.;,]{0,40}$")  # from "offline" to the first device of its list
_LEAD_IN_BREAK = re.compile(r"\b(?:and|but|while|whereas|und|aber)\b", re.I)
_TRAIL = re.compile(
    r"^\s*(?:(?:went|were|was|is|are|has|have|had|been|gone|got|briefly|also|both|all|sind|ist|waren|war|gingen|ging)\s+)*$",
    re.I,
)
_CLAUSE = re.compile(r"[,;.()]|\b(?:and|while|but|whereas|und|aber)\b", re.I)
_SENTENCE = re.compile(r"(?<=[.!?。])\s+|\n+")
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w])")
_NOT_COUNTS = re.compile(
    r"\b\d{1,2}:\d{2}(?::\d{2})?\b|\b\d{4}-\d{2}-\d{2}\b|\bp\d{2}\b|\b\d{2}(?:th|st|nd|rd)\b"
    r"|\b\d+(?:\.\d+)?\s*(?:h|hours?|Stunden)\b",
    re.I,
)
_WORDS = {
    **number_words("en", range(2, 21)),
    **number_words("de", range(2, 21)),
    "twice": 2,
    "zweimal": 2,
}
_WORD = re.compile(r"\b(" + words_pattern(_WORDS) + r")\b", re.I)
_MS = re.compile(r"^\s*(ms|milli)", re.I)
_NO_ERRORS = re.compile(
    r"\bno (?:errors?|failures?|failed)\b|\bnothing (?:failed|went wrong)\b|\bwithout (?:any )?"
    r"(?:errors?|failures?|problems?)\b|\bno problems?\b|\bkeine(?:n)? (?:Fehler|Probleme?)\b"
    r"|\ball (?:device )?actions (?:succeeded|worked)\b|\bno (?:errors? or|failed actions)\b",
    re.I,
)
_NO_OFFLINE = re.compile(
    r"\bno (?:devices? )?(?:went |were |was )?offline\b|\ball devices (?:stayed|were|remained)"
    r" (?:online|available)\b|\bkein(?:e)? Gerät(?:e)? (?:war|waren|ging|gingen)? ?offline\b",
    re.I,
)
_ALL_UNDERSTOOD = re.compile(
    r"\b(?:every|all) requests? (?:was|were) understood\b|\bno (?:unrecognized|misunderstood)\b"
    r"|\balle Anfragen wurden verstanden\b",
    re.I,
)


@dataclass(frozen=True)
class Checked:
    text: str
    kept: tuple[str, ...]
    dropped: tuple[tuple[str, str], ...]  # (sentence, reason)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def numbers_in(text: str) -> list[tuple[float, bool, int, int]]:
    """The counts in ``text``: (value, followed by 'ms', start, end); not times, dates, p95."""
    cleaned = _NOT_COUNTS.sub(lambda m: " " * len(m.group(0)), text)
    out = []
    for match in _NUMBER.finditer(cleaned):
        value = float(match.group(1).replace(",", ""))
        is_ms = bool(_MS.match(cleaned[match.end() :]))
        out.append((value, is_ms, match.start(), match.end()))
    for match in _WORD.finditer(cleaned):
        value = float(_WORDS[spoken_key(match.group(1))])
        out.append((value, False, match.start(), match.end()))
    return out


class FactChecker:
    def __init__(self, facts: Facts, extra: Iterable[str] = ()) -> None:
        self.facts = facts
        self.allowed = _values(" ".join([*facts_lines(facts), *extra]))
        lat = facts.latency
        self.latency = _rounded(v for v in (lat.p50, lat.p95, lat.max) if v is not None)
        self.devices: dict[str, dict[str, float]] = {}
        for kind, counts in (
            ("actions", facts.actions_by_device),
            ("failed", facts.failed_by_device),
            ("offline", facts.offline_devices),
        ):
            for entity, n in counts:
                self.devices.setdefault(entity, {})[kind] = float(n)
        self.names = {entity: _device_names(facts, entity) for entity in self.devices}

    def problem(self, sentence: str) -> str | None:
        """Why ``sentence`` contradicts the facts, or None."""
        f = self.facts
        if _NO_ERRORS.search(sentence) and (f.errors or f.failed_actions):
            return f"claims no errors, but there were {f.errors} errors, {f.failed_actions} failed"
        if _NO_OFFLINE.search(sentence) and f.offline_devices:
            return f"claims no device went offline, but {len(f.offline_devices)} did"
        if _ALL_UNDERSTOOD.search(sentence) and f.unrecognized:
            return f"claims every request was understood, but {f.unrecognized} were not"
        spans = _mention_spans(sentence, self.names)
        still = bool(_STILL.search(sentence))
        for s, e, entity in spans:
            if _kind_near(sentence, s, e) == "offline" and "offline" not in self.devices[entity]:
                return f"{self.facts.name_of(entity)} did not go offline"
        for kind, entity in _listed(sentence, spans):
            name = self.facts.name_of(entity)
            if kind == "offline" and "offline" not in self.devices[entity]:
                return f"{name} did not go offline"
            if kind == "offline" and still and entity not in self.facts.still_offline:
                return f"{name} was not offline at the end"
            if kind == "failed" and "failed" not in self.devices[entity]:
                return f"{name} had no failed actions"
        for value, is_ms, start, end in numbers_in(sentence):
            if is_ms:
                if value not in self.latency:
                    return f"{value:g} ms is not a latency in the facts"
                continue
            near = _nearest(sentence, spans, start, end)
            if near is not None:
                entity, kind = near
                counts = self.devices[entity]
                allowed = {counts[kind]} if kind in counts else set(counts.values())
                if kind in ("failed", "offline") and kind not in counts:
                    allowed = set()
                if value not in allowed:
                    what = f"{kind} count" if kind in ("failed", "offline") else "count"
                    return f"{value:g} is not a {what} of {self.facts.name_of(entity)}"
            elif value not in self.allowed:
                return f"{value:g} is not in the facts"
        return None

    def check(self, text: str) -> Checked:
        kept: list[str] = []
        dropped: list[tuple[str, str]] = []
        shapes: set[str] = set()
        for sentence in sentences(text):
            shape = self._shape(sentence)
            reason = "repeats an earlier sentence" if shape in shapes else self.problem(sentence)
            shapes.add(shape)
            if reason is None:
                kept.append(sentence)
            else:
                dropped.append((sentence, reason))
        return Checked(" ".join(kept), tuple(kept), tuple(dropped))

    def _shape(self, sentence: str) -> str:
        """The sentence with device names and numbers taken out: small models loop on one
        shape ("The errors were on the X." for every X); the first of a shape is kept."""
        low = sentence.lower()
        for start, end, _ in reversed(_mention_spans(sentence, self.names)):
            low = low[:start] + "#" + low[end:]
        return re.sub(r"\d+(?:[.,]\d+)?", "0", low)


def _values(text: str) -> set[float]:
    return _rounded(v for v, _, _, _ in numbers_in(text))


def _rounded(values: Iterable[float]) -> set[float]:
    out: set[float] = set()
    for v in values:
        out.update((v, float(round(v)), round(v, 1)))
    return out


def _device_names(facts: Facts, entity: str) -> list[str]:
    names = {entity.lower(), entity.split(".", 1)[-1].replace("_", " ").lower()}
    names.add(facts.name_of(entity).lower())
    return sorted(n for n in names if len(n) >= 3)


def _mention_spans(sentence: str, names: dict[str, list[str]]) -> list[tuple[int, int, str]]:
    low = sentence.lower()
    spans = []
    for entity, variants in names.items():
        for name in variants:
            for m in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", low):
                spans.append((m.start(), m.end(), entity))
    kept: list[tuple[int, int, str]] = []  # the longest name wins where names overlap
    for span in sorted(spans, key=lambda x: (x[0], x[0] - x[1])):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def _nearest(
    sentence: str, spans: list[tuple[int, int, str]], start: int, end: int
) -> tuple[str, str] | None:
    """The device a count at [start, end) is about, and what it counts (failed, offline, or ""
    when the words do not say): the device is named just before the count ("the kitchen
    light, 12 times", "garage door failed 4 times") or just after it ("12 actions on the
    kitchen light")."""
    best: tuple[int, str, str] | None = None
    for s, e, entity in spans:
        if e <= start and start - e <= NEAR_BEFORE and not _BREAK.search(sentence[e:start]):
            gap, between = start - e, sentence[e:start]
        elif s >= end and s - end <= NEAR_AFTER and _ABOUT.match(sentence[end:s]):
            gap, between = s - end, sentence[end:s]
        else:
            continue
        if best is None or gap < best[0]:
            kind = _kind_of(between) or _kind_of(_window_after(sentence, end))
            best = (gap, entity, kind or _kind_of(_window_before(sentence, min(s, start))))
    return (best[1], best[2]) if best else None


def _listed(sentence: str, spans: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
    """(kind, device) for the devices listed right after a word like "offline" or "failed"
    ("offline at the end were A, B and C", "failed: A (4), B (2)") or right before it
    ("A and B went offline")."""
    ordered_spans = sorted(spans)
    out: list[tuple[str, str]] = []
    for match in _KIND.finditer(sentence):
        kind = "offline" if _OFFLINE_WORD.match(match.group(0)) else "failed"
        at = match.end()
        first = True
        for s, e, entity in ordered_spans:
            if s < at:
                continue
            gap = sentence[at:s]
            if first:
                if not _LEAD_IN.match(gap) or _LEAD_IN_BREAK.search(gap):
                    break
            elif not _LIST_GLUE.match(gap):
                break
            out.append((kind, entity))
            at, first = e, False
        at = match.start()
        first = True
        for s, e, entity in reversed(ordered_spans):
            if e > at:
                continue
            gap = sentence[e:at]
            if not (_TRAIL.match(gap) if first else _LIST_GLUE.match(gap)):
                break
            out.append((kind, entity))
            at, first = s, False
    return out


def _kind_of(text: str) -> str:
    match = _KIND.search(text)
    if not match:
        return ""
    return "offline" if _OFFLINE_WORD.match(match.group(0)) else "failed"


def _window_before(sentence: str, at: int) -> str:
    parts = _CLAUSE.split(sentence[max(0, at - KIND_WINDOW) : at])
    return parts[-1] if parts else ""


def _window_after(sentence: str, at: int) -> str:
    return _CLAUSE.split(sentence[at : at + KIND_WINDOW])[0]


def _kind_near(sentence: str, s: int, e: int) -> str:
    """What a device's name is said to have done, from the words right around it."""
    return _kind_of(_window_after(sentence, e)) or _kind_of(_window_before(sentence, s))
