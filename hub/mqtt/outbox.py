"""Answers out: to the requester's topic (held while the broker is away), the last request for
Home Assistant, and one log line per answer that a person reading the journal understands."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace

from hub.config import MQTTConfig
from hub.mqtt.announce import last_request
from hub.mqtt.envelopes import Answer
from hub.mqtt.inbound import Inbound
from hub.mqtt.link import Link
from hub.mqtt.stats import Stats
from hub.mqtt.topics import Topics

_LOGGER = logging.getLogger(__name__)

PRIVATE_ON_SHARED_TOPIC = (
    "That answer is private: ask with a reply_to topic only you may read (docs/security.md)."
)
UNSENT_MAX_AGE = 60.0  # answers held while the broker was away are dropped after this
UNSENT_MAX = 100  # answers held at most


class Outbox:
    def __init__(self, settings: MQTTConfig, topics: Topics, stats: Stats) -> None:
        self.settings = settings
        self.topics = topics
        self.stats = stats
        self._link: Link | None = None
        self._unsent: deque[tuple[float, Answer]] = deque(maxlen=UNSENT_MAX)
        self._unsent_lock = threading.Lock()
        self._listeners: dict[str, Callable[[Answer], None]] = {}

    def attach(self, link: Link) -> None:
        self._link = link

    @property
    def link(self) -> Link:
        if self._link is None:
            raise RuntimeError("the outbox has no broker connection yet")
        return self._link

    def listen(self, request_id: str, on_answer: Callable[[Answer], None]) -> None:
        """Call ``on_answer`` with the answer to ``request_id`` just before it is published
        (a local service, such as Wyoming, hands it back to its client)."""
        self._listeners[request_id] = on_answer

    def deliver(self, inbound: Inbound, kind: str, answer: Answer) -> None:
        """The final answer to ``inbound``: published, the last request retained for Home
        Assistant (never a private one), and logged."""
        self.publish(answer)
        if self.settings.discovery and not answer.reply.private:  # a secret is never retained
            self.link.publish(self.topics.last, last_request(answer.body, kind), retain=True)
        self._log(inbound, answer)

    def publish(self, answer: Answer) -> None:
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
            self.stats.count("answered")
            return
        with self._unsent_lock:
            self._unsent.append((time.monotonic(), answer))
        _LOGGER.warning(
            "The broker is away: the answer for %s waits for the reconnection", answer.topic
        )

    def flush(self) -> None:
        """Connected again: publish the answers held meanwhile (those not too old)."""
        with self._unsent_lock:
            held = list(self._unsent)
            self._unsent.clear()
        now = time.monotonic()
        for at, answer in held:
            if now - at <= UNSENT_MAX_AGE:
                self.publish(answer)

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
