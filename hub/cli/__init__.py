"""The ``hub`` command line: one group, one module per subcommand family."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from hub import __version__
from hub.errors import ConfigError, HubError


class HubGroup(click.Group):
    """Turns every HubError into one clear line on stderr (a ConfigError: one line for each
    problem in the file) and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HubError as exc:
            problems = exc.problems if isinstance(exc, ConfigError) else (exc,)
            for problem in problems:
                click.echo(f"hub: error: {problem}", err=True)
            sys.exit(2)


@click.group(cls=HubGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hub")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """hub: turn what people say or type at home into validated device actions."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def main() -> None:
    cli(prog_name="hub")


def _register() -> None:
    from hub.cli import commands  # noqa: F401  (registers subcommands on `cli`)
    from hub.cli.wyoming import wyoming

    cli.add_command(wyoming)


_register()
