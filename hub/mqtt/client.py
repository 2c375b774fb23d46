"""The MQTT connection, over paho-mqtt 2.x (VERSION2 callbacks). The only module importing paho.

- MQTT 5 by default (3.1.1 by config), TLS and username/password from the config, a stable
  client id, a retained ``<prefix>/status`` with ``offline`` as the last will.
- The daemon's link (``session=True``) keeps a persistent session: MQTT 5 ``clean_start`` off
  with a ``SessionExpiryInterval`` of ``mqtt.session_expiry`` (3.1.1: ``clean_session`` off),
  subscriptions at QoS 1, so the broker queues requests while the hub is away and delivers
  them on reconnection. Its markers (``hub.mqtt.freshness``) tell how old each one can be.
- paho's network thread reconnects with a backoff (1 s doubling up to ``reconnect_max_delay``,
  each wait ±20% at random so that many clients do not come back in step); subscriptions are
  made in ``on_connect``, so they survive a broker that lost them.
- Actions are never sent late: while the broker is away nothing is published (``publish``
  returns False), and actions paho still holds when the connection drops are discarded
  instead of being resent on reconnect. Answers it still holds are published again after the
  reconnection (within ``RESEND_MAX_AGE``). Callbacks only hand messages on; they never raise.
"""

from __future__ import annotations

import logging
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hub.config import MQTTConfig
from hub.errors import HubError
from hub.integrations.binding import OutMessage
from hub.mqtt.freshness import Anchor, probe_interval
from hub.mqtt.inbound import Inbound

if TYPE_CHECKING:
    from paho.mqtt.client import MQTTMessageInfo

_LOGGER = logging.getLogger(__name__)

ONLINE, OFFLINE = "online", "offline"
JITTER = 0.2  # each reconnect wait is its backoff times 1 ± this, at random
RESEND_MAX_AGE = 60.0  # answers unacknowledged at a disconnection are resent within this
MARKER_SILENCE = 10.0  # seconds without a marker's echo before the journal hears of it


def default_client_id() -> str:
    """``hub-<hostname>``: stable across restarts, distinct between machines."""
    host = "".join(ch for ch in socket.gethostname() if ch.isalnum() or ch in "-_")
    return f"hub-{host or 'local'}"[:64]


