"""The worker: one thread takes the queued messages in order and answers each one.

For each message: the size, the envelope and the reply topic are checked, then admission
(``hub.mqtt.admission``: retained, redelivered, unauthorised, too old); a command is validated,
a request goes through the pipeline's fast tiers. A request the fast tiers cannot answer goes to
the model's own thread (``hub.mqtt.modelworker``) and comes back here when answered, so nothing
fast waits behind the model. The reply's actions are published through the bindings (checked
once more: available, in time, not superseded by a later request on the same device) and the
answer goes out in request order once the broker has the actions (``hub.mqtt.confirm``), or,
with discovery, once the devices confirm (``hub.mqtt.verification``). Between two messages the
worker applies the live bus (``hub.mqtt.bus``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from hub.config import MQTTConfig
from hub.excluding import leave_out
from hub.integrations.router import BindingError, BindingSettings, Router
from hub.messages import ErrorInfo, Reply, Request
from hub.mqtt.admission import Admission, Verdict
from hub.mqtt.announce import announcements
from hub.mqtt.bus import Bus
from hub.mqtt.confirm import Answerer, Delivery
from hub.mqtt.dedupe import Deduper
from hub.mqtt.device_topics import DeviceTopics, device_topics
from hub.mqtt.envelopes import Answer, Destination, destination, error_reply, reply_to_command
from hub.mqtt.inbound import Inbound, Parsed, parse_command, parse_request, peek_envelope
from hub.mqtt.intake import WAKE, Intake
from hub.mqtt.live import LiveHome
from hub.mqtt.modelworker import Job, ModelWorker
from hub.mqtt.outbox import Outbox
from hub.mqtt.outcomes import action_events, without_unavailable
from hub.mqtt.stats import Stats
from hub.mqtt.topics import COMMAND, REQUEST, Origin, Topics
from hub.mqtt.verification import Pending, Verification
from hub.pipeline import NeedsModel, Pipeline, make_request
from hub.registry import Registry
from hub.store.events import Event
from hub.verify import Check

_LOGGER = logging.getLogger(__name__)

CONFIRM_SECONDS = 5.0  # the broker's acknowledgement of the actions, before "acted" is answered
UNCONFIRMED = (
    "The connection to the MQTT broker dropped before it confirmed the actions: they may or may "
    "not have reached the devices."
)


class Worker:
    def __init__(
        self,
        pipeline: Pipeline,
        settings: MQTTConfig,
        topics: Topics,
        stats: Stats,
        *,
        intake: Intake,
        outbox: Outbox,
        admission: Admission,
        dedupe: Deduper,
        binding_settings: BindingSettings,
        live: LiveHome | None = None,
        on_event: Callable[[Event], None] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.settings = settings
        self.topics = topics
        self.stats = stats
        self.intake = intake
        self.outbox = outbox
        self.admission = admission
        self.live = live
        self.on_event = on_event
        self._dedupe = dedupe
        self._binding_settings = binding_settings
        self.router = Router(pipeline.registry, binding_settings)
        if live is not None:
            self.router = Router(pipeline.registry, binding_settings, live.built.bindings)
        self.bus: Bus | None = None
        self.verification: Verification | None = None
        self._known: tuple[tuple[int, str], DeviceTopics] | None = None
        self.stopping = threading.Event()
        self.deadline = float("inf")
        self.busy_since: float | None = None
        self._thread = threading.Thread(target=self._run, name="hub-worker", daemon=True)
        # requests that need the model wait on its own thread, never in front of the others
        self.model = ModelWorker(pipeline, self._model_done, limit=settings.queue_size)
        self._finished: queue.SimpleQueue[tuple[Job, Reply]] = queue.SimpleQueue()
        self._acted_at: dict[str, float] = {}  # entity -> arrival of the last request acting
        self.answers = Answerer(CONFIRM_SECONDS)  # answers in order, "acted" once acknowledged
        self._delivery: Delivery | None = None  # the actions _answer just handed over

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        self.answers.start()
        self.model.start()
        self._thread.start()

    def stop(self, drain_seconds: float) -> None:
        """Answer what is queued (until the deadline), then stop."""
        self.deadline = time.monotonic() + drain_seconds
        self.stopping.set()
        if self._thread.is_alive():
            self._thread.join(drain_seconds + 5.0)
        self.model.stop(1.0)
        self.answers.stop(CONFIRM_SECONDS + 1.0)

    def alive(self) -> bool:
        return self._thread.is_alive() and self.model.alive() and self.answers.alive()

    def on_home(self, registry: Registry, structure: bool) -> None:
        """The home is now ``registry`` (from the live bus, on this thread)."""
        if structure and self.live is not None:
            self.router = Router(registry, self._binding_settings, self.live.built.bindings)
        else:
            self.router.registry = registry
        self.pipeline.registry = registry

    def announce(self) -> None:
        for item in announcements(self.topics, self.outbox.link.client_id):
            self.outbox.link.publish(item.topic, item.payload, retain=True)

    def reject_now(self, inbound: Inbound, code: str, message: str, log: bool = True) -> None:
        """Answer ``inbound`` at once with an error (any thread)."""
        parsed = (
            Parsed() if inbound.size > self.settings.max_payload else peek_envelope(inbound.payload)
        )
        answer = error_reply(self.topics, inbound, parsed, code, message, known=self.devices())
        self.stats.count_error(code)
        self._error_event(inbound, parsed, code, message)
        if log:
            _LOGGER.warning("mqtt %s id=%s -> %s: %s", inbound.topic, parsed.id, code, message)
        self.outbox.publish(answer)

    def devices(self) -> DeviceTopics:
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

    # -- the loop ---------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            if self.bus is not None:
                self.bus.drain()
                self._expire_checks()
                self.bus.warm_when_quiet()
            self._finish_model_answers()
            inbound = self.intake.take(self._wait())
            if inbound is None:
                if self.stopping.is_set() and self._model_idle():
                    self._expire_checks(force=True)
                    return
                continue
            if inbound is WAKE:
                continue
            self.busy_since = time.monotonic()
            try:
                if time.monotonic() > self.deadline:
                    self.reject_now(
                        inbound, "shutting_down", "The hub stopped before this request."
                    )
                else:
                    self._handle(inbound)
            except Exception:
                _LOGGER.exception("Failed on a message from %s", inbound.topic)
                self.reject_now(inbound, "internal", "Internal error; nothing was done.")
            finally:
                self.busy_since = None

    def _wait(self) -> float:
        deadline = self.verification.next_deadline() if self.verification is not None else None
        warm_at = self.bus.warm_at if self.bus is not None else None
        if warm_at is not None:
            deadline = min(deadline or warm_at, warm_at)
        if deadline is None:
            return 0.2
        return min(0.2, max(0.005, deadline - time.monotonic()))

    def _expire_checks(self, *, force: bool = False) -> None:
        if self.verification is not None:
            self.verification.expire(float("inf") if force else time.monotonic())

    def _handle(self, inbound: Inbound) -> None:
        if inbound.topic == self.topics.ha_status:
            if inbound.payload.strip().lower() == b"online" and self.settings.discovery:
                self.announce()
            return
        self.stats.count("received")
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
        if self.verification is not None and answer.messages:
            self.stats.count("acted")  # the devices' own echo tells whether it arrived
            self.verification.start(Pending(inbound, kind, answer))
            return
        self.answers.submit(
            delivery if answer.messages else None,
            lambda acknowledged: self._acknowledged(inbound, kind, answer, acknowledged),
        )

    def _acknowledged(self, inbound: Inbound, kind: str, answer: Answer, ok: bool) -> None:
        """On ``hub-answers``, in request order: the broker has the actions (or not)."""
        if answer.messages and ok:
            self.stats.count("acted")
            self.action_events(answer, [])
        elif answer.messages:
            self.stats.count_error("unconfirmed")
            self._error_event(inbound, Parsed(id=answer.id), "unconfirmed", UNCONFIRMED)
            error = ErrorInfo("unconfirmed", UNCONFIRMED)
            reply = replace(answer.reply, commands=(), reply=UNCONFIRMED, error=error)
            answer = replace(answer, reply=reply, messages=())
        self.outbox.deliver(inbound, kind, answer)

    def action_events(self, answer: Answer, checks: list[Check]) -> None:
        if self.on_event is not None:
            for event in action_events(answer.reply, answer.id, checks):
                self.emit(event)

    def emit(self, event: Event) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:
            _LOGGER.exception("The event hook failed on a %s event", event.kind)

    # -- one message ------------------------------------------------------------------------
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
        where = destination(self.topics, inbound, parsed, self.devices())
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
            local = self.intake.local(parsed.id)  # from submit_request
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
        if self.model.submit(Job(request, (inbound, origin, parsed, verdict, where))):
            return None
        message = f"The hub is busy ({self.model.pending} requests wait for the model)."
        return self._error(inbound, parsed, "busy", message + " Nothing was done.")

    def _model_done(self, job: Job, reply: Reply) -> None:
        """On the model's thread: hand the reply back to the worker, which publishes."""
        self._finished.put((job, reply))
        self.intake.wake()

    def _model_idle(self) -> bool:
        if time.monotonic() > self.deadline:  # stopping: what has not started is refused
            for job in self.model.take_waiting():
                inbound = job.context[0]
                self.reject_now(inbound, "shutting_down", "The hub stopped before this request.")
            return True
        return self.model.pending == 0 and self._finished.empty()

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
                self.reject_now(inbound, "internal", "Internal error; nothing was done.")

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
        delivery = self.outbox.link.publish_actions(messages, expiry=self.settings.message_expiry)
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
        self.stats.count_error(code)
        if reply is None:  # the pipeline's own errors are in its request event already
            self._error_event(inbound, parsed, code, message)
        return error_reply(self.topics, inbound, parsed, code, message, reply, self.devices())

    def _error_event(self, inbound: Inbound, parsed: Parsed, code: str, message: str) -> None:
        detail = {"code": code, "topic": inbound.topic}
        event = Event(
            "error", source="mqtt", text=message, outcome=code, detail=detail, request_id=parsed.id
        )
        self.emit(event)
