"""Whether the daemon may act on a request or command at all, before anything runs.

In this order, each refusal an answer with its own error code:

- ``retained``: a retained message is delivered again at every new subscription (every start of
  the hub): acting on it would open the garage at every restart. The answer says how to clear it.
- a redelivery: a message flagged DUP (the broker resends what it had sent before the link
  broke, or restored from its persistence) whose very content (topic, payload, properties) was
  handled in the last hour is skipped: it was answered already, and is not answered twice.
- ``unauthorized``: a direct command is acted on only when its source (``mqtt`` for
  ``<prefix>/command``, ``mqtt/<name>`` for ``<prefix>/command/<name>``) is named in
  ``security.sources``. The broker's ACL lets each client write only its own
  ``<prefix>/command/<client id>``, so the topic proves the sender.
- ``duplicate``: a request id acted on within ``dedupe_seconds`` (``hub.mqtt.dedupe``).
- ``expired``: past its deadline (``hub.mqtt.freshness``).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from hub.config import MQTTConfig
from hub.messages import ErrorInfo
from hub.mqtt.dedupe import Deduper
from hub.mqtt.freshness import Deadline, deadline, expired_message
from hub.mqtt.inbound import Inbound, Parsed
from hub.mqtt.topics import COMMAND, Origin
from hub.security.policy import SecurityPolicy

_LOGGER = logging.getLogger(__name__)

REPLAY_SECONDS = 3600.0  # messages handled are recognised when the broker delivers them again
REPLAY_LIMIT = 20_000


@dataclass(frozen=True)
class Verdict:
    deadline: Deadline
    key: str | None = None  # the de-duplication key, remembered as the actions go out
    error: ErrorInfo | None = None
    silent: bool = False  # a redelivery already answered: no answer at all


class Admission:
    def __init__(self, settings: MQTTConfig, policy: SecurityPolicy, dedupe: Deduper) -> None:
        self.settings = settings
        self.policy = policy
        self.dedupe = dedupe
        self._handled = Deduper(REPLAY_SECONDS, limit=REPLAY_LIMIT)

    def check(self, inbound: Inbound, parsed: Parsed, origin: Origin) -> Verdict:
        """Before the pipeline: the first refusal that applies, and the message's deadline."""
        bound = deadline(inbound, self.settings.request_timeout)
        again = self._redelivered(inbound)
        if inbound.retain:
            return Verdict(bound, error=ErrorInfo("retained", _retained_message(inbound.topic)))
        if again is not None:
            _LOGGER.info(
                "mqtt %s id=%s: the broker delivered this message again (DUP); it was handled "
                "%.1f s ago, so it is neither acted on nor answered twice",
                inbound.topic,
                parsed.id,
                again,
            )
            return Verdict(bound, silent=True)
        if origin.kind == COMMAND and not self.policy.source_allowed(origin.source):
            return Verdict(bound, error=ErrorInfo("unauthorized", _unauthorized(origin)))
        key = f"{origin.kind}:{origin.source}:{parsed.id}" if parsed.id is not None else None
        ago = self.dedupe.age(key) if key is not None else None
        if ago is not None:
            message = f"Request id {parsed.id!r} was acted on {ago:.1f} s ago; not acting twice."
            return Verdict(bound, key, ErrorInfo("duplicate", message))
        now = time.perf_counter()
        if bound.passed(now):
            message = expired_message(inbound, bound, self.settings.request_timeout, now)
            return Verdict(bound, key, ErrorInfo("expired", message))
        return Verdict(bound, key)

    def too_late(self, inbound: Inbound, verdict: Verdict, pipeline_ms: float) -> ErrorInfo | None:
        """Checked just before publishing: the deadline, again, after the pipeline ran."""
        now = time.perf_counter()
        if not verdict.deadline.passed(now):
            return None
        late = now - verdict.deadline.at
        _LOGGER.warning(
            "mqtt %s: too late to act, %.2f s past its deadline (%s; arrived %.2f s ago, the "
            "pipeline took %.0f ms); nothing published",
            inbound.topic,
            late,
            verdict.deadline.reason,
            now - inbound.received,
            pipeline_ms,
        )
        message = expired_message(inbound, verdict.deadline, self.settings.request_timeout, now)
        return ErrorInfo("expired", message)

    def _redelivered(self, inbound: Inbound) -> float | None:
        """Seconds since this very message was handled, for a DUP copy; and remember it as
        handled now."""
        digest = hashlib.blake2b(digest_size=16)
        for part in (inbound.topic.encode(), inbound.payload, inbound.correlation or b""):
            digest.update(len(part).to_bytes(8, "big") + part)
        digest.update((inbound.response_topic or "").encode())
        fingerprint = digest.hexdigest()
        ago = self._handled.age(fingerprint) if inbound.dup else None
        self._handled.remember(fingerprint)
        return ago


def _retained_message(topic: str) -> str:
    return (
        f"Retained messages on {topic} are never acted on (the broker would deliver them again "
        f"after every restart); nothing was done. Clear it with: mosquitto_pub -r -n -t '{topic}'"
    )


def _unauthorized(origin: Origin) -> str:
    if origin.source == "mqtt":
        return (
            "Direct commands on the shared command topic are not allowed; publish on "
            "<prefix>/command/<client id> and add 'mqtt/<client id>' to security.sources in the "
            "config (or 'mqtt' to allow anyone who can write the plain topic)."
        )
    return (
        f"Direct commands from {origin.source!r} are not allowed: add {origin.source!r} to "
        "security.sources in the config."
    )
