"""``hub run`` from start to stop: load order, the daemon and its companions, systemd, shutdown.

The order matters. The model loads before any thread starts (llama.cpp points the process's
stdout and stderr at /dev/null while it loads); the summary writer loads before the daemon's
threads for the same reason; templates and cached answers are served while the model's prompt
is still being evaluated; READY goes to systemd once the broker has acknowledged the
subscriptions. On a stop (SIGTERM, SIGINT) what is queued is finished, then each part stops in
the reverse order, the model last.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

from hub.app.build import LazyWriter, build_pipeline, make_writer
from hub.config import Config, WyomingConfig
from hub.errors import ConfigError, HubError
from hub.llm.writer import TextWriter
from hub.mqtt.announce import Announcement
from hub.mqtt.daemon import Daemon
from hub.mqtt.record import Recorder
from hub.pipeline import Pipeline
from hub.security.policy import SecurityPolicy
from hub.speech.runner import start_speech
from hub.store import Store
from hub.store.memory import Memory
from hub.summaries.delivery import sensor_announcement
from hub.summaries.schedule import SummaryScheduler
from hub.summaries.service import Delivery, SummaryService
from hub.systemd import Watchdog, notify, watchdog_interval
from hub.wyoming.runner import start_wyoming

_LOGGER = logging.getLogger(__name__)

LISTEN_WAIT = 5  # seconds to wait for the broker's SUBACK before READY
STATUS_EVERY = 10.0  # seconds between STATUS= updates to systemd


def serve(config: Config, tier: str, drain: float) -> bool:
    """Run the hub until SIGTERM or SIGINT; False when it stopped because a thread died (so
    that systemd restarts it)."""
    if config.mqtt is None:
        raise ConfigError("mqtt", "hub run needs an mqtt: section (see config.example.yaml)")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        _LOGGER.info(
            "Got %s: finishing queued requests, then stopping", signal.Signals(signum).name
        )
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    memory = open_memory(config)
    writer = LazyWriter(config)  # FAQ answers and summaries share one llama.cpp context
    pipeline = build_pipeline(config, tier, memory=memory, writer=writer)
    pipeline.warm(llm=False)  # the fast matcher and the FAQ index: a second or two
    pipeline.load()  # the model, before any thread starts (llama.cpp silences output meanwhile)
    if stop.is_set():  # stopped while warming up: nothing to drain
        return True
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
    return not failed


def serve_wyoming(config: Config, settings: WyomingConfig, tier: str, drain: float) -> None:
    """``hub wyoming``: serve Home Assistant over the Wyoming protocol until SIGTERM or SIGINT;
    with an mqtt: section through the daemon, as ``hub run`` would (WyomingError when the
    address cannot be served)."""
    from hub.wyoming.agent import Agent, DaemonAgent, PipelineAgent
    from hub.wyoming.runner import load_asr, make_service

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


def open_memory(config: Config) -> Memory | None:
    """The event log and caches (None with ``store.enabled: false``). Decisions made for
    another home are dropped, except with discovery: then the home served is the one learnt
    from the bus, not the config's, and dropping all but the config home's decisions would
    empty the decision cache at every start (a decision only ever hits for its own home)."""
    if not config.store.enabled:
        return None
    return Memory.open(config, None if config.discovery is not None else config.registry())


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


def start_summaries(
    config: Config,
    daemon: Daemon,
    store: Store | None,
    writer: Callable[[], TextWriter] | None = None,
) -> SummaryScheduler | None:
    """``hub run``: schedule the configured jobs, publishing through the daemon's link.

    Call it before ``daemon.start()``: the writer is loaded here (llama.cpp points the
    process's stdout and stderr at /dev/null while a model loads). The daemon's link subscribes
    to ``record_topics`` and the daemon hands their messages to the recorder. Summaries made
    before the broker is connected are published once it is. None when there are neither jobs
    nor topics to record.
    """
    settings = config.summaries
    recorder = None
    if settings.record_topics and store is not None:
        recorder = Recorder(store, settings.record_topics)
        daemon.recorder = recorder  # the daemon hands the messages over
        subscribe = getattr(daemon.link, "subscribe", None)  # MQTTLink: now and on reconnects
        if subscribe is not None:
            subscribe(list(recorder.topics))
        recorder.start()
    if not settings.jobs and recorder is None:
        return None
    mqtt = daemon.settings
    announcements: tuple[Announcement, ...] = ()
    if mqtt.discovery:
        announcements = tuple(
            sensor_announcement(
                job.name,
                prefix=mqtt.prefix,
                discovery_prefix=mqtt.discovery_prefix,
                client_id=daemon.link.client_id,
                status_topic=daemon.topics.status,
            )
            for job in settings.jobs
        )
    service = SummaryService(
        settings,
        events=store,
        store=store,
        writer=writer or (lambda: make_writer(config)),
        names={d.entity_id: d.name for d in daemon.pipeline.registry.devices},
        deliver=Delivery(daemon.link, mqtt.prefix, announcements),
    )
    if any(job.llm for job in settings.jobs):
        try:  # now, not in a job: llama.cpp silences stdout and stderr while a model loads
            service.writer()
        except HubError as exc:
            _LOGGER.warning("summaries will be written without the model: %s", exc)
    scheduler = SummaryScheduler(service, recorder)
    scheduler.start()
    service.flush()  # the discovery configs, if the broker is there already
    return scheduler
