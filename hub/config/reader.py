"""Reading YAML for the config: a view of one mapping that knows its key path and lines.

Every section parser receives a ``Reader`` and calls ``fail(key, reason)`` for each problem it
finds. ``fail`` records the problem (the full key ``devices[3].area``, the line and the file) and
returns, so the parsers go on and one run finds every problem; after a problem the getters give
their default, and a list item that is not a mapping is skipped. ``check`` raises one ConfigError
with all of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

from hub.errors import ConfigError, ConfigProblem

T = TypeVar("T")


def index_lines(node: yaml.Node, path: str, out: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = f"{path}.{key_node.value}" if path else str(key_node.value)
            out[child] = key_node.start_mark.line + 1
            index_lines(value_node, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = f"{path}[{i}]"
            out[child] = item.start_mark.line + 1
            index_lines(item, child, out)


class Reader:
    """A view of one mapping in the YAML, that knows its path and lines for errors.

    Every Reader made from another (``section``, ``items``) shares its list of ``problems``.
    """

    def __init__(
        self,
        data: Any,
        path: str,
        lines: dict[str, int],
        file: str,
        problems: list[ConfigProblem] | None = None,
    ) -> None:
        self.path, self.lines, self.file = path, lines, file
        self.problems: list[ConfigProblem] = [] if problems is None else problems
        if not isinstance(data, Mapping):
            self.fail("", f"must be a mapping, not {_kind(data)}")
            data = {}
        self.data: Mapping[str, Any] = data

    def key(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, reason: str) -> None:
        """Record a problem with ``key`` (relative to this mapping; "" for the mapping itself)."""
        full = self.key(key) if key else self.path
        line = self.lines.get(full) or self.lines.get(self.path)
        problem = ConfigProblem(full, reason, line, self.file)
        if problem not in self.problems:
            self.problems.append(problem)

    def check(self) -> None:
        """Raise one ConfigError with every problem recorded, in the order of their lines."""
        if self.problems:
            ordered = sorted(self.problems, key=lambda p: (p.line is not None, p.line or 0))
            raise ConfigError.of(ordered)

    def with_data(self, data: Mapping[str, Any]) -> Reader:
        """The same place in the file, reading ``data`` instead (a value rewritten)."""
        return Reader(data, self.path, self.lines, self.file, self.problems)

    def only(self, *allowed: str) -> None:
        for key in self.data:
            if key not in allowed:
                self.fail(str(key), f"unknown key (expected one of: {', '.join(allowed)})")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def get(self, key: str, kind: type[T], default: T) -> T:
        value = self.data.get(key)
        if value is None:
            return default
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            self.fail(key, f"must be {_kind_name(kind)}, not {_kind(value)}")
            return default
        return value

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "is required")
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail(key, f"must be a string, not {_kind(value)}")
            return default
        value = str(value).strip()
        if required and not value:
            self.fail(key, "must not be empty")
            return default
        return value

    def choice(
        self,
        key: str,
        choices: Sequence[str],
        default: str,
        aliases: Mapping[str, str] | None = None,
    ) -> str:
        """One of ``choices`` (an alias stands for its choice); ``default`` when unset or wrong."""
        value = self.text(key, default) or default
        value = (aliases or {}).get(value, value)
        if value not in choices:
            self.fail(key, f"must be one of {', '.join(choices)}, not {value!r}")
            return default
        return value

    def required_text(self, key: str) -> str:
        """The text at ``key``; "" (and a problem recorded) when it is missing or empty."""
        value = self.text(key, required=True)
        return value or ""

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = self.get(key, float, default)
        if not low <= value <= high:
            self.fail(key, f"must be between {low:g} and {high:g}, not {value:g}")
            return default
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.get(key, int, default)
        if not low <= value <= high:
            self.fail(key, f"must be between {low} and {high}, not {value}")
            return default
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        """A list of strings (a lone string is a list of one); the items that are not strings
        are left out, each with a problem."""
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail(key, f"must be a list of strings, not {_kind(value)}")
            return ()
        out = []
        for i, item in enumerate(value):
            if (
                isinstance(item, bool)
                or not isinstance(item, str | int | float)
                or not str(item).strip()
            ):
                self.fail(f"{key}[{i}]", "must be a non-empty string")
                continue
            out.append(str(item).strip())
        return tuple(out)

    def section(self, key: str) -> Reader:
        return Reader(self.data.get(key) or {}, self.key(key), self.lines, self.file, self.problems)

    def items(self, key: str) -> Iterator[Reader]:
        """A Reader for each mapping in the list at ``key``; other items are problems."""
        value = self.data.get(key)
        if value is None:
            return
        if not isinstance(value, list):
            self.fail(key, f"must be a list, not {_kind(value)}")
            return
        for i, item in enumerate(value):
            if not isinstance(item, Mapping):
                self.fail(f"{key}[{i}]", f"must be a mapping, not {_kind(item)}")
                continue
            yield Reader(item, f"{self.key(key)}[{i}]", self.lines, self.file, self.problems)

    def path_value(self, key: str, base: Path) -> Path | None:
        value = self.text(key)
        if not value:
            return None
        path = Path(os.path.expandvars(value)).expanduser()
        return path if path.is_absolute() else (base / path)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def _kind_name(kind: type) -> str:
    return {
        bool: "true or false",
        int: "a whole number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(kind, kind.__name__)
