"""The daemon: MQTT messages in, through one worker thread, actions and answers out.

Concurrency lives in ``hub.mqtt`` and only there, split by job:

- ``intake``: paho's callback (``submit``) checks the size and puts the message on a bounded
  queue, or answers at once ("busy", "shutting_down"); never dropped silently.
- ``worker``: one thread takes the messages in order, runs the pipeline's fast tiers, hands a
  request for the model to the model's own thread (``modelworker``) and publishes the actions
  through the bindings; ``outbox`` answers the requester.
- ``bus``: with a ``discovery:`` section, discovery and state messages go to a second,
  unbounded queue that the same worker drains before each request, so ``pipeline.registry``
  and the router change only between requests.
- ``verification``: with discovery, an answer waits (without blocking the worker) until every
  device has confirmed, or the verify timeout, and carries ``verified`` per entity.

Requests come on ``<prefix>/request`` and ``<prefix>/request/<name>`` (source ``mqtt/<name>``),
commands on ``<prefix>/command[/<name>]``. Before anything runs, ``hub.mqtt.admission`` refuses
retained messages, broker redeliveries, commands from sources the security policy does not
allow, request ids acted on already (remembered in the store across restarts) and messages past
their deadline (``hub.mqtt.freshness``: proven from the hub's markers); the deadline is checked
again just before the actions are published. ``stop`` drains what is queued (up to a deadline)
before the hub goes offline.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from hub.config import MQTTConfig
from hub.config.discovery import DiscoveryConfig
from hub.integrations.router import BindingSettings
from hub.messages import Request
from hub.mqtt.admission import Admission
from hub.mqtt.bus import Bus
from hub.mqtt.dedupe import Deduper
from hub.mqtt.envelopes import Answer
from hub.mqtt.inbound import Inbound
from hub.mqtt.intake import Intake
from hub.mqtt.link import Link
from hub.mqtt.live import LiveHome
from hub.mqtt.outbox import Outbox
from hub.mqtt.record import Recorder
from hub.mqtt.stats import Stats
from hub.mqtt.topics import Topics
from hub.mqtt.verification import Verification
from hub.mqtt.worker import Worker
from hub.pipeline import Pipeline
from hub.security.policy import SecurityPolicy
from hub.store.db import Store
from hub.store.events import Event
from hub.store.request_ids import RequestIds
from hub.verify import Verifier

_LOGGER = logging.getLogger(__name__)

PACKET_OVERHEAD = 64 * 1024  # bytes of topic and properties beside a payload
STALL_SECONDS = 120.0  # a job running longer than this makes the daemon unhealthy


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
        self.stats = Stats()
        self.live = (
            LiveHome(pipeline.registry, discovery, settings.prefix)
            if discovery is not None
            else None
        )
        if self.live is not None:
            pipeline.registry = self.live.built.registry
        dedupe = Deduper(
            settings.dedupe_seconds, log=RequestIds(store) if store is not None else None
        )
        self.admission = Admission(settings, policy or SecurityPolicy(), dedupe)
        self.outbox = Outbox(settings, self.topics, self.stats)
        self.intake = Intake(settings, self.topics, self.stats, reject=self._reject)
        self.worker = Worker(
            pipeline,
            settings,
            self.topics,
            self.stats,
            intake=self.intake,
            outbox=self.outbox,
            admission=self.admission,
            dedupe=dedupe,
            binding_settings=BindingSettings(settings.prefix, settings.zigbee2mqtt_base),
            live=self.live,
            on_event=on_event,
        )
        self.bus: Bus | None = None
        if self.live is not None and discovery is not None:
            live = self.live
            verification = Verification(
                Verifier(discovery.verify_timeout),
                registry=lambda: pipeline.registry,
                sources=lambda: live.built.sources,
                on_verified=self.worker.action_events,
                deliver=self.outbox.deliver,
            )
            self.bus = Bus(
                live,
                pipeline,
                on_home=self.worker.on_home,
                emit=self.worker.emit,
                wake=self.intake.wake,
                verification=verification,
                prepare_model=self.worker.model.prepare,
            )
            self.intake.bus = self.bus
            self.worker.bus = self.bus
            self.worker.verification = verification
        self.link: Link = (link_factory or _mqtt_link)(self)
        self.outbox.attach(self.link)
        if self.bus is not None:
            self.bus.link = self.link

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
        if self.live is not None and self.bus is not None:
            topics += [*self.live.wildcards(), *sorted(self.bus.exact)]
        return topics

    @property
    def recorder(self) -> Recorder | None:
        """Summaries: the topics kept in the event log (set by the lifecycle)."""
        return self.intake.recorder

    @recorder.setter
    def recorder(self, recorder: Recorder | None) -> None:
        self.intake.recorder = recorder

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        self.worker.start()
        self.link.start()

    def stop(self, drain_seconds: float = 10.0) -> None:
        """Answer what is queued (until the deadline), then go offline and disconnect."""
        self.intake.accepting = False
        self.worker.stop(drain_seconds)
        self.link.stop()

    @property
    def accepting(self) -> bool:
        """False once ``stop`` began: what arrives then is answered "shutting_down"."""
        return self.intake.accepting

    @property
    def drain_deadline(self) -> float:
        """When ``stop`` stops answering what is still queued (monotonic; inf before)."""
        return self.worker.deadline

    def alive(self) -> bool:
        """The worker, the model's thread, the answers and the network thread run (broker or
        not)."""
        return self.worker.alive() and self.link.alive()

    def healthy(self) -> bool:
        """Alive, and the worker is not stuck on one message."""
        busy = self.worker.busy_since
        stuck = busy is not None and time.monotonic() - busy > STALL_SECONDS
        return self.alive() and not stuck

    @property
    def settled(self) -> bool:
        """No bus message waits (nor discovery held back by its rebuild interval) and the
        tiers are prepared for the current home."""
        return self.bus is None or self.bus.settled

    def status(self) -> str:
        s = self.stats
        state = "connected" if self.link.online else "waiting for the MQTT broker"
        return f"{state}; {s.received} requests, {s.acted} acted, {s.busy} busy"

    # -- in: paho's thread and local producers ----------------------------------------------
    def submit(self, inbound: Inbound) -> None:
        self.intake.submit(inbound)

    def submit_request(
        self, request: Request, on_answer: Callable[[Answer], None] | None = None
    ) -> None:
        """Queue ``request`` (it needs an id) as if it came on <prefix>/request: the worker acts on
        it and answers on <prefix>/response, keeping its own source, language and confidence.

        ``on_answer`` is called with the answer, on the thread that answers (``hub-answers``;
        paho's for "busy"), just before it is published: a local service (Wyoming) hands it back
        to its client.
        """
        if on_answer is not None:
            self.outbox.listen(str(request.id), on_answer)
        self.intake.submit_request(request)

    def on_online(self) -> None:
        """Connected (again): announce to Home Assistant, deliver answers held meanwhile."""
        if self.settings.discovery:
            self.announce()
        self.outbox.flush()

    def announce(self) -> None:
        self.worker.announce()

    def _reject(self, inbound: Inbound, code: str, message: str, log: bool) -> None:
        self.worker.reject_now(inbound, code, message, log)


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
