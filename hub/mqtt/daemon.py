"""The daemon: MQTT messages in, through one worker thread, actions and answers out.

Concurrency lives here and only here. paho's callback (``submit``) checks the size and puts the
message on a bounded queue; one worker takes them in order, runs the pipeline (which may take a
second when the language model answers), publishes the actions through the bindings and answers
the requester. A full queue is answered "busy" at once, never dropped silently. ``stop`` drains
what is queued (up to a deadline) before the hub goes offline.

Requests come on ``<prefix>/request`` and ``<prefix>/request/<name>`` (source ``mqtt/<name>``),
commands on ``<prefix>/command[/<name>]``. Before anything runs, ``hub.mqtt.admission`` refuses
retained messages, broker redeliveries, commands from sources the security policy does not
allow, request ids acted on already (remembered in the store across restarts) and messages past
their deadline (``hub.mqtt.freshness``: proven from the hub's markers); the deadline is checked
again just before the actions are published.

With a ``discovery:`` section the daemon also follows the bus (``hub.mqtt.live``): discovery and
state messages go to a second, unbounded queue that the same worker drains before each request,
so ``pipeline.registry`` and the Router change only between requests. Actions are then checked
by their echo (``hub.verify``): the answer waits (without blocking the worker) until every
device has confirmed, or the verify timeout, and carries ``verified`` per entity.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from hub.config import MQTTConfig
from hub.config.discovery import DiscoveryConfig
from hub.excluding import leave_out
from hub.integrations.router import BindingError, BindingSettings, OutMessage, Router
from hub.messages import Command, ErrorInfo, Reply, Request
from hub.mqtt.admission import Admission, Verdict
from hub.mqtt.announce import announcements, last_request
from hub.mqtt.confirm import Answerer, Delivery
from hub.mqtt.dedupe import Deduper
from hub.mqtt.device_topics import DeviceTopics, device_topics
from hub.mqtt.envelopes import Answer, Destination, destination, error_reply, reply_to_command
from hub.mqtt.inbound import Inbound, Parsed, parse_command, parse_request, peek_envelope
from hub.mqtt.live import LiveHome, Update
from hub.mqtt.modelworker import Job, ModelWorker
from hub.mqtt.outcomes import action_events, checked_reply, without_unavailable
from hub.mqtt.record import Recorder
from hub.mqtt.topics import COMMAND, REQUEST, Origin, Topics
from hub.pipeline import NeedsModel, Pipeline, make_request
from hub.registry import State
from hub.security.policy import SecurityPolicy
from hub.store.db import Store
from hub.store.events import Event
from hub.store.request_ids import RequestIds
from hub.verify import Check, Ticket, Verifier, expectation

_LOGGER = logging.getLogger(__name__)

PRIVATE_ON_SHARED_TOPIC = (
    "That answer is private: ask with a reply_to topic only you may read (docs/security.md)."
)
PACKET_OVERHEAD = 64 * 1024  # bytes of topic and properties beside a payload
STALL_SECONDS = 120.0  # a job running longer than this makes the daemon unhealthy
UNSENT_MAX_AGE = 60.0  # answers held while the broker was away are dropped after this
BUS_BATCH = 2000  # bus messages applied at most between two requests
WARM_DELAY = 0.5  # seconds of a quiet bus after a change of the home before the tiers rebuild
CONFIRM_SECONDS = 5.0  # the broker's acknowledgement of the actions, before "acted" is answered
UNCONFIRMED = (
    "The connection to the MQTT broker dropped before it confirmed the actions: they may or may "
    "not have reached the devices."
)
_WAKE = Inbound(topic="", payload=b"")  # on the request queue: wakes the worker for the bus


class Link(Protocol):
    """What the daemon needs of a broker connection (``MQTTLink``, or a fake in tests)."""

    client_id: str

    @property
    def online(self) -> bool: ...
    def wait_listening(self, timeout: float) -> bool: ...
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
    def publish_actions(
        self, messages: list[OutMessage], *, expiry: int | None
    ) -> Delivery | None: ...


@dataclass(frozen=True)
class Pending:
    """An answer waiting for its devices to confirm."""

    inbound: Inbound
    kind: str
    answer: Answer


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
        discovery: DiscoveryConfig | None = None,
        on_event: Callable[[Event], None] | None = None,
        policy: SecurityPolicy | None = None,
        store: Store | None = None,
    ) -> None:
        """``policy``: who may send direct commands (None: ``security:`` defaults). ``store``:
        request ids acted on are kept there across restarts (None: in memory only)."""
        self.pipeline = pipeline
        self.settings = settings
        self.topics = Topics.of(settings)
        self.on_event = on_event
        self._binding_settings = BindingSettings(settings.prefix, settings.zigbee2mqtt_base)
        self.live = (
            LiveHome(pipeline.registry, discovery, settings.prefix)
            if discovery is not None
            else None
        )
        self.verifier = Verifier(discovery.verify_timeout) if discovery is not None else None
        self.router = Router(pipeline.registry, self._binding_settings)
        if self.live is not None:
            pipeline.registry = self.live.built.registry
            self.router = Router(
                pipeline.registry, self._binding_settings, self.live.built.bindings
            )
        self._bus: queue.SimpleQueue[Inbound] = queue.SimpleQueue()
        self._nudged = False
        self._nudge_lock = threading.Lock()
        self._warm_at: float | None = None  # when to prepare the tiers for a changed home
        self._exact: set[str] = self.live.exact_topics() if self.live is not None else set()
        self.stats = Stats()
        self._dedupe = Deduper(
            settings.dedupe_seconds, log=RequestIds(store) if store is not None else None
        )
        self.admission = Admission(settings, policy or SecurityPolicy(), self._dedupe)
        self._known: tuple[tuple[int, str], DeviceTopics] | None = None
        # Bounded by queue_size in submit(), counting only live messages: what the broker kept
        # while the hub was away (its own limit bounds that) is answered, never "busy".
        self._queue: queue.Queue[Inbound] = queue.Queue()
        self._live = 0  # live messages in _queue
        self._accepting = True
        self._stopping = threading.Event()
        self._deadline = float("inf")
        self._busy_since: float | None = None
        self._busy_streak = 0  # requests answered "busy" since the queue last had room
        self._stats_lock = threading.Lock()  # the callback and the worker both count
        self._unsent: deque[tuple[float, Answer]] = deque(maxlen=100)
        self._unsent_lock = threading.Lock()
        self._local: dict[str, Request] = {}  # submit_request: id -> the request as it was made
        self._listeners: dict[str, Callable[[Answer], None]] = {}  # submit_request's on_answer
        self._worker = threading.Thread(target=self._run, name="hub-worker", daemon=True)
        # requests that need the model wait on its own thread, never in front of the others
        self._model = ModelWorker(pipeline, self._model_done, limit=settings.queue_size)
        self._finished: queue.SimpleQueue[tuple[Job, Reply]] = queue.SimpleQueue()
        self._acted_at: dict[str, float] = {}  # entity -> arrival of the last request acting
        self._answers = Answerer(CONFIRM_SECONDS)  # answers in order, "acted" once acknowledged
        self._delivery: Delivery | None = None  # the actions _answer just handed over (worker)
        self.recorder: Recorder | None = None  # summaries: topics kept in the event log
        self.link: Link = (link_factory or _mqtt_link)(self)

    @property
    def max_packet(self) -> int:
        """The largest MQTT packet the broker may send the hub: a discovery payload at its cap
        (or, without discovery, 1 MiB), and room for the topic and properties."""
        largest = self.live.settings.max_payload if self.live is not None else 1 << 20
        return max(largest, self.settings.max_payload) + PACKET_OVERHEAD

    @property
    def subscriptions(self) -> list[str]:
        topics = list(self.topics.inputs)
        if self.settings.discovery:
            topics.append(self.topics.ha_status)
        if self.live is not None:
            topics += [*self.live.wildcards(), *sorted(self._exact)]
        return topics

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._answers.start()
        self._model.start()
        self._worker.start()
        self.link.start()

    def stop(self, drain_seconds: float = 10.0) -> None:
        """Answer what is queued (until the deadline), then go offline and disconnect."""
        self._accepting = False
        self._deadline = time.monotonic() + drain_seconds
        self._stopping.set()
        if self._worker.is_alive():
            self._worker.join(drain_seconds + 5.0)
        self._model.stop(1.0)
        self._answers.stop(CONFIRM_SECONDS + 1.0)
        self.link.stop()

    def alive(self) -> bool:
        """The worker, the model's thread, the answers and the network thread run (broker or
        not)."""
        threads = self._worker.is_alive() and self._model.alive() and self._answers.alive()
        return threads and self.link.alive()

    def healthy(self) -> bool:
        """Alive, and the worker is not stuck on one message."""
        busy = self._busy_since
        stuck = busy is not None and time.monotonic() - busy > STALL_SECONDS
        return self.alive() and not stuck

    @property
    def settled(self) -> bool:
        """No bus message waits (nor discovery held back by its rebuild interval) and the
        tiers are prepared for the current home."""
        held = self.live is not None and bool(self.live.pending)
        return self._bus.empty() and self._warm_at is None and not self._nudged and not held

    def status(self) -> str:
        s = self.stats
        state = "connected" if self.link.online else "waiting for the MQTT broker"
        return f"{state}; {s.received} requests, {s.acted} acted, {s.busy} busy"

    # -- local producers (hub.speech): a request made in the hub, queued like MQTT's ---------
    def submit_request(
        self, request: Request, on_answer: Callable[[Answer], None] | None = None
    ) -> None:
        """Queue ``request`` (it needs an id) as if it came on <prefix>/request: the worker acts on
        it and answers on <prefix>/response, keeping its own source, language and confidence.

        ``on_answer`` is called with the answer, on the thread that answers (``hub-answers``;
        paho's for "busy"), just before it is published: a local service (Wyoming) hands it back
        to its client.
        """
        payload = json.dumps({"text": request.text, "id": request.id}, ensure_ascii=False)
        self._local[str(request.id)] = request
        if on_answer is not None:
            self._listeners[str(request.id)] = on_answer
        data = payload.encode("utf-8")
        topic = self.topics.request
        self.submit(Inbound(topic, data, received=time.perf_counter(), size=len(data)))

    # -- paho's thread: check the size, enqueue ---------------------------------------------
    def submit(self, inbound: Inbound) -> None:
        recorded = self.recorder is not None and self.recorder.offer(inbound.topic, inbound.payload)
        if recorded and self.live is None and self._is_bus(inbound.topic):
            return  # recorded for summaries, and not a topic anything else here reads
        if self.live is not None and self._is_bus(inbound.topic):
            if self.live.admit(inbound.topic, inbound.size):  # else over discovery.max_payload
                self._bus.put(inbound)  # discovery and state
                self._nudge()
            return
        if inbound.size > self.settings.max_payload:
            inbound = replace(inbound, payload=b"")
        if not self._accepting and inbound.topic != self.topics.ha_status:
            self._reject_now(
                inbound, "shutting_down", "The hub is shutting down; nothing was done."
            )
            return
        if not inbound.queued:
            with self._stats_lock:
                full = self._live >= self.settings.queue_size
                self._live += 0 if full else 1
            if full:
                if inbound.topic != self.topics.ha_status:  # HA's birth message: the next will do
                    self._busy(inbound)
                return
        self._queue.put_nowait(inbound)
        if self._busy_streak:
            _LOGGER.warning(
                "The queue has room again; %d request(s) were answered busy", self._busy_streak
            )
            self._busy_streak = 0

    def _is_bus(self, topic: str) -> bool:
        """Not one of the hub's own topics: a discovery or state message for ``LiveHome``."""
        return not topic.startswith(self.topics.prefix + "/") and topic != self.topics.ha_status

    def _nudge(self) -> None:
        """Wake the worker for bus messages (one wake-up in the queue at most)."""
        with self._nudge_lock:
            if self._nudged:
                return
            self._nudged = True
        with contextlib.suppress(queue.Full):  # busy: the worker drains the bus before its next
            self._queue.put_nowait(_WAKE)

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
        answer = error_reply(self.topics, inbound, parsed, code, message, known=self._devices())
        self._count_error(code)
        self._error_event(inbound, parsed, code, message)
        if log:
            _LOGGER.warning("mqtt %s id=%s -> %s: %s", inbound.topic, parsed.id, code, message)
        self._publish_answer(answer)

    # -- the worker -------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            if self.live is not None:
                self._drain_bus()
                self._expire_checks()
                self._warm_when_quiet()
            self._finish_model_answers()
            try:
                inbound = self._queue.get(timeout=self._wait())
            except queue.Empty:
                if self._stopping.is_set() and self._model_idle():
                    self._expire_checks(force=True)
                    return
                continue
            if inbound is _WAKE:
                continue
            if not inbound.queued:
                with self._stats_lock:
                    self._live -= 1
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
        origin = self.topics.origin(inbound.topic) or Origin(REQUEST, "mqtt")
        kind = origin.kind
        self._delivery = None
        answer = self._answer(inbound, origin)
        delivery, self._delivery = self._delivery, None
        if answer is None:
            return  # a redelivery of a message answered already, or one the model answers
        self._conclude(inbound, kind, answer, delivery)

    def _conclude(
        self, inbound: Inbound, kind: str, answer: Answer, delivery: Delivery | None
    ) -> None:
        """Answer now, or once the devices confirm (with discovery), in request order."""
        if self.verifier is not None and answer.messages:
            self._count("acted")  # the devices' own echo tells whether it arrived
            ticket = self.verifier.start(
                self._checks(answer.reply.commands), Pending(inbound, kind, answer)
            )
            if not ticket.done:
                return  # answered when the devices confirm, or at the timeout
            self._finish(ticket)
            return
        self._answers.submit(
            delivery if answer.messages else None,
            lambda acknowledged: self._acknowledged(inbound, kind, answer, acknowledged),
        )

    def _acknowledged(self, inbound: Inbound, kind: str, answer: Answer, ok: bool) -> None:
        """On ``hub-answers``, in request order: the broker has the actions (or not)."""
        if answer.messages and ok:
            self._count("acted")
            self._action_events(answer, [])
        elif answer.messages:
            self._count_error("unconfirmed")
            self._error_event(inbound, Parsed(id=answer.id), "unconfirmed", UNCONFIRMED)
            error = ErrorInfo("unconfirmed", UNCONFIRMED)
            reply = replace(answer.reply, commands=(), reply=UNCONFIRMED, error=error)
            answer = replace(answer, reply=reply, messages=())
        self._deliver(inbound, kind, answer)

    def _deliver(self, inbound: Inbound, kind: str, answer: Answer) -> None:
        self._publish_answer(answer)
        if self.settings.discovery and not answer.reply.private:  # a secret is never retained
            self.link.publish(self.topics.last, last_request(answer.body, kind), retain=True)
        self._log(inbound, answer)

    # -- the live home and verification (worker thread) --------------------------------------
    def _wait(self) -> float:
        deadline = self.verifier.next_deadline() if self.verifier is not None else None
        if self._warm_at is not None:
            deadline = min(deadline or self._warm_at, self._warm_at)
        if deadline is None:
            return 0.2
        return min(0.2, max(0.005, deadline - time.monotonic()))

    def _warm_when_quiet(self) -> None:
        """Once the bus has been quiet for a moment after the home changed, prepare the
        template tier for the new registry (seconds for hundreds of devices), so that the
        next request does not pay for it."""
        if self._warm_at is None or time.monotonic() < self._warm_at or not self._bus.empty():
            return
        self.pipeline.warm(llm=False)
        self._warm_at = None

    def _drain_bus(self) -> None:
        live = self.live
        if live is None:
            return
        with self._nudge_lock:
            self._nudged = False
        update = Update()
        for _ in range(BUS_BATCH):
            try:
                message = self._bus.get_nowait()
            except queue.Empty:
                break
            try:
                live.handle(message.topic, message.payload, update)
            except Exception:
                _LOGGER.exception("Failed on a bus message from %s; skipped", message.topic)
        if update or live.due():  # due: discovery held back by the rebuild interval
            self._apply(live, update)

    def _apply(self, live: LiveHome, update: Update) -> None:
        before = self.pipeline.registry
        registry = live.registry(before, update)
        if update.structure:
            self.router = Router(registry, self._binding_settings, live.built.bindings)
            self._resubscribe(live)
            self._warm_at = time.monotonic() + WARM_DELAY
            origins = [live.built.origins.get(d.entity_id, "config") for d in registry.devices]
            _LOGGER.info(
                "The home changed: %d devices (%d config, %d zigbee2mqtt, %d homeassistant), "
                "version %s -> %s",
                len(registry.devices),
                origins.count("config"),
                origins.count("zigbee2mqtt"),
                origins.count("homeassistant"),
                before.version,
                registry.version,
            )
        else:
            self.router.registry = registry
        self.pipeline.registry = registry
        for entity_id, available in update.availability.items():
            _LOGGER.log(
                logging.INFO if available else logging.WARNING,
                "%s is %s",
                entity_id,
                "available again" if available else "unavailable",
            )
            self._emit(
                Event(
                    kind="device",
                    source="discovery",
                    entity_id=entity_id,
                    text=f"{entity_id} {'available' if available else 'unavailable'}",
                    detail={"available": available},
                )
            )
        if self.verifier is None:
            return
        seen = dict(update.states)
        for entity_id in update.availability:
            device = registry.device(entity_id)
            if device is not None and device.state.state == "unavailable":
                seen[entity_id] = device.state
        for entity_id, state in seen.items():
            for ticket in self.verifier.observe(entity_id, state):
                self._finish(ticket)

    def _resubscribe(self, live: LiveHome) -> None:
        """Follow the state topics the home now names (``MQTTLink.subscribe``; a link without
        it, as in some tests, gets the wildcards only)."""
        exact = live.exact_topics()
        new, gone = sorted(exact - self._exact), sorted(self._exact - exact)
        self._exact = exact
        subscribe = getattr(self.link, "subscribe", None)
        unsubscribe = getattr(self.link, "unsubscribe", None)
        if new and subscribe is not None:
            subscribe(new)
        if gone and unsubscribe is not None:
            unsubscribe(gone)

    def _expire_checks(self, *, force: bool = False) -> None:
        if self.verifier is None:
            return
        now = float("inf") if force else time.monotonic()
        for ticket in self.verifier.expire(now):
            self._finish(ticket)

    def _checks(self, commands: tuple[Command, ...]) -> list[Check]:
        registry = self.pipeline.registry
        sources = self.live.built.sources if self.live is not None else {}
        checks: list[Check] = []
        for command in commands:
            for entity_id in command.entity_ids:
                device = registry.device(entity_id)
                single = Command(command.action, (entity_id,), command.data)
                before = device.state if device is not None else State()
                predicate = expectation(single, before) if entity_id in sources else None
                checks.append(Check(entity_id, command.action, predicate))
        return checks

    def _finish(self, ticket: Ticket) -> None:
        pending = ticket.context
        if not isinstance(pending, Pending):
            return
        answer = pending.answer
        reply = checked_reply(answer.reply, ticket.checks, self.pipeline.registry)
        verified = (*answer.verified, *(c.to_dict() for c in ticket.checks))
        final = replace(answer, reply=reply, verified=verified)
        self._action_events(final, ticket.checks)  # recorded before the requester hears of it
        self._deliver(pending.inbound, pending.kind, final)

    def _action_events(self, answer: Answer, checks: list[Check]) -> None:
        if self.on_event is not None:
            for event in action_events(answer.reply, answer.id, checks):
                self._emit(event)

    def _emit(self, event: Event) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:
            _LOGGER.exception("The event hook failed on a %s event", event.kind)

    def _answer(self, inbound: Inbound, origin: Origin) -> Answer | None:
        """The answer to one request or command (None: a redelivery, answered before)."""
        kind = origin.kind
        limit = self.settings.max_payload
        if inbound.size > limit:
            return self._error(
                inbound,
                Parsed(),
                "too_large",
                f"The payload is {inbound.size} bytes; the limit is {limit}.",
            )
        parsed = (
            parse_command(inbound.payload) if kind == COMMAND else parse_request(inbound.payload)
        )
        if parsed.error is not None:
            return self._error(inbound, parsed, parsed.error.code, parsed.error.message)
        where = destination(self.topics, inbound, parsed, self._devices())
        if where.error is not None:
            return self._error(inbound, parsed, where.error.code, where.error.message)
        verdict = self.admission.check(inbound, parsed, origin)
        if verdict.silent:
            return None
        if verdict.error is not None:
            return self._error(inbound, parsed, verdict.error.code, verdict.error.message)
        if kind == COMMAND:
            reply = reply_to_command(parsed, self.pipeline.registry)
        else:
            request = make_request(
                self.pipeline.registry,
                parsed.text or "",
                area=parsed.area,
                source=origin.source,
                request_id=parsed.id,
            )
            request = replace(request, conversation_id=parsed.conversation_id)
            local = self._local.pop(parsed.id or "", None)  # from submit_request
            if local is not None:
                request = replace(local, area=request.area)
            try:
                reply = self.pipeline.ask(request, fast=True)
            except NeedsModel:
                return self._to_model(inbound, origin, parsed, verdict, where, request)
        return self._act(inbound, parsed, verdict, where, reply)

    def _to_model(
        self,
        inbound: Inbound,
        origin: Origin,
        parsed: Parsed,
        verdict: Verdict,
        where: Destination,
        request: Request,
    ) -> Answer | None:
        """Hand ``request`` to the model's thread; None: it is answered when the model is."""
        if self._model.submit(Job(request, (inbound, origin, parsed, verdict, where))):
            return None
        message = f"The hub is busy ({self._model.pending} requests wait for the model)."
        return self._error(inbound, parsed, "busy", message + " Nothing was done.")

    def _model_done(self, job: Job, reply: Reply) -> None:
        """On the model's thread: hand the reply back to the worker, which publishes."""
        self._finished.put((job, reply))
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(_WAKE)

    def _model_idle(self) -> bool:
        if time.monotonic() > self._deadline:  # stopping: what has not started is refused
            for job in self._model.take_waiting():
                inbound = job.context[0]
                self._reject_now(inbound, "shutting_down", "The hub stopped before this request.")
            return True
        return self._model.pending == 0 and self._finished.empty()

    def _finish_model_answers(self) -> None:
        while True:
            try:
                job, reply = self._finished.get_nowait()
            except queue.Empty:
                return
            inbound, origin, parsed, verdict, where = job.context
            try:
                self._delivery = None
                reply = self._not_superseded(inbound, reply)
                answer = self._act(inbound, parsed, verdict, where, reply)
                delivery, self._delivery = self._delivery, None
                if answer is not None:
                    self._conclude(inbound, origin.kind, answer, delivery)
            except Exception:
                _LOGGER.exception("Failed on the model's answer to %r", reply.text[:200])
                self._reject_now(inbound, "internal", "Internal error; nothing was done.")

    def _not_superseded(self, inbound: Inbound, reply: Reply) -> Reply:
        """A model answer leaves out the devices a later request acted on meanwhile: the
        actions on a device keep the order their requests came in."""
        later = {
            e
            for c in reply.commands
            for e in c.entity_ids
            if self._acted_at.get(e, float("-inf")) > inbound.received
        }
        if not later:
            return reply
        kept = leave_out(reply.commands, frozenset(later))
        names = ", ".join(sorted(later))
        _LOGGER.info("A later request acted on %s first; left out of %r", names, reply.text)
        if kept:
            return replace(reply, commands=kept)
        message = f"A later request changed {names} first, so nothing was done."
        return replace(reply, commands=(), reply=message, error=ErrorInfo("superseded", message))

    def _act(
        self,
        inbound: Inbound,
        parsed: Parsed,
        verdict: Verdict,
        where: Destination,
        reply: Reply,
    ) -> Answer:
        """Publish the reply's actions (checked once more: available, in time) and make the
        answer."""
        key = verdict.key
        skipped: tuple[dict[str, str], ...] = ()
        if self.live is not None and reply.commands:
            reply, skipped = without_unavailable(reply, self.pipeline.registry)
            if not reply.commands:
                return replace(
                    self._error(inbound, parsed, "device_unavailable", reply.reply, reply),
                    verified=skipped,
                )
        if not reply.commands:
            return Answer(where.topic, inbound.correlation, reply, parsed.id)
        try:
            messages = self.router.messages(reply.commands)
        except BindingError as exc:
            failed = replace(reply, commands=(), reply=f"I can't do that: {exc}.")
            return self._error(inbound, parsed, exc.code, str(exc), failed)
        late = self.admission.too_late(inbound, verdict, reply.ms)
        if late is not None:
            self._error_event(inbound, parsed, late.code, late.message)
            failed = replace(reply, commands=(), reply=late.message)
            return self._error(inbound, parsed, late.code, late.message, failed)
        if key is not None:
            self._dedupe.remember(key)  # before publishing: a crash in between never acts twice
        delivery = self.link.publish_actions(messages, expiry=self.settings.message_expiry)
        if delivery is None:
            if key is not None:
                self._dedupe.forget(key)  # not acted on: it may be sent again
            message = "The MQTT broker is unreachable, so nothing was done."
            failed = replace(reply, commands=(), reply=message)
            return self._error(inbound, parsed, "broker_unavailable", message, failed)
        self._delivery = delivery  # answered "acted" once acknowledged; the id stays remembered
        for command in reply.commands:
            for entity_id in command.entity_ids:
                self._acted_at[entity_id] = max(
                    inbound.received, self._acted_at.get(entity_id, float("-inf"))
                )
        self.stats.overhead_ms.append((time.perf_counter() - inbound.received) * 1000 - reply.ms)
        return Answer(where.topic, inbound.correlation, reply, parsed.id, messages, skipped)

    def _error(
        self, inbound: Inbound, parsed: Parsed, code: str, message: str, reply: Reply | None = None
    ) -> Answer:
        self._count_error(code)
        if reply is None:  # the pipeline's own errors are in its request event already
            self._error_event(inbound, parsed, code, message)
        return error_reply(self.topics, inbound, parsed, code, message, reply, self._devices())

    def _devices(self) -> DeviceTopics:
        """The devices' command and state topics (no answer goes there), for the current home."""
        key = (id(self.router), self.pipeline.registry.version)
        known = self._known
        if known is None or known[0] != key:
            states = self.live.built.topics() if self.live is not None else {}
            topics = device_topics(self.router, states)
            stream = self.live.stream if self.live is not None else None
            if stream is not None:  # an answer there would come back as a device's state
                topics = replace(topics, roots=topics.roots | {stream.base})
            known = (key, topics)
            self._known = known
        return known[1]

    def _error_event(self, inbound: Inbound, parsed: Parsed, code: str, message: str) -> None:
        detail = {"code": code, "topic": inbound.topic}
        event = Event(
            "error", source="mqtt", text=message, outcome=code, detail=detail, request_id=parsed.id
        )
        self._emit(event)

    def _count(self, name: str) -> None:
        with self._stats_lock:
            setattr(self.stats, name, getattr(self.stats, name) + 1)

    def _count_error(self, code: str) -> None:
        with self._stats_lock:
            self.stats.errors[code] = self.stats.errors.get(code, 0) + 1

    def _publish_answer(self, answer: Answer) -> None:
        listener = self._listeners.pop(answer.id, None) if answer.id is not None else None
        if listener is not None:
            try:
                listener(answer)
            except Exception:
                _LOGGER.exception("The listener of request %s failed", answer.id)
        if answer.reply.private and answer.topic == self.topics.response:
            # everyone who may read the shared topic would hear the secret
            answer = replace(answer, reply=replace(answer.reply, reply=PRIVATE_ON_SHARED_TOPIC))
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
        checked = ", ".join(f"{v['entity_id']} {v['status']}" for v in answer.verified)
        doubt = any(v["status"] not in ("confirmed", "published") for v in answer.verified)
        _LOGGER.log(
            logging.WARNING if error or doubt else logging.INFO,
            "mqtt %s id=%s%s%s -> %s; answer on %s%s%s",
            inbound.topic,
            answer.id,
            " (correlated)" if inbound.correlation is not None else "",
            direct,
            sent,
            answer.topic,
            f" ({checked})" if checked else "",
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
        session=True,
        marker_prefix=daemon.topics.markers,
        max_packet=daemon.max_packet,
    )
