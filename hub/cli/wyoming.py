"""``hub wyoming``: hub as a Wyoming service, Home Assistant's conversation agent (and
speech-to-text, with a speech model)."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from dataclasses import replace
from types import FrameType

import click

from hub.app.build import LazyWriter, build_pipeline, find_config
from hub.cli.options import config_option, tier_option
from hub.config import WyomingConfig
from hub.config.wyoming import DEFAULT_URI, uri_problem
from hub.systemd import notify

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
    from hub.app.lifecycle import build_daemon, open_memory
    from hub.cli.run import setup_logging
    from hub.wyoming.agent import Agent, DaemonAgent, PipelineAgent
    from hub.wyoming.runner import load_asr, make_service

    config = find_config(config_path)
    base = config.wyoming or WyomingConfig()  # no section: no speech-to-text unless --asr
    settings = replace(
        base,
        uri=uri or base.uri,
        zeroconf=base.zeroconf if zeroconf is None else zeroconf,
        asr=base.asr if asr is None else asr,
    )
    setup_logging()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    memory = open_memory(config)
    pipeline = build_pipeline(config, tier, memory=memory, writer=LazyWriter(config))
    pipeline.warm(llm=False)
    pipeline.load()  # before any thread starts (llama.cpp silences output while it loads)
    daemon = None
    if config.mqtt is not None:  # built as hub run builds it
        daemon = build_daemon(config, pipeline, memory)
        daemon.start()
    warming = threading.Thread(
        target=pipeline.warm, kwargs={"fast": False}, name="hub-warm-model", daemon=True
    )
    warming.start()
    transcriber = load_asr(config, settings, lambda: pipeline.registry)
    agent: Agent = DaemonAgent(daemon) if daemon is not None else PipelineAgent(pipeline)
    tiers = [t.name for t in pipeline.tiers]
    service = make_service(config, settings, agent, tiers, transcriber)
    drained = threading.Event()

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        stopped = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopped.set)
        if stop.is_set():
            return
        await service.start()  # WyomingError: one line, exit 2
        notify("READY=1")
        try:
            await stopped.wait()
            _LOGGER.info("Stopping: finishing what is queued")
            notify("STOPPING=1")
            if daemon is not None:  # answers still reach their Wyoming clients meanwhile
                await asyncio.to_thread(daemon.stop, drain)
                drained.set()
        finally:
            await service.stop()

    try:
        asyncio.run(serve())
    finally:
        if daemon is not None and not drained.is_set():
            daemon.stop(drain)
        warming.join()
        if memory is not None:
            memory.close()
    _LOGGER.info("hub wyoming stopped")
