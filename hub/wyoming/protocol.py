"""Reading Wyoming events from a client that may send anything.

The wire format: a JSON header line ``{"type", "data", "data_length", "payload_length"}``,
then ``data_length`` bytes of JSON merged into ``data``, then ``payload_length`` bytes of
payload (audio). ``wyoming.event.async_read_event`` trusts the header: a line that is JSON but
not an object raises out of the handler, and a client that announces a 4 GB payload gets it
buffered. Here every length has a limit, and every problem is a ``ProtocolError`` that says what
was wrong, so the service can log the client and drop it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from wyoming.event import Event

MAX_DATA = 64 * 1024  # bytes of extra JSON data (transcripts, info)
MAX_PAYLOAD = 1024 * 1024  # bytes of one payload: 32 s of 16 kHz 16-bit mono audio


class ProtocolError(Exception):
    """The client sent something that is not a Wyoming event; the message says what."""


async def read_event(reader: asyncio.StreamReader) -> Event | None:
    """The next event, or None at the end of the stream (the client closed)."""
    try:
        line = await reader.readline()
    except ValueError:  # asyncio's LimitOverrunError: no newline within the reader's limit
        raise ProtocolError("a header line longer than the limit") from None
    if not line:
        return None
    if not line.endswith(b"\n"):
        raise ProtocolError("the connection closed in the middle of a header line")
    try:
        header = json.loads(line)
    except ValueError:
        raise ProtocolError(f"a header that is not JSON: {_preview(line)}") from None
    if not isinstance(header, dict):
        raise ProtocolError(f"a header that is not a JSON object: {_preview(line)}")
    kind = header.get("type")
    if not isinstance(kind, str) or not kind:
        raise ProtocolError(f"a header without an event type: {_preview(line)}")
    data = header.get("data") or {}
    if not isinstance(data, dict):
        raise ProtocolError(f"{kind}: 'data' is not a JSON object")
    data_length = _length(header, "data_length", MAX_DATA, kind)
    payload_length = _length(header, "payload_length", MAX_PAYLOAD, kind)
    try:
        if data_length:
            extra = json.loads(await reader.readexactly(data_length))
            if not isinstance(extra, dict):
                raise ProtocolError(f"{kind}: its data is not a JSON object")
            data = {**data, **extra}
        payload = await reader.readexactly(payload_length) if payload_length else None
    except asyncio.IncompleteReadError:
        raise ProtocolError(f"{kind}: the connection closed in the middle of the event") from None
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError(f"{kind}: its data is not JSON") from None
    return Event(type=kind, data=data, payload=payload)


def _length(header: dict[str, Any], key: str, limit: int, kind: str) -> int:
    value = header.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProtocolError(f"{kind}: {key} is not a byte count: {value!r}")
    if value > limit:
        raise ProtocolError(f"{kind}: {key} {value} is over the limit of {limit} bytes")
    return value


def _preview(line: bytes) -> str:
    return repr(line[:80].decode("utf-8", "replace").strip())
