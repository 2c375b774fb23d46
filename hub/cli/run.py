"""``hub run``: the daemon. Requests over MQTT in, validated actions to the devices out.

Under systemd (``systemd/hub.service``, ``Type=notify``) it says READY once it serves (the
broker has acknowledged its subscriptions, or 5 s have passed), keeps a STATUS line, pings the
watchdog only while healthy, and on SIGTERM finishes what is queued, publishes ``offline`` and
exits 0.
"""

from __future__ import annotations

import logging
import os
import sys

import click

from hub.app.build import find_config
from hub.app.lifecycle import serve
from hub.cli.options import config_option, tier_option

_LOGGER = logging.getLogger(__name__)


@click.command("run")
@config_option
@tier_option
@click.option(
    "--drain",
    type=click.FloatRange(0, 300),
    default=10.0,
    show_default=True,
    help="Seconds to finish queued requests after SIGTERM.",
)
def run(config_path: str | None, tier: str, drain: float) -> None:
    """Run the hub: requests over MQTT in, actions to the devices out, answers back.

    \b
    Topics (prefix "hub" by default):
      hub/request[/<name>]  text, or JSON {"text", "area", "id", "reply_to", "conversation_id"}
      hub/command/<name>    a command {"action", "target", "data"}, from a source named in
                            security.sources (mqtt/<name>), validated like any other
      hub/response          the answers (or the request's reply_to / MQTT 5 response topic)
      hub/status            retained online/offline
      hub/action/<domain>   commands for Home Assistant (devices without another binding)
    With a discovery: section it also reads zigbee2mqtt/#, homeassistant/.../config and the
    devices' state topics, and answers once the devices confirm ("verified").
    \b
    Example:
      hub run --config config.example.yaml
      mosquitto_pub -t hub/request -m "turn on the kitchen light"
    """
    config = find_config(config_path)
    setup_logging()
    if not serve(config, tier, drain):
        sys.exit(1)


def setup_logging() -> None:
    """INFO by default; under journald without timestamps (journald adds them)."""
    root = logging.getLogger()
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    if not os.environ.get("JOURNAL_STREAM"):
        fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        for handler in root.handlers:
            handler.setFormatter(fmt)
