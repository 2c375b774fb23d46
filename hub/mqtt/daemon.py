"""The daemon: MQTT messages in, through one worker thread, actions and answers out.

Concurrency lives here and only here. paho's callback (``submit``) checks the size and puts the
message on a bounded queue; one worker takes them in order, runs the pipeline (which may take a
second when the language model answers), publishes the actions through the bindings and answers
the requester. A full queue is answered "busy" at once, never dropped silently. ``stop`` drains
what is queued (up to a deadline) before the hub goes offline.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from hub.app import make_request
from hub.bindings import BindingError, BindingSettings, OutMessage, Router
from hub.config import MQTTConfig
from hub.messages import Reply
from hub.mqtt.answers import Answer, destination, error_reply, reply_to_command
from hub.mqtt.dedupe import Deduper
from hub.mqtt.discovery import announcements, last_request
from hub.mqtt.inbound import Inbound, Parsed, parse_command, parse_request, peek_envelope
from hub.mqtt.topics import Topics
from hub.pipeline import Pipeline

_LOGGER = logging.getLogger(__name__)

STALL_SECONDS = 120.0  # a job running longer than this makes the daemon unhealthy
UNSENT_MAX_AGE = 60.0  # answers held while the broker was away are dropped after this


class Link(Protocol):
    """What the daemon needs of a broker connection (``MQTTLink``, or a fake in tests)."""

    client_id: str

    @property
    def online(self) -> bool: ...
    def start(self) -> None: ...
    def stop(self, timeout: float = 3.0) -> None: ...
    def alive(self) -> bool: ...
    def publish(
        self,
        topic: str,
        payload: str | bytes,
        *,
        retain: bool = False,
        expiry: int | None = None,
        correlation: bytes | None = None,
    ) -> bool: ...
    def publish_all(self, messages: list[OutMessage], *, expiry: int | None) -> bool: ...


@dataclass
class Stats:
    received: int = 0
    answered: int = 0
    acted: int = 0
    busy: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    # ms from the message's arrival to its actions being handed to the broker, minus the
    # pipeline's own time: what the daemon adds (bench/daemon.py reads it)
    overhead_ms: deque[float] = field(default_factory=lambda: deque(maxlen=100_000))


class Daemon:
    def __init__(
        self,
        pipeline: Pipeline,
        settings: MQTTConfig,
        *,
        link_factory: Callable[[Daemon], Link] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.settings = settings
        self.topics = Topics.of(settings)
        self.router = Router(
            pipeline.registry, BindingSettings(settings.prefix, settings.zigbee2mqtt_base)
        )
        self.stats = Stats()
        self._dedupe = Deduper(settings.dedupe_seconds)
        self._queue: queue.Queue[Inbound] = queue.Queue(maxsize=settings.queue_size)
        self._accepting = True
        self._stopping = threading.Event()
        self._deadline = float("inf")
        self._busy_since: float | None = None
        self._busy_streak = 0  # requests answered "busy" since the queue last had room
        self._stats_lock = threading.Lock()  # the callback and the worker both count
        self._unsent: deque[tuple[float, Answer]] = deque(maxlen=100)
        self._unsent_lock = threading.Lock()
        self._worker = threading.Thread(target=self._run, name="hub-worker", daemon=True)
        self.link: Link = (link_factory or _mqtt_link)(self)

    @property
    def subscriptions(self) -> list[str]:
        topics = [self.topics.request, self.topics.command]
        return [*topics, self.topics.ha_status] if self.settings.discovery else topics

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._worker.start()
        self.link.start()

    def stop(self, drain_seconds: float = 10.0) -> None:
        """Answer what is queued (until the deadline), then go offline and disconnect."""
        self._accepting = False
        self._deadline = time.monotonic() + drain_seconds
        self._stopping.set()
        if self._worker.is_alive():
            self._worker.join(drain_seconds + 5.0)
        self.link.stop()

    def alive(self) -> bool:
        """The worker and the network thread run (whether the broker is there or not)."""
        return self._worker.is_alive() and self.link.alive()

    def healthy(self) -> bool:
        """Alive, and the worker is not stuck on one message."""
        busy = self._busy_since
        stuck = busy is not None and time.monotonic() - busy > STALL_SECONDS
        return self.alive() and not stuck

    def status(self) -> str:
        s = self.stats
        state = "connected" if self.link.online else "waiting for the MQTT broker"
        return f"{state}; {s.received} requests, {s.acted} acted, {s.busy} busy"

    # -- paho's thread: check the size, enqueue ---------------------------------------------
    def submit(self, inbound: Inbound) -> None:
        if inbound.size > self.settings.max_payload:
            inbound = replace(inbound, payload=b"")
        if not self._accepting and inbound.topic != self.topics.ha_status:
            self._reject_now(
                inbound, "shutting_down", "The hub is shutting down; nothing was done."
            )
            return
        try:
            self._queue.put_nowait(inbound)
        except queue.Full:
            if inbound.topic != self.topics.ha_status:  # HA's birth message: the next will do
                self._busy(inbound)
            return
        if self._busy_streak:
            _LOGGER.warning(
                "The queue has room again; %d request(s) were answered busy", self._busy_streak
            )
            self._busy_streak = 0

    def _busy(self, inbound: Inbound) -> None:
        waiting = self._queue.qsize()
        self._busy_streak += 1
        self._count("busy")
        if self._busy_streak == 1:
            _LOGGER.warning(
                "The hub is busy (%d requests waiting): answering busy until it has room", waiting
            )
        message = f"The hub is busy ({waiting} requests waiting); nothing was done."
        self._reject_now(inbound, "busy", message, log=False)

    def on_online(self) -> None:
        """Connected (again): announce to Home Assistant, deliver answers held meanwhile."""
        if self.settings.discovery:
            self.announce()
        with self._unsent_lock:
            held = list(self._unsent)
            self._unsent.clear()
        now = time.monotonic()
        for at, answer in held:
            if now - at <= UNSENT_MAX_AGE:
                self._publish_answer(answer)

    def announce(self) -> None:
        for item in announcements(self.topics, self.link.client_id):
            self.link.publish(item.topic, item.payload, retain=True)

    def _reject_now(self, inbound: Inbound, code: str, message: str, *, log: bool = True) -> None:
        parsed = (
            Parsed() if inbound.size > self.settings.max_payload else peek_envelope(inbound.payload)
        )
        answer = error_reply(self.topics, inbound, parsed, code, message)
        self._count_error(code)
        if log:
            _LOGGER.warning("mqtt %s id=%s -> %s: %s", inbound.topic, parsed.id, code, message)
        self._publish_answer(answer)

    # -- the worker -------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            try:
                inbound = self._queue.get(timeout=0.2)
            except queue.Empty:
                if self._stopping.is_set():
                    return
                continue
            self._busy_since = time.monotonic()
            try:
                if time.monotonic() > self._deadline:
                    self._reject_now(
                        inbound, "shutting_down", "The hub stopped before this request."
                    )
                else:
                    self._handle(inbound)
            except Exception:
                _LOGGER.exception("Failed on a message from %s", inbound.topic)
                self._reject_now(inbound, "internal", "Internal error; nothing was done.")
            finally:
                self._busy_since = None

    def _handle(self, inbound: Inbound) -> None:
        if inbound.topic == self.topics.ha_status:
            if inbound.payload.strip().lower() == b"online" and self.settings.discovery:
                self.announce()
            return
        self._count("received")
        kind = "command" if inbound.topic == self.topics.command else "request"
        answer = self._answer(inbound, kind)
        self._publish_answer(answer)
        if self.settings.discovery:
            self.link.publish(self.topics.last, last_request(answer.body, kind), retain=True)
        self._log(inbound, answer)

    def _answer(self, inbound: Inbound, kind: str) -> Answer:
        limit = self.settings.max_payload
        if inbound.size > limit:
            return self._error(
                inbound,
                Parsed(),
                "too_large",
                f"The payload is {inbound.size} bytes; the limit is {limit}.",
            )
        parsed = (
            parse_command(inbound.payload) if kind == "command" else parse_request(inbound.payload)
        )
        if parsed.error is not None:
            return self._error(inbound, parsed, parsed.error.code, parsed.error.message)
        where = destination(self.topics, inbound, parsed)
        if where.error is not None:
            return self._error(inbound, parsed, where.error.code, where.error.message)
        key = f"{kind}:{parsed.id}" if parsed.id is not None else None
        ago = self._dedupe.age(key) if key is not None else None
        if ago is not None:
            message = f"Request id {parsed.id!r} was acted on {ago:.1f} s ago; not acting twice."
            return self._error(inbound, parsed, "duplicate", message)
        waited = time.perf_counter() - inbound.received
        if waited > self.settings.request_timeout:
            message = f"The request waited {waited:.1f} s, too long to act on; nothing was done."
            return self._error(inbound, parsed, "expired", message)
        if kind == "command":
            reply = reply_to_command(parsed, self.pipeline.registry)
        else:
            request = make_request(
                self.pipeline.registry,
                parsed.text or "",
                area=parsed.area,
                source="mqtt",
                request_id=parsed.id,
            )
            reply = self.pipeline.ask(request)
        if not reply.commands:
            return Answer(where.topic, inbound.correlation, reply, parsed.id)
        try:
            messages = self.router.messages(reply.commands)
        except BindingError as exc:
            failed = replace(reply, commands=(), reply=f"I can't do that: {exc}.")
            return self._error(inbound, parsed, exc.code, str(exc), failed)
        if not self.link.publish_all(messages, expiry=self.settings.message_expiry):
            message = "The MQTT broker is unreachable, so nothing was done."
            failed = replace(reply, commands=(), reply=message)
            return self._error(inbound, parsed, "broker_unavailable", message, failed)
        if key is not None:
            self._dedupe.remember(key)
        self._count("acted")
        self.stats.overhead_ms.append((time.perf_counter() - inbound.received) * 1000 - reply.ms)
        return Answer(where.topic, inbound.correlation, reply, parsed.id, messages)

    def _error(
        self, inbound: Inbound, parsed: Parsed, code: str, message: str, reply: Reply | None = None
    ) -> Answer:
        self._count_error(code)
        return error_reply(self.topics, inbound, parsed, code, message, reply)

    def _count(self, name: str) -> None:
        with self._stats_lock:
            setattr(self.stats, name, getattr(self.stats, name) + 1)

    def _count_error(self, code: str) -> None:
        with self._stats_lock:
            self.stats.errors[code] = self.stats.errors.get(code, 0) + 1

    def _publish_answer(self, answer: Answer) -> None:
        payload = answer.payload()
        ok = self.link.publish(
            answer.topic,
            payload,
            expiry=self.settings.message_expiry,
            correlation=answer.correlation,
        )
        if ok:
            self._count("answered")
            return
        with self._unsent_lock:
            self._unsent.append((time.monotonic(), answer))
        _LOGGER.warning(
            "The broker is away: the answer for %s waits for the reconnection", answer.topic
        )

    def _log(self, inbound: Inbound, answer: Answer) -> None:
        """One line for the MQTT side (the pipeline logs the request itself; a direct command,
        which skips the pipeline, is named here)."""
        sent = ", ".join(dict.fromkeys(m.topic for m in answer.messages)) or "nothing published"
        error = answer.body.get("error")
        reply = answer.reply
        direct = f" {reply.text!r} [direct, {reply.ms:.1f} ms]" if reply.tier == "direct" else ""
        _LOGGER.log(
            logging.WARNING if error else logging.INFO,
            "mqtt %s id=%s%s%s -> %s; answer on %s%s",
            inbound.topic,
            answer.id,
            " (correlated)" if inbound.correlation is not None else "",
            direct,
            sent,
            answer.topic,
            f" [error {error['code']}: {error['message']}]" if error else "",
        )


def _mqtt_link(daemon: Daemon) -> Link:
    from hub.mqtt.client import MQTTLink

    return MQTTLink(
        daemon.settings,
        status_topic=daemon.topics.status,
        subscriptions=daemon.subscriptions,
        on_message=daemon.submit,
        on_online=daemon.on_online,
    )
