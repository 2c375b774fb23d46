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
    from hub.app import TIER_CHOICES

    return click.option(
        "--tier",
        type=click.Choice(TIER_CHOICES),
        default="auto",
        show_default=True,
        help="Which tiers may answer (auto: templates, then the LLM).",
    )(func)
