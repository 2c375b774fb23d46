"""The Wyoming server: one handler per connection, all on one asyncio loop.

Home Assistant opens a connection per interaction (``Describe`` when it sets the service up,
a ``Transcript`` per sentence for the conversation agent, ``Transcribe`` and audio for
speech-to-text). Many connections are served at once; the blocking work (the pipeline, Vosk)
runs off the loop behind one lock each, and the daemon's worker answers through a callback.

A connection that sends something that is not a Wyoming event, or an event without its fields,
gets an ``Error`` event and is closed; one that goes away mid-request is logged. Neither stops
the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.handle import Handled
from wyoming.info import Describe, Info
from wyoming.ping import Ping, Pong
from wyoming.server import AsyncEventHandler, AsyncServer

from hub.errors import HubError
from hub.messages import ErrorInfo, Reply, Request
from hub.wyoming.agent import Agent, RequestIds
from hub.wyoming.asr import Stream, Transcriber
from hub.wyoming.protocol import ProtocolError, read_event
from hub.wyoming.replies import to_event

_LOGGER = logging.getLogger(__name__)

MIN_RATE, MAX_RATE = 1000, 192_000


class WyomingError(HubError):
    """The Wyoming service cannot start (the address is taken, not allowed, ...)."""

    code = "wyoming"


@dataclass
class Stats:
    handled: int = 0
    not_handled: int = 0
    transcribed: int = 0
    dropped: int = 0  # connections closed for a protocol error or a failure
    # ms from a Transcript read to its Handled/NotHandled written, minus the pipeline's own
    # time: what the Wyoming side adds (bench/wyoming.py reads it)
    overhead_ms: deque[float] = field(default_factory=lambda: deque(maxlen=100_000))
    pipeline_ms: deque[float] = field(default_factory=lambda: deque(maxlen=100_000))


@dataclass
class Shared:
    """What every connection's handler uses."""

    info: Info
    agent: Agent
    languages: tuple[str, ...]
    transcriber: Transcriber | None = None
    ids: RequestIds = field(default_factory=RequestIds)
    stats: Stats = field(default_factory=Stats)
    asr_lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one model, one lock
    info_event: Event = field(init=False)

    def __post_init__(self) -> None:
        self.info_event = self.info.event()


class HubHandler(AsyncEventHandler):
    """One client connection."""

    def __init__(
        self, shared: Shared, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        super().__init__(reader, writer)
        self.shared = shared
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer or "local")
        self._language: str | None = None  # from Transcribe
        self._stream: Stream | None = None
        self._format: tuple[int, int, int] | None = None  # rate, width, channels
        self._audio_refused = False

    async def run(self) -> None:
        """Events until the client closes; a bad client is logged and dropped, never raised."""
        try:
            while True:
                event = await read_event(self.reader)
                if event is None or not await self.handle_event(event):
                    break
        except ProtocolError as exc:
            self.shared.stats.dropped += 1
            _LOGGER.warning("Wyoming client %s sent %s; dropped", self.peer, exc)
            with contextlib.suppress(Exception):
                await self.write_event(
                    Error(text=f"not understood: {exc}", code="bad_event").event()
                )
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            self.shared.stats.dropped += 1
            _LOGGER.info("Wyoming client %s went away: %s", self.peer, exc or type(exc).__name__)
        except Exception:
            self.shared.stats.dropped += 1
            _LOGGER.exception("Wyoming client %s: failed; dropped", self.peer)
        finally:
            await self.disconnect()
            self.writer.close()

    async def handle_event(self, event: Event) -> bool:
        try:
            return await self._dispatch(event)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ProtocolError(f"a malformed {event.type} event ({exc!r})") from None

    async def _dispatch(self, event: Event) -> bool:
        if Transcript.is_type(event.type):
            await self._answer(Transcript.from_event(event))
        elif Describe.is_type(event.type):
            await self.write_event(self.shared.info_event)
        elif Transcribe.is_type(event.type):
            self._language = Transcribe.from_event(event).language
        elif AudioStart.is_type(event.type):
            start = AudioStart.from_event(event)
            await self._start_audio(start.rate, start.width, start.channels)
        elif AudioChunk.is_type(event.type):
            await self._feed(AudioChunk.from_event(event))
        elif AudioStop.is_type(event.type):
            await self._transcribe()
        elif Ping.is_type(event.type):
            await self.write_event(Pong(text=Ping.from_event(event).text).event())
        else:
            _LOGGER.debug("Wyoming client %s: ignored a %s event", self.peer, event.type)
        return True

    # -- text: the conversation agent ---------------------------------------------------------
    async def _answer(self, transcript: Transcript) -> None:
        started = time.perf_counter()
        shared = self.shared
        if not isinstance(transcript.text, str):
            raise ProtocolError("a transcript whose text is not a string")
        context = transcript.context if isinstance(transcript.context, dict) else {}
        conversation = context.get("conversation_id")
        conversation_id = str(conversation) if isinstance(conversation, str | int) else None
        request = Request(
            text=transcript.text,
            source="wyoming",
            id=shared.ids(),
            language=match_language(transcript.language, shared.languages),
            conversation_id=conversation_id or None,
        )
        try:
            reply = await shared.agent.ask(request)
        except Exception:
            _LOGGER.exception("Wyoming request %s failed", request.id)
            message = "Internal error; nothing was done."
            reply = Reply(
                text=request.text,
                reply=message,
                error=ErrorInfo("internal", message),
                outcome="error",
            )
        answer = to_event(reply, request.conversation_id)
        if self.reader.at_eof():  # closed (or half-closed) while the hub worked: still answered
            _LOGGER.info("Wyoming client %s closed before the answer to %s", self.peer, request.id)
        await self.write_event(answer.event())
        handled = isinstance(answer, Handled)
        if handled:
            shared.stats.handled += 1
        else:
            shared.stats.not_handled += 1
        ms = (time.perf_counter() - started) * 1000
        shared.stats.overhead_ms.append(ms - reply.ms)
        shared.stats.pipeline_ms.append(reply.ms)
        _LOGGER.info(
            "wyoming %s id=%s%s -> %s (%s%s) in %.0f ms",
            self.peer,
            request.id,
            f" conversation={conversation_id}" if conversation_id else "",
            "handled" if handled else "not handled",
            reply.outcome,
            f", {reply.error.code}" if reply.error is not None else "",
            ms,
        )

    # -- audio: speech-to-text ----------------------------------------------------------------
    async def _start_audio(self, rate: int, width: int, channels: int) -> None:
        if not (MIN_RATE <= rate <= MAX_RATE and width in (1, 2, 3, 4) and 1 <= channels <= 8):
            raise ProtocolError(f"audio that is not audio: {rate} Hz, {width} bytes, {channels} ch")
        self._format = (rate, width, channels)
        transcriber = self.shared.transcriber
        if transcriber is None:
            self._stream = None
            return
        if self._language and self._language.split("-")[0] != transcriber.language.split("-")[0]:
            _LOGGER.info(
                "Wyoming client %s asks for %s; the speech model is %s",
                self.peer,
                self._language,
                transcriber.language,
            )
        async with self.shared.asr_lock:
            self._stream = await asyncio.to_thread(transcriber.stream, rate, width, channels)

    async def _feed(self, chunk: AudioChunk) -> None:
        if self._format is None:  # no AudioStart: the first chunk says the format
            await self._start_audio(chunk.rate, chunk.width, chunk.channels)
        elif (chunk.rate, chunk.width, chunk.channels) != self._format:
            raise ProtocolError("audio whose format changed in the middle of the stream")
        if self._stream is None or not chunk.audio:
            return
        async with self.shared.asr_lock:
            await asyncio.to_thread(self._stream.feed, chunk)

    async def _transcribe(self) -> None:
        stream, self._stream, self._format = self._stream, None, None
        transcriber = self.shared.transcriber
        if transcriber is None:
            if not self._audio_refused:
                self._audio_refused = True
                _LOGGER.warning("Wyoming client %s sent audio; speech is not on", self.peer)
            await self.write_event(
                Error(text="This hub has no speech-to-text.", code="no_asr").event()
            )
            return
        if stream is None:  # AudioStop without audio
            heard_text = ""
        else:
            started = time.perf_counter()
            async with self.shared.asr_lock:
                heard = await asyncio.to_thread(stream.finish)
            heard_text = heard.text
            _LOGGER.info(
                "wyoming %s asr: %r (%.1f s of audio, confidence %.2f) in %.0f ms",
                self.peer,
                heard.text,
                heard.seconds,
                heard.confidence,
                (time.perf_counter() - started) * 1000,
            )
        self.shared.stats.transcribed += 1
        await self.write_event(Transcript(text=heard_text, language=transcriber.language).event())


