"""The service in this process, with fakes where they make a test sharper: an agent that holds
its answer, one that fails, a transcriber that records what it is fed, a daemon that answers
from another thread."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import async_write_event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info
from wyoming.ping import Ping, Pong

from hub.messages import Reply, Request
from hub.mqtt.envelopes import Answer
from hub.wyoming.agent import DaemonAgent, PipelineAgent
from hub.wyoming.asr import Heard
from hub.wyoming.service import match_language
from tests.wyoming.conftest import ask, port_of, read, serving


class HeldAgent:
    """Answers only when the test lets it; records the requests it saw."""

    name = "held"

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.release = asyncio.Event()
        self.waiting = asyncio.Event()

    async def ask(self, request: Request) -> Reply:
        self.requests.append(request)
        self.waiting.set()
        await self.release.wait()
        return Reply(request.text, reply=f"done: {request.text}", outcome="acted", ms=1.0)


class FailingAgent:
    name = "failing"

    async def ask(self, request: Request) -> Reply:
        raise RuntimeError("boom")


def test_describe_and_ping_are_answered_while_a_request_waits() -> None:
    """Home Assistant gives Describe one second: it never waits behind a request."""

    async def scenario() -> None:
        agent = HeldAgent()
        async with serving(agent) as service:
            port = port_of(service)
            pending = asyncio.create_task(
                ask(port, Transcript("turn on the kitchen light", language="en-US").event())
            )
            await agent.waiting.wait()
            info = await ask(port, Describe().event())
            assert Info.is_type(info.type)
            pong = await ask(port, Ping(text="hi").event())
            assert Pong.from_event(pong).text == "hi"
            assert not pending.done()
            agent.release.set()
            event = await pending
            assert Handled.from_event(event).text == "done: turn on the kitchen light"
            (request,) = agent.requests
            assert request.source == "wyoming" and request.language == "en"
            assert request.id is not None and request.id.startswith("wyoming-")
            assert service.stats.handled == 1
            assert len(service.stats.overhead_ms) == 1

    asyncio.run(scenario())


def test_the_conversation_id_travels_with_the_request_and_back() -> None:
    async def scenario() -> None:
        agent = HeldAgent()
        agent.release.set()
        async with serving(agent) as service:
            context = {"conversation_id": "01HQ", "device_id": "abc"}
            event = await ask(port_of(service), Transcript("hello", context=context).event())
            assert Handled.from_event(event).context == {"conversation_id": "01HQ"}
            assert agent.requests[0].conversation_id == "01HQ"
            event = await ask(port_of(service), Transcript("hello again").event())
            assert Handled.from_event(event).context is None
            assert agent.requests[1].conversation_id is None

    asyncio.run(scenario())


def test_a_half_closed_client_still_gets_its_answer() -> None:
    """``echo ... | nc -N hub 10700`` closes its side after the request."""

    async def scenario() -> None:
        agent = HeldAgent()
        async with serving(agent) as service:
            reader, writer = await asyncio.open_connection("127.0.0.1", port_of(service))
            await async_write_event(Transcript("turn on the kitchen light").event(), writer)
            writer.write_eof()
            await agent.waiting.wait()
            agent.release.set()
            line = await asyncio.wait_for(reader.readline(), 30)
            assert json.loads(line)["type"] == "handled"
            writer.close()

    asyncio.run(scenario())


def test_a_failing_agent_is_not_handled_and_the_service_goes_on() -> None:
    async def scenario() -> None:
        async with serving(FailingAgent()) as service:
            for _ in range(2):
                event = await ask(port_of(service), Transcript("anything").event())
                assert NotHandled.from_event(event).text == "Internal error; nothing was done."

    asyncio.run(scenario())


def test_the_pipeline_answers_one_request_at_a_time(pipeline_agent: PipelineAgent) -> None:
    inside = 0
    most = 0
    lock = threading.Lock()
    original = pipeline_agent.pipeline.ask

    def counting(request: Request) -> Reply:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        try:
            return original(request)
        finally:
            with lock:
                inside -= 1

    pipeline_agent.pipeline = type("P", (), {"ask": staticmethod(counting)})()  # type: ignore[assignment]

    async def scenario() -> list[str]:
        async with serving(pipeline_agent) as service:
            texts = ["turn on the kitchen light", "lock the front door", "blorp"] * 3
            events = await asyncio.gather(
                *(ask(port_of(service), Transcript(t).event()) for t in texts)
            )
            return [e.type for e in events]

    types = asyncio.run(scenario())
    assert types == ["handled", "handled", "not-handled"] * 3
    assert most == 1


@dataclass
class FakeDaemon:
    """Answers every request from a thread of its own, as the daemon's worker does."""

    requests: list[Request] = field(default_factory=list)

    def submit_request(self, request: Request, on_answer: Callable[[Answer], None]) -> None:
        self.requests.append(request)
        reply = Reply(request.text, reply="Turning on Kitchen Light.", outcome="acted", ms=2.0)
        answer = Answer("hub/response", None, reply, request.id)
        threading.Thread(target=on_answer, args=(answer,)).start()


