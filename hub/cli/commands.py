"""Registers every subcommand on the ``hub`` group."""

from __future__ import annotations

from hub.cli import cli
from hub.cli.ask import ask
from hub.cli.bench import bench
from hub.cli.inspect import config_group, devices
from hub.cli.listen import listen
from hub.cli.memory import cache_group, log
from hub.cli.model import model
from hub.cli.run import run
from hub.cli.summary import summarize, summary_group

for command in (ask, bench, devices, config_group, model, run, cache_group, log):
    cli.add_command(command)
for command in (summarize, summary_group):
    cli.add_command(command)
cli.add_command(listen)
