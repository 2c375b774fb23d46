"""``hub run``: the daemon. Requests over MQTT in, validated actions to the devices out.

Under systemd (``systemd/hub.service``, ``Type=notify``) it says READY once it serves (the
broker has acknowledged its subscriptions, or 5 s have passed), keeps a STATUS line, pings the
watchdog only while healthy, and on SIGTERM finishes what is queued, publishes ``offline`` and
exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType

import click

from hub.app import LazyWriter, build_pipeline, find_config
from hub.cli.options import config_option, tier_option
from hub.config import Config
from hub.errors import ConfigError
from hub.memory import Memory
from hub.mqtt.daemon import Daemon
from hub.pipeline import Pipeline
from hub.security.policy import SecurityPolicy
from hub.speech.runner import start_speech
from hub.summaries.schedule import start_summaries
from hub.systemd import Watchdog, notify, watchdog_interval
from hub.wyoming.runner import start_wyoming

_LOGGER = logging.getLogger(__name__)

LISTEN_WAIT = 5  # seconds to wait for the broker's SUBACK before READY
STATUS_EVERY = 10.0  # seconds between STATUS= updates to systemd


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
    if config.mqtt is None:
        raise ConfigError("mqtt", "hub run needs an mqtt: section (see config.example.yaml)")
    _setup_logging()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        _LOGGER.info(
            "Got %s: finishing queued requests, then stopping", signal.Signals(signum).name
        )
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    memory = Memory.open(config, config.registry()) if config.store.enabled else None
    writer = LazyWriter(config)  # FAQ answers and summaries share one llama.cpp context
    pipeline = build_pipeline(config, tier, memory=memory, writer=writer)
    pipeline.warm(llm=False)  # the fast matcher and the FAQ index: a second or two
    pipeline.load()  # the model, before any thread starts (llama.cpp silences output meanwhile)
    if stop.is_set():  # stopped while warming up: nothing to drain
        return
    daemon = build_daemon(config, pipeline, memory)
    # before the daemon's threads: loading the summary writer silences stdout/stderr a moment
    summaries = start_summaries(
        config, daemon, memory.store if memory is not None else None, writer
    )
    daemon.start()
    # The model's prompt takes seconds (8.5 s for the example home on 2 x86 cores): templates
    # and cached answers are served meanwhile; a request for the model waits for it.
    warming = threading.Thread(
        target=pipeline.warm, kwargs={"fast": False}, name="hub-warm-model", daemon=True
    )
    warming.start()
    speech = start_speech(config, daemon)  # the microphone, when speech.enabled
    engine = speech.listener.engine if speech is not None else None  # one Vosk model
    wyoming = start_wyoming(config, daemon, engine)  # Home Assistant, with a wyoming: section

    def status() -> str:
        store = f"; store {memory.status()}" if memory is not None else ""
        return f"{daemon.status()}{store}"

    # READY means requests are heard: a unit ordered after hub.service may publish at once.
    if not daemon.link.wait_listening(LISTEN_WAIT):
        _LOGGER.warning(
            "Not subscribed to %s after %d s (is the broker up?); ready anyway, and serving "
            "as soon as it answers",
            daemon.topics.request,
            LISTEN_WAIT,
        )
    notify("READY=1")
    notify(f"STATUS={status()}")
    interval = watchdog_interval()
    watchdog = Watchdog(daemon.healthy, interval) if interval else None
    if watchdog is not None:
        watchdog.start()
    _LOGGER.info(
        "hub is running: %d devices, tiers %s, requests on %s",
        len(pipeline.registry.devices),
        ", ".join(t.name for t in pipeline.tiers) or "none",
        daemon.topics.request,
    )
    failed = False
    while not stop.wait(STATUS_EVERY):
        notify(f"STATUS={status()}")
        if not daemon.alive():
            _LOGGER.error("A hub thread died; exiting so that systemd restarts the hub")
            failed = True
            break
    notify("STOPPING=1")
    if summaries is not None:
        summaries.stop()
    if speech is not None:
        speech.stop()
    daemon.stop(drain)  # Wyoming clients still get the answers of what was queued
    if wyoming is not None:
        wyoming.stop()
    warming.join()  # the model must not be freed under a warm-up still running
    if memory is not None:
        memory.close()  # what the disk could not take yet goes to the pending file
    if watchdog is not None:
        watchdog.stop()
    _LOGGER.info("hub stopped")
    if failed:
        sys.exit(1)


def _setup_logging() -> None:
    """INFO by default; under journald without timestamps (journald adds them)."""
    root = logging.getLogger()
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    if not os.environ.get("JOURNAL_STREAM"):
        fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        for handler in root.handlers:
            handler.setFormatter(fmt)


def build_daemon(config: Config, pipeline: Pipeline, memory: Memory | None) -> Daemon:
    """The MQTT daemon on ``pipeline``, as ``hub run`` and ``hub wyoming`` both run it (the
    config needs an mqtt: section)."""
    if config.mqtt is None:
        raise ConfigError("mqtt", "is required to run the daemon")
    return Daemon(
        pipeline,
        config.mqtt,
        discovery=config.discovery,
        on_event=memory.record if memory is not None else None,  # actions, errors, devices
        policy=SecurityPolicy(config.security),  # who may send direct commands
        store=memory.store if memory is not None else None,  # request ids, across restarts
    )