def match_language(tag: Any, languages: Sequence[str]) -> str | None:
    """The configured language ``tag`` names ("en", "en-US" -> "en"), or None (the hub then
    detects the language itself)."""
    if not isinstance(tag, str) or not tag.strip():
        return None
    wanted = tag.strip().replace("_", "-").lower()
    for language in languages:
        if language.lower() == wanted:
            return language
    primary = wanted.split("-")[0]
    for language in languages:
        if language.lower().split("-")[0] == primary:
            return language
    return None


class WyomingService:
    """The server: listens on ``uri``, a ``HubHandler`` per connection, maybe announced."""

    def __init__(self, uri: str, shared: Shared, *, zeroconf_name: str | None = None) -> None:
        self.uri = uri
        self.shared = shared
        self.zeroconf_name = zeroconf_name  # None: not announced
        self._server: AsyncServer | None = None
        self._announcer: Any = None

    @property
    def stats(self) -> Stats:
        return self.shared.stats

    async def start(self) -> None:
        """Listen (WyomingError if it cannot), then announce over zeroconf (logged if not)."""
        transcriber = self.shared.transcriber
        if transcriber is not None:
            started = time.perf_counter()
            await asyncio.to_thread(transcriber.warm)
            _LOGGER.info("Prepared Wyoming speech-to-text in %.1f s", time.perf_counter() - started)
        try:
            server = AsyncServer.from_uri(self.uri)
            await server.start(lambda reader, writer: HubHandler(self.shared, reader, writer))
        except (OSError, ValueError) as exc:
            raise WyomingError(f"cannot listen on {self.uri}: {exc}") from None
        self._server = server
        programs = ["handle"] + (["asr"] if transcriber is not None else [])
        _LOGGER.info(
            "Wyoming service on %s (%s; requests through the %s)",
            self.uri,
            " and ".join(programs),
            self.shared.agent.name,
        )
        parsed = urlparse(self.uri)
        if self.zeroconf_name is not None and parsed.scheme == "tcp" and parsed.port:
            from hub.wyoming.zeroconf import Announcer

            announcer = Announcer(self.zeroconf_name, parsed.hostname or "", parsed.port)
            if await announcer.start():
                self._announcer = announcer

    async def stop(self) -> None:
        if self._announcer is not None:
            await self._announcer.stop()
            self._announcer = None
        if self._server is not None:
            await self._server.stop()
            self._server = None
