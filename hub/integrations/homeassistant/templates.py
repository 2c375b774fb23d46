"""Home Assistant's payload templates (``value_template``, ``command_template``), rendered safely.

The forms devices announce almost always are one expression: ``{{ value }}``,
``{{ value_json.POWER }}``, ``{{ value_json['temperature'] | float }}``, ``{{ value_json.a.b }}``.
Those are read here directly, without Jinja. Anything else goes to Jinja2's immutable sandbox when
Jinja2 is installed; without it such a template is reported as unsupported (TemplateError) and the
entity's state from that topic is skipped, never guessed.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

_LOGGER = logging.getLogger(__name__)

_SIMPLE = re.compile(
    r"^\s*\{\{\s*(?P<root>value_json|value)(?P<path>(?:\.\w+|\[\s*'[^']*'\s*\]"
    r'|\[\s*"[^"]*"\s*\]|\[\s*\d+\s*\])*)\s*'
    r"(?:\|\s*(?P<filter>int|float|string|lower|upper|round(?:\(\s*\d*\s*\))?)\s*)?\}\}\s*$"
)
_STEP = re.compile(r"\.(\w+)|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]|\[\s*(\d+)\s*\]")


class TemplateError(ValueError):
    """A template that cannot be rendered (syntax, a missing key, Jinja2 not installed)."""


Renderer = Callable[[str, Any], str]


def render(template: str, value: str, value_json: Any = None) -> str:
    """Render a value template over an incoming payload (``value``; ``value_json`` if JSON)."""
    if value_json is None:
        value_json = _loads(value)
    simple = _simple(template)
    if simple is not None:
        return simple(value, value_json)
    return _jinja(template)(value=value, value_json=value_json)


def render_command(template: str, value: Any) -> str:
    """Render a command template with ``value`` (a number, a string or a mapping)."""
    simple = _simple(template)
    if simple is not None and not isinstance(value, dict):
        return simple(str(value) if not isinstance(value, str) else value, value)
    return _jinja(template)(value=value)


def _loads(value: str) -> Any:
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None


@lru_cache(maxsize=4096)
def _simple(template: str) -> Callable[[str, Any], str] | None:
    match = _SIMPLE.match(template)
    if match is None:
        return None
    root, path, filt = match.group("root"), match.group("path"), match.group("filter")
    steps: list[str | int] = []
    for step in _STEP.finditer(path or ""):
        name, single, double, index = step.groups()
        steps.append(int(index) if index is not None else (name or single or double or ""))

    def run(value: str, value_json: Any) -> str:
        current: Any = value if root == "value" else value_json
        for step in steps:
            try:
                current = current[step]
            except (KeyError, IndexError, TypeError):
                raise TemplateError(f"{template!r}: the payload has no {step!r}") from None
        return _filter(current, filt, template)

    return run


def _filter(current: Any, filt: str | None, template: str) -> str:
    if filt is None or filt == "string":
        return _text(current)
    try:
        if filt == "int":
            return str(int(float(current)))
        if filt == "float":
            return _text(float(current))
        if filt.startswith("round"):
            digits = filt[5:].strip("() ")
            return _text(round(float(current), int(digits) if digits else 0))
    except (TypeError, ValueError):
        raise TemplateError(f"{template!r}: {current!r} is not a number") from None
    return str(current).lower() if filt == "lower" else str(current).upper()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"  # as Jinja prints them
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


@lru_cache(maxsize=1024)
def _jinja(template: str) -> Callable[..., str]:
    try:
        from jinja2 import TemplateSyntaxError, UndefinedError
        from jinja2.sandbox import ImmutableSandboxedEnvironment
    except ImportError:
        raise TemplateError(
            f"{template!r} needs Jinja2 (pip install jinja2); only simple templates work without"
        ) from None
    env = ImmutableSandboxedEnvironment()
    try:
        compiled = env.from_string(template)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"{template!r}: {exc.message}") from None

    def run(**values: Any) -> str:
        try:
            return compiled.render(**values)
        except (UndefinedError, TypeError, ValueError) as exc:
            raise TemplateError(f"{template!r}: {exc}") from None

    return run
