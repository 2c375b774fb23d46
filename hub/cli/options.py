"""Options shared by several subcommands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def config_option(func: F) -> F:
    return click.option(
        "-c",
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        default=None,
        help="Config file (default: $HUB_CONFIG, ./config.yaml, ~/.config/hub/config.yaml, "
        "/etc/hub/config.yaml).",
    )(func)


def tier_option(func: F) -> F:
    from hub.app.build import TIER_CHOICES

    return click.option(
        "--tier",
        type=click.Choice(TIER_CHOICES),
        default="auto",
        show_default=True,
        help="Which tiers may answer (auto: templates, then the LLM).",
    )(func)


class Duration(click.ParamType):  # type: ignore[type-arg]
    """A span like 1h, 24h, 7d (seconds as a float)."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        from hub.durations import parse_duration

        if isinstance(value, float | int):
            return float(value)
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DURATION = Duration()
