"""The MQTT connection, over paho-mqtt 2.x (VERSION2 callbacks). The only module importing paho.

- MQTT 5 by default (3.1.1 by config), TLS and username/password from the config, a stable
  client id, a retained ``<prefix>/status`` with ``offline`` as the last will.
- paho's network thread reconnects with a backoff (1 s doubling up to ``reconnect_max_delay``);
  subscriptions are made in ``on_connect``, so they survive a broker restart.
- Actions are never sent late: while the broker is away nothing is published (``publish``
  returns False), and messages paho still holds when the connection drops are discarded
  instead of being resent on reconnect. Callbacks only hand messages on; they never raise.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hub.bindings.base import OutMessage
from hub.config import MQTTConfig
from hub.errors import HubError
from hub.mqtt.inbound import Inbound

if TYPE_CHECKING:
    from paho.mqtt.client import MQTTMessageInfo

_LOGGER = logging.getLogger(__name__)

ONLINE, OFFLINE = "online", "offline"


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
    ) -> None:
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
        self._on_message = on_message
        self._on_online = on_online
        self._lock = threading.RLock()  # the online flag and every publish batch
        self._online = threading.Event()
        self._listening = threading.Event()  # every SUBSCRIBE of this connection acknowledged
        self._unacked: set[int] = set()  # message ids of those SUBSCRIBEs
        self._stopping = False
        self._failures = 0
        self.connects = 0  # successful connections so far (1 + reconnects)
        self._expiry_properties: dict[int | None, Any] = {}
        protocol = mqtt.MQTTv5 if self.v5 else mqtt.MQTTv311
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=protocol,
            clean_session=None if self.v5 else True,
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
            kwargs["clean_start"] = True
        self._client.connect_async(self.settings.host, self.settings.port, **kwargs)
        self._client.loop_start()

    def stop(self, timeout: float = 3.0) -> None:
        """Publish ``offline`` (a clean disconnect sends no last will), then disconnect."""
        self._stopping = True
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
        with self._lock:
            if not self._online.is_set():
                return False
            sent = [self._send(m.topic, m.payload, False, expiry, None) for m in messages]
        infos = [info for info in sent if info is not None]
        if len(infos) < len(sent):
            return False
        if wait > 0:
            deadline = time.monotonic() + wait
            for info in infos:
                try:
                    info.wait_for_publish(max(0.0, deadline - time.monotonic()))
                except (RuntimeError, ValueError):
                    return False
                if not info.is_published():
                    return False
        return True

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
                self._online.set()
                self.connects += 1
            _LOGGER.info(
                "%s to %s", "Connected" if self.connects == 1 else "Reconnected", self.where
            )
            self._failures = 0
            if self._on_online is not None:
                self._on_online()
        except Exception:
            _LOGGER.exception("Error while connecting to the MQTT broker")

    def _handle_connect_fail(self, client: Any, userdata: Any) -> None:
        self._failures += 1
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
            self._drop_unsent("after losing the broker")
        if was_online and not self._stopping:
            _LOGGER.warning("Lost the MQTT broker (%s); reconnecting", reason)

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
        dropped = self._client.drop_out_messages()
        if dropped:
            _LOGGER.warning(
                "Dropped %d unacknowledged message(s) %s: actions are never sent late",
                len(dropped),
                when,
            )

    def _handle_message(self, client: Any, userdata: Any, message: Any) -> None:
        try:
            if self._on_message is None:
                return
            properties = getattr(message, "properties", None)
            response_topic = getattr(properties, "ResponseTopic", None)
            correlation = getattr(properties, "CorrelationData", None)
            payload = bytes(message.payload)
            self._on_message(
                Inbound(
                    topic=message.topic,
                    payload=payload,
                    response_topic=response_topic or None,
                    correlation=bytes(correlation) if correlation is not None else None,
                    received=time.perf_counter(),
                    size=len(payload),
                )
            )
        except Exception:
            _LOGGER.exception("Error while receiving an MQTT message; it was dropped")
