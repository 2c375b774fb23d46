"""Reading what arrives over MQTT: requests (text or JSON) and direct commands.

Every problem becomes an ErrorInfo with a code, never an exception, so the worker can answer it
and go on. Where a broken message still says where its answer goes (``id``, ``reply_to``), that is
kept, so even an error reaches the requester.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.messages import ErrorInfo

REQUEST_FIELDS = ("text", "area", "id", "reply_to", "conversation_id")
COMMAND_FIELDS = ("action", "target", "data")
ENVELOPE_FIELDS = ("id", "reply_to")
MAX_ID_CHARS = 128


@dataclass(frozen=True)
class Inbound:
    """One MQTT message, as the client received it."""

    topic: str
    payload: bytes
    response_topic: str | None = None  # MQTT v5
    correlation: bytes | None = None  # MQTT v5
    received: float = 0.0  # time.perf_counter() when the callback saw it
    size: int = 0  # the payload's size; the payload itself is dropped when over the limit
    retain: bool = False  # a retained message, delivered because of a (new) subscription
    dup: bool = False  # the broker says it may have delivered this message before
    expiry: float | None = None  # MQTT 5: seconds left of the publisher's message expiry
    # The earliest time (perf_counter) the message can have been published: it is at most
    # ``now - sent_after`` old (hub.mqtt.freshness). None: only its arrival is known (local
    # requests, tests); -inf: it may be any age (the broker queued it before this run).
    sent_after: float | None = None
    queued: bool = False  # delivered from the broker's session queue after a reconnection


@dataclass(frozen=True)
class Parsed:
    """A request or a command read from a payload, or the error that stops it."""

    id: str | None = None
    reply_to: str | None = None
    text: str | None = None  # requests
    area: str | None = None
    conversation_id: str | None = None  # requests: a follow-up answers the hub's question
    command: Mapping[str, Any] | None = None  # commands: the raw shape, for the validator
    error: ErrorInfo | None = None


def parse_request(payload: bytes) -> Parsed:
    """Plain text, or a JSON object with ``text`` and optional ``area``, ``id``, ``reply_to``,
    ``conversation_id``."""
    text, error = _decode(payload)
    if error is not None:
        return Parsed(error=error)
    if not text.startswith(("{", "[")):
        return Parsed(text=text)
    obj, envelope, error = _object(text, REQUEST_FIELDS)
    if error is not None:
        return _replace_error(envelope, error)
    value = obj.get("text")
    if not isinstance(value, str):
        return _replace_error(envelope, _bad("'text' must be a string"))
    area = obj.get("area")
    if area is not None and not isinstance(area, str):
        return _replace_error(envelope, _bad("'area' must be a string"))
    conversation = obj.get("conversation_id")
    if conversation is not None and not isinstance(conversation, str):
        return _replace_error(envelope, _bad("'conversation_id' must be a string"))
    if conversation is not None and len(conversation) > MAX_ID_CHARS:
        return _replace_error(
            envelope, _bad(f"'conversation_id' is longer than {MAX_ID_CHARS} characters")
        )
    return Parsed(
        id=envelope.id,
        reply_to=envelope.reply_to,
        text=value,
        area=area or None,
        conversation_id=conversation or None,
    )


def parse_command(payload: bytes) -> Parsed:
    """A command in the DESIGN.md shape, optionally with ``id`` and ``reply_to`` beside it."""
    text, error = _decode(payload)
    if error is not None:
        return Parsed(error=error)
    if not text.startswith("{"):
        return Parsed(error=ErrorInfo("bad_json", "A command must be a JSON object."))
    obj, envelope, error = _object(text, COMMAND_FIELDS + ENVELOPE_FIELDS)
    if error is not None:
        return _replace_error(envelope, error)
    command = {key: value for key, value in obj.items() if key in COMMAND_FIELDS}
    return Parsed(id=envelope.id, reply_to=envelope.reply_to, command=command)


def peek_envelope(payload: bytes) -> Parsed:
    """Only ``id`` and ``reply_to``, for answering a message that will not be handled."""
    try:
        obj = json.loads(payload)
    except (ValueError, RecursionError):
        return Parsed()
    return _envelope(obj) if isinstance(obj, dict) else Parsed()


def _decode(payload: bytes) -> tuple[str, ErrorInfo | None]:
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        return "", ErrorInfo(
            "bad_encoding", f"The payload is not UTF-8 text ({exc.reason} at byte {exc.start})."
        )
    if not text:
        return "", ErrorInfo("empty_request", "The request is empty.")
    return text, None


def _object(text: str, allowed: tuple[str, ...]) -> tuple[dict[str, Any], Parsed, ErrorInfo | None]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        error = ErrorInfo(
            "bad_json", f"The payload is not valid JSON: {exc.msg} (column {exc.colno})."
        )
        return {}, Parsed(), error
    except RecursionError:
        return {}, Parsed(), ErrorInfo("bad_json", "The JSON is nested too deeply.")
    if not isinstance(obj, dict):
        return {}, Parsed(), ErrorInfo("bad_json", "A JSON request must be an object.")
    envelope = _envelope(obj)
    if envelope.error is not None:
        return obj, envelope, envelope.error
    unknown = sorted(str(key) for key in obj if key not in allowed)
    if unknown:
        message = f"Unknown field(s): {', '.join(unknown)} (known: {', '.join(allowed)})."
        return obj, envelope, ErrorInfo("unknown_field", message)
    return obj, envelope, None


def _envelope(obj: Mapping[str, Any]) -> Parsed:
    raw_id, reply_to = obj.get("id"), obj.get("reply_to")
    request_id: str | None = None
    error: ErrorInfo | None = None
    if isinstance(raw_id, str | int) and not isinstance(raw_id, bool):
        request_id = str(raw_id)[:MAX_ID_CHARS]
        if len(str(raw_id)) > MAX_ID_CHARS:
            error = _bad(f"'id' is longer than {MAX_ID_CHARS} characters")
    elif raw_id is not None:
        error = _bad("'id' must be a string or a number")
    if reply_to is not None and not isinstance(reply_to, str):
        return Parsed(id=request_id, error=_bad("'reply_to' must be a topic string"))
    return Parsed(id=request_id, reply_to=reply_to or None, error=error)


def _bad(message: str) -> ErrorInfo:
    return ErrorInfo("bad_request", message[0].upper() + message[1:] + ".")


def _replace_error(envelope: Parsed, error: ErrorInfo) -> Parsed:
    return Parsed(id=envelope.id, reply_to=envelope.reply_to, error=error)
