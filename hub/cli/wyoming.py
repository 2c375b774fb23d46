"""``hub wyoming``: hub as a Wyoming service, Home Assistant's conversation agent (and
speech-to-text, with a speech model)."""

from __future__ import annotations

import logging
from dataclasses import replace

import click

from hub.app.build import find_config
from hub.cli.options import config_option, tier_option
from hub.config import WyomingConfig
from hub.config.wyoming import DEFAULT_URI, uri_problem

_LOGGER = logging.getLogger(__name__)


def _check_uri(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    problem = uri_problem(value) if value is not None else None
    if problem:
        raise click.BadParameter(problem)
    return value


@click.command("wyoming")
@config_option
@tier_option
@click.option(
    "--uri",
    callback=_check_uri,
    help=f"Where to listen: tcp://HOST:PORT or unix://PATH (default: wyoming.uri in the "
    f"config, else {DEFAULT_URI}).",
)
@click.option(
    "--zeroconf/--no-zeroconf",
    default=None,
    help="Announce the service over mDNS so Home Assistant discovers it (default: "
    "wyoming.zeroconf, else on).",
)
@click.option(
    "--asr/--no-asr",
    default=None,
    help="Offer speech-to-text with the speech: section's Vosk model (default: wyoming.asr, "
    "which is on when the config has a speech: section; off without a wyoming: section).",
)
@click.option(
    "--drain",
    type=click.FloatRange(0, 300),
    default=10.0,
    show_default=True,
    help="Seconds to finish queued requests after SIGTERM (with MQTT).",
)
def wyoming(
    config_path: str | None,
    tier: str,
    uri: str | None,
    zeroconf: bool | None,
    asr: bool | None,
    drain: float,
) -> None:
    """Serve Home Assistant over the Wyoming protocol: text in, the hub's reply out.

    In Home Assistant: Settings > Devices & services > Add integration > Wyoming Protocol,
    this machine's address and port 10700 (or accept the discovered hub), then choose "hub" as
    a voice assistant's conversation agent.

    With an mqtt: section the requests go through the daemon, so actions are published as
    `hub run` publishes them (run this or `hub run`, not both: give `hub run` a wyoming:
    section to serve both from one process). Without one nothing is published: the reply says
    what would be done.

    \b
    Examples:
      hub wyoming --config config.yaml
      hub wyoming --uri tcp://127.0.0.1:10700 --no-zeroconf
    """
    from hub.app.lifecycle import serve_wyoming
    from hub.cli.run import setup_logging

    config = find_config(config_path)
    base = config.wyoming or WyomingConfig()  # no section: no speech-to-text unless --asr
    settings = replace(
        base,
        uri=uri or base.uri,
        zeroconf=base.zeroconf if zeroconf is None else zeroconf,
        asr=base.asr if asr is None else asr,
    )
    setup_logging()
    serve_wyoming(config, settings, tier, drain)