class MQTTLink:
    """One broker connection, kept up by paho's network thread."""

    def __init__(
        self,
        settings: MQTTConfig,
        *,
        status_topic: str | None,
        subscriptions: Sequence[str] = (),
        on_message: Callable[[Inbound], None] | None = None,
        on_online: Callable[[], None] | None = None,
        reconnect_min_delay: int = 1,
        client_id: str | None = None,
        session: bool = False,
        marker_prefix: str | None = None,
        max_packet: int | None = None,
    ) -> None:
        """``session``: keep a persistent session (the daemon; not ``hub ask --publish``).
        ``marker_prefix``: publish freshness markers on ``<marker_prefix>/<client id>``.
        ``max_packet``: MQTT 5 Maximum Packet Size: the broker drops larger messages instead
        of sending them (a 15 MB payload would hold every request behind it on the socket
        for seconds while paho reads it)."""
        self.max_packet = max_packet
        try:
            import paho.mqtt.client as mqtt
            from paho.mqtt.enums import CallbackAPIVersion
        except ImportError:
            raise HubError(
                "paho-mqtt 2.x is not installed: .venv/bin/pip install 'paho-mqtt>=2,<3'",
                code="missing_dependency",
            ) from None

        self.settings = settings
        self.status_topic = status_topic
        self.subscriptions = tuple(subscriptions)
        self.client_id = client_id or settings.client_id or default_client_id()
        self.v5 = settings.protocol == "5"
        self.persistent = session and settings.session_expiry > 0
        self.anchor = (
            Anchor(f"{marker_prefix}/{_topic_safe(self.client_id)}")
            if marker_prefix is not None
            else None
        )
        if self.anchor is not None:
            self.subscriptions = (*self.subscriptions, self.anchor.topic)
        self._on_message = on_message
        self._on_online = on_online
        self._lock = threading.RLock()  # the online flag and every publish batch
        self._online = threading.Event()
        self._listening = threading.Event()  # every SUBSCRIBE of this connection acknowledged
        self._unacked: set[int] = set()  # message ids of those SUBSCRIBEs
        self._stopping = False
        self._stopped = threading.Event()  # ends the marker thread
        self._failures = 0
        self._reconnect_min_delay = reconnect_min_delay
        self._action_mids: set[int] = set()  # actions not yet acknowledged: never resent
        self._mids_lock = threading.Lock()
        self._generation = 0  # connections lost so far
        self._resend: list[tuple[float, Any]] = []  # answers dropped at a disconnection
        self._silence_reported = False
        self.connects = 0  # successful connections so far (1 + reconnects)
        self._expiry_properties: dict[int | None, Any] = {}
        protocol = mqtt.MQTTv5 if self.v5 else mqtt.MQTTv311
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=protocol,
            clean_session=None if self.v5 else not self.persistent,
        )
        self._client.suppress_exceptions = True
        self._client.reconnect_delay_set(reconnect_min_delay, settings.reconnect_max_delay)
        if status_topic is not None:
            self._client.will_set(status_topic, OFFLINE, qos=1, retain=True)
        if settings.username is not None:
            self._client.username_pw_set(settings.username, settings.password)
        if settings.tls is not None:
            tls = settings.tls
            self._client.tls_set(
                ca_certs=str(tls.ca_file) if tls.ca_file else None,
                certfile=str(tls.cert_file) if tls.cert_file else None,
                keyfile=str(tls.key_file) if tls.key_file else None,
                cert_reqs=ssl.CERT_NONE if tls.insecure else ssl.CERT_REQUIRED,
            )
            self._client.tls_insecure_set(tls.insecure)
        self._client.on_connect = self._handle_connect
        self._client.on_connect_fail = self._handle_connect_fail
        self._client.on_disconnect = self._handle_disconnect
        self._client.on_message = self._handle_message
        self._client.on_subscribe = self._handle_subscribe
        self._client.on_publish = self._handle_publish
        self._client.on_pre_connect = self._handle_pre_connect
        self._client.on_socket_open = self._handle_socket_open

    # -- life cycle -------------------------------------------------------------------------
    @property
    def where(self) -> str:
        s = self.settings
        extras = ["MQTT 5" if self.v5 else "MQTT 3.1.1"]
        if s.tls is not None:
            extras.append("TLS")
        if s.username:
            extras.append(f"user {s.username}")
        return f"{s.host}:{s.port} as {self.client_id} ({', '.join(extras)})"

    def start(self) -> None:
        """Connect in the background; paho retries until the broker answers."""
        kwargs: dict[str, Any] = {"keepalive": self.settings.keepalive}
        if self.v5:
            kwargs["clean_start"] = not self.persistent
            if self.persistent or self.max_packet:
                from paho.mqtt.packettypes import PacketTypes
                from paho.mqtt.properties import Properties

                properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
                if self.persistent:
                    properties.SessionExpiryInterval = self.settings.session_expiry
                if self.max_packet:
                    properties.MaximumPacketSize = self.max_packet
                kwargs["properties"] = properties
        self._client.connect_async(self.settings.host, self.settings.port, **kwargs)
        self._client.loop_start()
        if self.anchor is not None:
            threading.Thread(target=self._probe, name="hub-mqtt-marker", daemon=True).start()

    def stop(self, timeout: float = 3.0) -> None:
        """Publish ``offline`` (a clean disconnect sends no last will), then disconnect."""
        self._stopping = True
        self._stopped.set()
        with self._lock:
            online = self._online.is_set()
            self._online.clear()
            self._listening.clear()
        if online and self.status_topic is not None:
            info = self._client.publish(self.status_topic, OFFLINE, qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                _LOGGER.warning("Could not publish %s before disconnecting", OFFLINE)
        self._client.disconnect()
        self._client.loop_stop()

    @property
    def online(self) -> bool:
        return self._online.is_set()

    @property
    def generation(self) -> int:
        """Connections lost so far."""
        return self._generation

    def wait_online(self, timeout: float) -> bool:
        return self._online.wait(timeout)

    @property
    def listening(self) -> bool:
        """Connected, and the broker has acknowledged every subscription of this connection.

        Between the two a request published by someone else is not delivered to us yet.
        """
        return self._listening.is_set()

    def wait_listening(self, timeout: float) -> bool:
        return self._listening.wait(timeout)

    def alive(self) -> bool:
        """Whether paho's network thread is running (False before start and after stop)."""
        thread = getattr(self._client, "_thread", None)
        return isinstance(thread, threading.Thread) and thread.is_alive()

    def subscribe(self, topics: Sequence[str]) -> None:
        """Subscribe to more topics now (if connected) and after every reconnection."""
        with self._lock:
            new = [t for t in topics if t not in self.subscriptions]
            if not new:
                return
            self.subscriptions = (*self.subscriptions, *new)
            if self._online.is_set():
                self._client.subscribe([(t, 1) for t in new])

    def unsubscribe(self, topics: Sequence[str]) -> None:
        with self._lock:
            gone = [t for t in topics if t in self.subscriptions]
            if not gone:
                return
            self.subscriptions = tuple(t for t in self.subscriptions if t not in gone)
            if self._online.is_set():
                self._client.unsubscribe(gone)

    # -- publishing -------------------------------------------------------------------------
    def publish(
        self,
        topic: str,
        payload: str | bytes,
        *,
        retain: bool = False,
        expiry: int | None = None,
        correlation: bytes | None = None,
    ) -> bool:
        """Publish at QoS 1; False (and nothing queued) while the broker is away."""
        with self._lock:
            if not self._online.is_set():
                return False
            return self._send(topic, payload, retain, expiry, correlation) is not None

    def publish_all(
        self, messages: Sequence[OutMessage], *, expiry: int | None, wait: float = 0.0
    ) -> bool:
        """Publish every message, or none of them when the broker is away.

        ``wait`` > 0: also wait that long for the broker to acknowledge them all.
        """
        sent = self.publish_actions(messages, expiry=expiry)
        if sent is None:
            return False
        return sent.wait(wait) if wait > 0 else sent.complete

    def publish_actions(self, messages: Sequence[OutMessage], *, expiry: int | None) -> Sent | None:
        """Hand the actions to paho at QoS 1; None (nothing sent) while the broker is away.
        ``Sent.wait`` tells when the broker has them."""
        with self._lock:
            if not self._online.is_set():
                return None
            sent = [self._send(m.topic, m.payload, False, expiry, None) for m in messages]
            infos = [info for info in sent if info is not None]
            # under _lock, so that a disconnection sees them as actions; paho is not called
            # while _mids_lock is held (its on_publish takes it under paho's own lock)
            with self._mids_lock:
                self._action_mids.update(info.mid for info in infos)
            if not infos and messages:
                return None
            return Sent(self, self._generation, infos, complete=len(infos) == len(sent))

    def _send(
        self,
        topic: str,
        payload: str | bytes,
        retain: bool,
        expiry: int | None,
        correlation: bytes | None,
    ) -> MQTTMessageInfo | None:
        """paho's MQTTMessageInfo, or None when paho could not take the message."""
        properties = self._properties(expiry, correlation) if self.v5 else None
        info = self._client.publish(topic, payload, qos=1, retain=retain, properties=properties)
        return info if info.rc == 0 else None

    def _properties(self, expiry: int | None, correlation: bytes | None) -> Any:
        """MQTT 5 PUBLISH properties; those with only an expiry are made once and reused."""
        if not expiry and correlation is None:
            return None
        if correlation is None and expiry in self._expiry_properties:
            return self._expiry_properties[expiry]
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        if expiry:
            properties.MessageExpiryInterval = expiry
        if correlation is None:
            self._expiry_properties[expiry] = properties
        else:
            properties.CorrelationData = correlation
        return properties

    # -- paho callbacks (network thread) ----------------------------------------------------
    def _handle_connect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        try:
            if reason.is_failure:
                _LOGGER.error("The MQTT broker %s refused the connection: %s", self.where, reason)
                return
            session_present = bool(getattr(flags, "session_present", False))
            with self._lock:
                self._drop_unsent("before reconnecting")
                subscriptions = list(self.subscriptions)
                self._unacked.clear()
                for start in range(0, len(subscriptions), 100):  # one SUBSCRIBE per 100
                    _, mid = client.subscribe([(t, 1) for t in subscriptions[start : start + 100]])
                    if mid is not None:
                        self._unacked.add(mid)
                if not self._unacked:
                    self._listening.set()
                if self.status_topic is not None:
                    self._send(self.status_topic, ONLINE, True, None, None)
                self._resend_answers()
                if self.anchor is not None:
                    marker = self.anchor.connected(session_present)
                    self._send(self.anchor.topic, marker, False, None, None)
                self._online.set()
                self.connects += 1
            _LOGGER.info(
                "%s to %s%s",
                "Connected" if self.connects == 1 else "Reconnected",
                self.where,
                "; the broker kept the hub's session" if session_present else "",
            )
            self._failures = 0
            self._silence_reported = False
            if self._on_online is not None:
                self._on_online()
        except Exception:
            _LOGGER.exception("Error while connecting to the MQTT broker")

    def _handle_pre_connect(self, client: Any, userdata: Any) -> None:
        if self.anchor is not None:
            self.anchor.connecting()

    def _handle_socket_open(self, client: Any, userdata: Any, sock: Any) -> None:
        """No Nagle delay: an action is a small packet, and the hub waits for its PUBACK."""
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            _LOGGER.debug("Could not set TCP_NODELAY on the broker connection")

    def _handle_connect_fail(self, client: Any, userdata: Any) -> None:
        self._failures += 1
        self._backoff()
        level = logging.WARNING if self._failures == 1 else logging.DEBUG
        _LOGGER.log(
            level,
            "Cannot reach the MQTT broker at %s:%s; retrying (every %s s at most)",
            self.settings.host,
            self.settings.port,
            self.settings.reconnect_max_delay,
        )

    def _handle_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        with self._lock:
            was_online = self._online.is_set()
            self._online.clear()
            self._listening.clear()
            self._generation += 1
            self._drop_unsent("after losing the broker")
        if not was_online:
            self._failures += 1  # the broker refused the connection: back off further
        delay = self._backoff()
        if was_online and not self._stopping:
            _LOGGER.warning("Lost the MQTT broker (%s); reconnecting in %.1f s", reason, delay)

    def _backoff(self) -> float:
        """The wait before the next attempt: 1 s doubling per failure up to
        ``reconnect_max_delay``, times 1 ± ``JITTER`` (paho's own backoff has no jitter)."""
        doubled = self._reconnect_min_delay * (1 << min(self._failures, 16))
        base = float(min(doubled, self.settings.reconnect_max_delay))
        delay = base * random.uniform(1 - JITTER, 1 + JITTER)
        # paho types the delays as int, but only adds them to its clock: fractions work
        self._client.reconnect_delay_set(delay, delay)  # type: ignore[arg-type]
        return delay

    def _handle_publish(
        self, client: Any, userdata: Any, mid: int, reason: Any, properties: Any
    ) -> None:
        with self._mids_lock:
            self._action_mids.discard(mid)

    def _handle_subscribe(
        self, client: Any, userdata: Any, mid: int, reasons: Any, properties: Any
    ) -> None:
        with self._lock:
            if mid not in self._unacked:
                return  # a later subscribe(), or one of a connection that is gone
            self._unacked.discard(mid)
            refused = [str(r) for r in reasons if getattr(r, "is_failure", False)]
            if refused:
                _LOGGER.error(
                    "The MQTT broker refused a subscription (%s): check its ACL for %s",
                    ", ".join(refused),
                    ", ".join(self.subscriptions),
                )
            if not self._unacked:
                self._listening.set()
                _LOGGER.debug("Subscriptions acknowledged by %s", self.where)

    def _drop_unsent(self, when: str) -> None:
        """Forget the actions paho still holds (never sent late); keep the answers."""
        dropped = self._client.drop_out_messages()
        with self._mids_lock:
            action_mids, self._action_mids = self._action_mids, set()
        actions = [m for m in dropped if m.mid in action_mids]
        skip = {self.status_topic, self.anchor.topic if self.anchor is not None else None}
        now = time.monotonic()
        answers = [m for m in dropped if m.mid not in action_mids and m.topic not in skip]
        self._resend.extend((now, m) for m in answers)
        if actions:
            _LOGGER.warning(
                "Dropped %d unacknowledged action(s) %s: actions are never sent late",
                len(actions),
                when,
            )
        if answers:
            _LOGGER.info("%d answer(s) not acknowledged %s; resent once back", len(answers), when)

    def _resend_answers(self) -> None:
        now = time.monotonic()
        held, self._resend = self._resend, []
        for at, message in held:
            if now - at <= RESEND_MAX_AGE:
                properties = message.properties if self.v5 else None
                self._client.publish(
                    message.topic,
                    message.payload,
                    qos=1,
                    retain=message.retain,
                    properties=properties,
                )

    def _probe(self) -> None:
        """The marker thread: one marker a second (``probe_interval``) while online; says so in
        the journal when markers stop coming back (a stalled link, or an ACL that refuses them)."""
        anchor = self.anchor
        if anchor is None:
            return
        interval = probe_interval(self.settings.request_timeout)
        while not self._stopped.wait(interval):
            try:
                if not self._online.is_set():
                    continue
                self.publish(anchor.topic, anchor.probe())
                silent = anchor.overdue()
                if silent > MARKER_SILENCE and not self._silence_reported:
                    self._silence_reported = True
                    _LOGGER.error(
                        "No marker has come back on %s for %.0f s: the link to the broker "
                        "stalls, or the broker's ACL does not let %s publish and subscribe "
                        "there. Requests are answered 'expired' until it works",
                        anchor.topic,
                        silent,
                        self.client_id,
                    )
                elif silent <= MARKER_SILENCE and self._silence_reported:
                    self._silence_reported = False
                    _LOGGER.warning("Markers come back on %s again", anchor.topic)
            except Exception:
                _LOGGER.exception("Error while sending a marker")

    def _handle_message(self, client: Any, userdata: Any, message: Any) -> None:
        try:
            anchor = self.anchor
            if anchor is not None and message.topic == anchor.topic:
                anchor.echo(bytes(message.payload))
                return
            if self._on_message is None:
                return
            received = time.perf_counter()
            sent_after, queued = anchor.stamp() if anchor is not None else (None, False)
            properties = getattr(message, "properties", None)
            response_topic = getattr(properties, "ResponseTopic", None)
            correlation = getattr(properties, "CorrelationData", None)
            expiry = getattr(properties, "MessageExpiryInterval", None)
            payload = bytes(message.payload)
            self._on_message(
                Inbound(
                    topic=message.topic,
                    payload=payload,
                    response_topic=response_topic or None,
                    correlation=bytes(correlation) if correlation is not None else None,
                    received=received,
                    size=len(payload),
                    retain=bool(message.retain),
                    dup=bool(message.dup),
                    expiry=float(expiry) if expiry is not None else None,
                    sent_after=sent_after,
                    queued=queued,
                )
            )
        except Exception:
            _LOGGER.exception("Error while receiving an MQTT message; it was dropped")


def _topic_safe(client_id: str) -> str:
    """The client id as one topic level (no wildcards, no '/')."""
    return "".join("_" if ch in "/+#\0" else ch for ch in client_id) or "hub"


class Sent:
    """Actions handed to paho by ``publish_actions``."""

    def __init__(
        self, link: MQTTLink, generation: int, infos: list[MQTTMessageInfo], *, complete: bool
    ) -> None:
        self.link = link
        self.generation = generation
        self.infos = infos
        self.complete = complete  # False: paho refused some of them

    def wait(self, timeout: float) -> bool:
        """True once the broker acknowledged every one of them. False when the connection
        dropped first (the client discards unacknowledged actions, never sending them late:
        they may or may not have reached the broker) or ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        for info in self.infos:
            while not info.is_published():
                left = deadline - time.monotonic()
                if self.link.generation != self.generation or left <= 0:
                    return False
                try:
                    info.wait_for_publish(min(0.05, left))
                except (RuntimeError, ValueError):
                    return False
        return self.complete
