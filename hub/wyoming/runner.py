"""Wiring: the Wyoming service for a config, on the main thread's loop (``hub wyoming``) or in a
thread of its own beside the daemon (``hub run`` with a ``wyoming:`` section).

Under ``hub run`` the service's requests go through the daemon, so the one worker, the one
model and the one MQTT connection serve both. A service that cannot start (the port is taken,
the speech model is missing) logs one error and the rest of the hub keeps running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from hub.config import Config, WyomingConfig
from hub.errors import HubError
from hub.registry import Registry
from hub.wyoming.agent import Agent, DaemonAgent
from hub.wyoming.asr import Transcriber, load_transcriber
from hub.wyoming.info import describe
from hub.wyoming.service import Shared, WyomingError, WyomingService

if TYPE_CHECKING:
    from hub.mqtt.daemon import Daemon
    from hub.speech.engine import Engine

_LOGGER = logging.getLogger(__name__)


def load_asr(
    config: Config,
    settings: WyomingConfig,
    registry: Callable[[], Registry],
    engine: Engine | None = None,
) -> Transcriber | None:
    """The speech-to-text model when ``settings.asr``; None (logged) when it cannot load."""
    if not settings.asr:
        return None
    try:
        return load_transcriber(config, registry, engine)
    except HubError as exc:
        _LOGGER.error("Wyoming speech-to-text is off: %s. The conversation agent still runs.", exc)
        return None


def make_service(
    config: Config,
    settings: WyomingConfig,
    agent: Agent,
    tiers: Sequence[str],
    transcriber: Transcriber | None = None,
) -> WyomingService:
    info = describe(settings.name, config.languages, tiers, transcriber)
    shared = Shared(info=info, agent=agent, languages=config.languages, transcriber=transcriber)
    name = settings.name if settings.zeroconf else None
    return WyomingService(settings.uri, shared, zeroconf_name=name)


class WyomingThread:
    """A service on an event loop in a thread of its own."""

    def __init__(self, service: WyomingService) -> None:
        self.service = service
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hub-wyoming", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()  # before reading the loop: _main sets it before checking this
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has ended already
                loop.call_soon_threadsafe(stop.set)
        self._thread.join(timeout)

    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception:
            _LOGGER.exception("The Wyoming service failed; the rest of the hub keeps running")

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        if self._stopping.is_set():
            return
        try:
            await self.service.start()
        except WyomingError as exc:
            _LOGGER.error("Wyoming is off: %s. The rest of the hub keeps running.", exc)
            return
        try:
            if not self._stopping.is_set():
                await self._stop.wait()
        finally:
            await self.service.stop()


def start_wyoming(
    config: Config, daemon: Daemon, engine: Engine | None = None
) -> WyomingThread | None:
    """For ``hub run``: serve Wyoming beside the daemon when the config has a ``wyoming:``
    section (``engine``: the speech model the microphone loaded, shared); None otherwise."""
    settings = config.wyoming
    if settings is None:
        return None
    pipeline = daemon.pipeline
    transcriber = load_asr(config, settings, lambda: pipeline.registry, engine)
    tiers = [tier.name for tier in pipeline.tiers]
    thread = WyomingThread(make_service(config, settings, DaemonAgent(daemon), tiers, transcriber))
    thread.start()
    return thread
