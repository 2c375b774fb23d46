"""Benchmark case files (shared/bench/FORMAT.md): loading, scoring and the report.

A case passes when the emitted atoms (action, entity, data), one per target entity, equal the
expected atoms as sets. A case fails either as *wrong* (some command was emitted, but not the
right ones: worse than none) or as *missed* (nothing emitted where something was expected).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hub.errors import ConfigError

Atom = tuple[str, str, Mapping[str, Any]]

# Tolerances for numbers in data, by key (FORMAT.md); others match within 1.
TOLERANCE = {"volume_level": 0.01, "temperature": 0.5, "color_temp_kelvin": 100.0}


@dataclass(frozen=True)
class Case:
    text: str
    alternatives: tuple[tuple[Atom, ...], ...]  # any one of these atom sets passes
    area: str | None = None
    tags: tuple[str, ...] = ()
    state: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class CaseFile:
    path: Path
    config: Path
    cases: tuple[Case, ...]


@dataclass(frozen=True)
class Outcome:
    case: Case
    emitted: tuple[Atom, ...]
    tier: str
    ms: float
    reply: str = ""
    suggested: tuple[Atom, ...] = ()  # what a "Did you mean ...?" offered instead of acting

    @property
    def verdict(self) -> str:
        if any(atoms_equal(self.emitted, alt) for alt in self.case.alternatives):
            return "exact"
        return "wrong" if self.emitted else "missed"

    @property
    def asked_right(self) -> bool:
        """Missed, though the question it asked offered exactly the expected commands: the
        hub doubted a right answer (issue 13's "asking when the answer was plain")."""
        return (
            not self.emitted
            and bool(self.suggested)
            and any(atoms_equal(self.suggested, alt) for alt in self.case.alternatives)
        )


def load_case_file(path: Path) -> CaseFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError("", f"cannot read case file: {exc}", file=str(path)) from None
    if (
        not isinstance(data, dict)
        or "config" not in data
        or not isinstance(data.get("cases"), list)
    ):
        raise ConfigError("", "a case file needs 'config' and a list of 'cases'", file=str(path))
    cases = []
    for i, raw in enumerate(data["cases"]):
        if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
            raise ConfigError(f"cases[{i}]", "a case needs 'text'", file=str(path))
        if "expect_any" in raw:
            alternatives = tuple(_atoms(alt) for alt in raw["expect_any"])
        elif "expect" in raw:
            alternatives = (_atoms(raw["expect"]),)
        else:
            raise ConfigError(
                f"cases[{i}]", "a case needs 'expect' or 'expect_any'", file=str(path)
            )
        cases.append(
            Case(
                text=raw["text"],
                alternatives=alternatives,
                area=raw.get("area"),
                tags=tuple(str(t) for t in raw.get("tags") or ()),
                state=raw.get("state") or {},
                id=raw.get("id"),
            )
        )
    return CaseFile(path, (path.parent / str(data["config"])).resolve(), tuple(cases))


def _atoms(commands: Iterable[Mapping[str, Any]] | None) -> tuple[Atom, ...]:
    atoms: list[Atom] = []
    for command in commands or ():
        target = command.get("target")
        if isinstance(target, Mapping):
            target = target.get("entity_id")
        ids = [target] if isinstance(target, str) else list(target or [])
        for entity_id in ids:
            atoms.append((str(command["action"]), str(entity_id), dict(command.get("data") or {})))
    return tuple(atoms)


def command_atoms(commands: Iterable[Mapping[str, Any]]) -> tuple[Atom, ...]:
    return _atoms(commands)


def atoms_equal(emitted: Sequence[Atom], expected: Sequence[Atom]) -> bool:
    """Set equality of atoms, with FORMAT.md's value tolerances and constraint strings."""
    unique_emitted = _dedupe(emitted)
    unique_expected = _dedupe(expected)
    if len(unique_emitted) != len(unique_expected):
        return False
    unused = list(unique_emitted)
    for want in unique_expected:
        for i, got in enumerate(unused):
            if _atom_matches(got, want):
                del unused[i]
                break
        else:
            return False
    return not unused


def _dedupe(atoms: Sequence[Atom]) -> list[Atom]:
    out: list[Atom] = []
    for atom in atoms:
        if not any(a[0] == atom[0] and a[1] == atom[1] and a[2] == atom[2] for a in out):
            out.append(atom)
    return out


def _atom_matches(got: Atom, want: Atom) -> bool:
    if got[0] != want[0] or got[1] != want[1] or set(got[2]) != set(want[2]):
        return False
    return all(_value_matches(key, got[2][key], want[2][key]) for key in want[2])


def _value_matches(key: str, got: Any, want: Any) -> bool:
    if isinstance(want, str) and want in ("*", "<0", ">0"):
        if want == "*":
            return True
        if not isinstance(got, int | float) or isinstance(got, bool):
            return False
        return got < 0 if want == "<0" else got > 0
    if isinstance(want, bool) or isinstance(got, bool):
        return want is got
    if isinstance(want, int | float) and isinstance(got, int | float):
        return abs(got - want) <= TOLERANCE.get(key, 1.0)
    if isinstance(want, str) and isinstance(got, str):
        return want.casefold() == got.casefold()
    return bool(want == got)


# -- report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    n: int
    exact: float
    wrong: float
    missed: float
    asked_right: float  # of the missed: a question whose suggestion was exactly right
    p50_ms: float
    p95_ms: float
    tiers: Mapping[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "exact": round(self.exact, 4),
            "wrong": round(self.wrong, 4),
            "missed": round(self.missed, 4),
            "asked_right": round(self.asked_right, 4),
            "p50_ms": round(self.p50_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "tiers": dict(self.tiers),
        }


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = q * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def stats(outcomes: Sequence[Outcome]) -> Stats:
    n = len(outcomes)
    verdicts = Counter(o.verdict for o in outcomes)
    times = [o.ms for o in outcomes]
    return Stats(
        n=n,
        exact=verdicts["exact"] / n if n else 0.0,
        wrong=verdicts["wrong"] / n if n else 0.0,
        missed=verdicts["missed"] / n if n else 0.0,
        asked_right=sum(o.asked_right for o in outcomes) / n if n else 0.0,
        p50_ms=statistics.median(times) if times else 0.0,
        p95_ms=percentile(times, 0.95),
        tiers=dict(Counter(o.tier for o in outcomes).most_common()),
    )


def by_tag(outcomes: Sequence[Outcome]) -> dict[str, Stats]:
    tags: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        for tag in outcome.case.tags or ("(untagged)",):
            tags.setdefault(tag, []).append(outcome)
    return {tag: stats(items) for tag, items in sorted(tags.items())}
