"""Nothing stale: how old an incoming request can be, proven with the hub's own markers.

A request must be acted on within ``request_timeout`` of being *published*, not of reaching the
hub. The broker does not say when a message was published, and the hub's persistent session
makes the question real: while the hub is away (a broker restart, a dropped link, a stalled
one), the broker queues its requests and delivers them on reconnection, and the hub cannot tell
a request sent a second ago from one sent a minute ago. What the hub can prove comes from one
fact: **the broker delivers the messages of one session in the order it queued them** (Mosquitto
keeps one FIFO per client; QoS 0 messages are never queued for an offline client, and an online
one gets them at once, so they never arrive *behind* a message queued after them).

So the hub publishes a *marker* to a topic only it subscribes to (``<prefix>/marker/<client
id>``, QoS 1), once after every (re)connection and then every ``PROBE_SECONDS`` while online
(more often when ``request_timeout`` is short: ``probe_interval``), and notes when it sent each
one. When marker *M*, sent at time *t*, comes back, everything the
hub receives afterwards was queued for it after *M* reached the broker, hence published after
*t*. The **anchor** is the send time of the newest marker that came back; a message received
now is at most ``now - anchor`` old, and its deadline is ``anchor + request_timeout``.

- On a healthy link the anchor is at most about a second old: a request loses at most that much
  of its ``request_timeout``.
- After a reconnection with the session kept (CONNACK "session present"), whatever arrives
  before the new marker's echo comes from the session queue (``Inbound.queued``). Its anchor is
  still the last echo from before the link was lost, so a request queued while the hub was away
  is acted on only if ``now - (last echo before the loss)`` is within the timeout: a short broker
  restart passes, a long one is answered ``expired``. This is the bound "the hub knows when it
  lost the connection", made exact: the time the hub *noticed* the loss can be long after the
  link really died (a stalled link is noticed only by the keepalive), the last echo cannot.
- A stalled link is covered by the same rule: no marker comes back while it stalls, so the
  anchor stays put and a request that reaches the hub 25 s late is refused, not acted on.
- A connection without a session (first start, or after the broker lost it) has nothing queued
  for the hub: every message it brings was published after the hub began connecting, which is
  its anchor.
- The first connection of a *new* hub process with a kept session has no anchor at all: the
  queued requests are from before this process started, of unknown age, and are all answered
  ``expired`` (a marker of the previous process, left in the queue, proves nothing about time
  and is skipped).
- A retained message (delivered with the retain flag when a subscription is made) is never
  acted on; the daemon answers it ``retained``.
- Limits: a broker that crashes and restarts from an older persistence snapshot (Mosquitto
  saves every ``autosave_interval``) may deliver again messages it had delivered after that
  snapshot; those are older than the bound says. What it had sent already comes with the DUP
  flag and the same content, and the daemon handles such a copy once (``hub.mqtt.admission``);
  request ids acted on are refused as duplicates for ``dedupe_seconds``, across restarts of the
  hub too (``hub.mqtt.dedupe``). A message that was still *queued* in that snapshot carries
  neither mark: give requests an ``id``, and keep ``autosave_interval`` short. Publishers that
  want a hard limit set an MQTT 5 message expiry: the remaining expiry of a message is its
  deadline when shorter, and Mosquitto keeps it across its own restarts.

The deadline is checked before the pipeline runs and again just before the actions are
published (``Deadline``); a slow model answer that misses it publishes nothing.
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from hub.mqtt.inbound import Inbound

_LOGGER = logging.getLogger(__name__)

PROBE_SECONDS = 1.0  # a marker this often while online (at most)
PENDING_MAX = 600  # markers remembered while waiting for their echo (a stall of 10 minutes)
UNKNOWN = -math.inf  # "sent after" for a message of unknown age


def probe_interval(timeout: float) -> float:
    """Seconds between markers: a healthy link costs a request at most about this much of its
    ``request_timeout``, so never more than a fifth of it."""
    return min(PROBE_SECONDS, max(0.05, timeout / 5))


class Anchor:
    """The markers of one broker connection, and the anchor they prove. Thread-safe."""

    def __init__(self, topic: str, clock: Callable[[], float] = time.perf_counter) -> None:
        self.topic = topic
        self._clock = clock
        self._lock = threading.Lock()
        self._run = secrets.token_hex(6)  # tells this process's markers from an earlier one's
        self._seq = 0
        self._pending: OrderedDict[int, float] = OrderedDict()  # seq -> when it was sent
        self._anchor = UNKNOWN
        self._backlog_until: int | None = None  # the reconnection's marker, until it is back
        self._connecting: float | None = None

    def connecting(self) -> None:
        """A connection attempt begins (paho's ``on_pre_connect``)."""
        self._connecting = self._clock()

    def connected(self, session_present: bool) -> bytes:
        """The broker accepted the connection; returns the marker to publish at once."""
        with self._lock:
            if session_present:
                payload, seq = self._next()
                self._backlog_until = seq
                return payload
            # No session: nothing was queued for the hub, all that comes is newer than this.
            began = self._connecting if self._connecting is not None else self._clock()
            self._anchor = max(self._anchor, began)
            self._backlog_until = None
            return self._next()[0]

    def probe(self) -> bytes:
        """The next periodic marker."""
        with self._lock:
            return self._next()[0]

    def _next(self) -> tuple[bytes, int]:
        self._seq += 1
        self._pending[self._seq] = self._clock()
        while len(self._pending) > PENDING_MAX:
            self._pending.popitem(last=False)
        return f"{self._run} {self._seq}".encode(), self._seq

    def echo(self, payload: bytes) -> None:
        """A marker came back: whatever arrives after it was published after it was sent."""
        run, _, number = payload.decode("ascii", "replace").partition(" ")
        if run != self._run or not number.isdigit():
            _LOGGER.debug("Skipped a marker of an earlier run of this hub")
            return
        seq = int(number)
        with self._lock:
            sent = self._pending.get(seq)
            for older in [s for s in self._pending if s <= seq]:
                del self._pending[older]  # their echo, if it still comes, proves less
            if sent is not None:
                self._anchor = max(self._anchor, sent)
            if self._backlog_until is not None and seq >= self._backlog_until:
                self._backlog_until = None

    def stamp(self) -> tuple[float, bool]:
        """For a message received now: the earliest it can have been sent, and whether it
        comes from the session queue of a reconnection."""
        with self._lock:
            return self._anchor, self._backlog_until is not None

    def overdue(self) -> float:
        """Seconds the oldest marker still missing has been on its way (0 if none)."""
        with self._lock:
            if not self._pending:
                return 0.0
            return self._clock() - next(iter(self._pending.values()))


@dataclass(frozen=True)
class Deadline:
    """When the actions of a message must have been published, at the latest."""

    at: float  # time.perf_counter()
    reason: str  # wait | expiry | age | unknown: which bound it is

    def passed(self, now: float | None = None) -> bool:
        return (time.perf_counter() if now is None else now) > self.at


def deadline(inbound: Inbound, timeout: float) -> Deadline:
    """The earliest of: arrival + timeout; arrival + the message's remaining MQTT 5 expiry;
    the proven earliest send time + timeout."""
    bounds = [Deadline(inbound.received + timeout, "wait")]
    if inbound.expiry is not None:
        bounds.append(Deadline(inbound.received + inbound.expiry, "expiry"))
    if inbound.sent_after is not None:
        reason = "unknown" if inbound.sent_after == UNKNOWN else "age"
        bounds.append(Deadline(inbound.sent_after + timeout, reason))
    return min(bounds, key=lambda bound: bound.at)


def expired_message(inbound: Inbound, bound: Deadline, timeout: float, now: float) -> str:
    """Why a message is too old to act on, for its answer and the journal."""
    waited = now - inbound.received
    if bound.reason == "unknown":
        return (
            "The broker kept this message for the hub from before the hub started, so its age "
            "is unknown; nothing was done. Send it again."
        )
    if bound.reason == "expiry":
        return f"Its MQTT message expiry ran out {now - bound.at:.1f} s ago; nothing was done."
    if bound.reason == "age" and inbound.sent_after is not None:
        age = now - inbound.sent_after
        where = (
            "queued by the broker while the hub was away"
            if inbound.queued
            else "the link to the broker was slow or stalled"
        )
        return (
            f"It may have been sent up to {age:.1f} s ago ({where}), longer than "
            f"mqtt.request_timeout ({timeout:g} s); nothing was done. Send it again."
        )
    return (
        f"The request waited {waited:.1f} s, longer than mqtt.request_timeout ({timeout:g} s); "
        "nothing was done."
    )