def test_the_daemon_answers_from_its_worker_thread() -> None:
    daemon = FakeDaemon()

    async def scenario() -> None:
        async with serving(DaemonAgent(daemon)) as service:  # type: ignore[arg-type]
            event = await ask(port_of(service), Transcript("turn on the kitchen light").event())
            assert Handled.from_event(event).text == "Turning on Kitchen Light."

    asyncio.run(scenario())
    assert daemon.requests[0].source == "wyoming"


def test_a_daemon_that_never_answers_times_out_as_not_handled() -> None:
    class Silent:
        def submit_request(self, request: Request, on_answer: Any) -> None:
            pass

    async def scenario() -> None:
        agent = DaemonAgent(Silent(), timeout=0.05)  # type: ignore[arg-type]
        async with serving(agent) as service:
            event = await ask(port_of(service), Transcript("turn on the kitchen light").event())
            assert NotHandled.from_event(event).text == "The hub did not answer in time."

    asyncio.run(scenario())


# -- audio ----------------------------------------------------------------------------------


class RecordingStream:
    def __init__(self, fed: list[AudioChunk]) -> None:
        self.fed = fed

    def feed(self, chunk: AudioChunk) -> None:
        self.fed.append(chunk)

    def finish(self) -> Heard:
        seconds = sum(c.seconds for c in self.fed)
        return Heard("환풍기 켜줘", 0.9, seconds, 1)


@dataclass
class FakeTranscriber:
    name: str = "fake"
    language: str = "ko"
    description: str = "a fake"
    fed: list[AudioChunk] = field(default_factory=list)
    formats: list[tuple[int, int, int]] = field(default_factory=list)

    def warm(self) -> None:
        pass

    def stream(self, rate: int, width: int, channels: int) -> RecordingStream:
        self.formats.append((rate, width, channels))
        return RecordingStream(self.fed)


def chunks(rate: int = 16000, seconds: float = 0.5, size: int = 1024) -> list[AudioChunk]:
    pcm = (np.sin(np.arange(int(rate * seconds)) / 5) * 8000).astype("<i2").tobytes()
    return [
        AudioChunk(rate=rate, width=2, channels=1, audio=pcm[i : i + size])
        for i in range(0, len(pcm), size)
    ]


async def stream_audio(port: int, audio: list[AudioChunk], *, start: bool = True) -> Any:
    async with AsyncTcpClient("127.0.0.1", port) as client:
        await client.write_event(Transcribe(language="ko").event())
        if start:
            await client.write_event(AudioStart(rate=16000, width=2, channels=1).event())
        for chunk in audio:
            await client.write_event(chunk.event())
        await client.write_event(AudioStop().event())
        return await read(client)


def test_audio_goes_to_the_transcriber_and_a_transcript_comes_back() -> None:
    transcriber = FakeTranscriber()
    sent = chunks()

    async def scenario() -> None:
        async with serving(HeldAgent(), transcriber=transcriber) as service:
            info = await ask(port_of(service), Describe().event())
            assert [p.name for p in Info.from_event(info).asr] == ["hub"]
            event = await stream_audio(port_of(service), sent)
            assert Transcript.from_event(event) == Transcript("환풍기 켜줘", language="ko")
            # no AudioStart: the first chunk's format is taken
            event = await stream_audio(port_of(service), sent, start=False)
            assert Transcript.from_event(event).text == "환풍기 켜줘"
            assert service.stats.transcribed == 2

    asyncio.run(scenario())
    assert transcriber.formats == [(16000, 2, 1)] * 2
    assert b"".join(c.audio for c in transcriber.fed) == b"".join(c.audio for c in sent) * 2


def test_audio_without_speech_to_text_gets_an_error_event() -> None:
    async def scenario() -> None:
        async with serving(HeldAgent()) as service:
            event = await stream_audio(port_of(service), chunks())
            assert Error.from_event(event).code == "no_asr"
            info = Info.from_event(await ask(port_of(service), Describe().event()))
            assert info.asr == []

    asyncio.run(scenario())


def test_a_format_change_mid_stream_drops_the_client() -> None:
    transcriber = FakeTranscriber()

    async def scenario() -> None:
        async with serving(HeldAgent(), transcriber=transcriber) as service:
            changed = [*chunks()[:2], *chunks(rate=8000)[:2]]
            event = await stream_audio(port_of(service), changed)
            assert Error.from_event(event).code == "bad_event"
            assert service.stats.dropped == 1

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", "en"),
        ("en-US", "en"),
        ("EN_gb", "en"),
        ("de", None),  # not configured: the hub detects the language itself
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_match_language(tag: Any, expected: str | None) -> None:
    assert match_language(tag, ("en", "ko")) == expected
