"""Reading events from a client that may send anything: every problem is a ProtocolError."""

from __future__ import annotations

import asyncio
import json

import pytest
from wyoming.event import Event

from hub.wyoming.protocol import MAX_PAYLOAD, ProtocolError, read_event


def feed(data: bytes) -> asyncio.StreamReader:
    """A reader that has received ``data`` and then the end (call it inside the loop)."""
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


def read_all(data: bytes, n: int = 1) -> list[Event | None]:
    async def reading() -> list[Event | None]:
        reader = feed(data)
        return [await read_event(reader) for _ in range(n)]

    return asyncio.run(reading())


def test_an_event_with_data_and_payload() -> None:
    data = json.dumps({"text": "환풍기"}, ensure_ascii=False).encode()
    header = {"type": "audio-chunk", "data": {"rate": 16000}, "data_length": len(data)}
    header["payload_length"] = 4
    raw = json.dumps(header).encode() + b"\n" + data + b"\x01\x02\x03\x04"

    first, second = read_all(raw + b'{"type": "describe"}\n', 2)
    assert first is not None and second is not None
    assert first.type == "audio-chunk"
    assert first.data == {"rate": 16000, "text": "환풍기"}
    assert first.payload == b"\x01\x02\x03\x04"
    assert second.type == "describe" and second.payload is None


def test_the_end_of_the_stream_is_none() -> None:
    assert read_all(b"") == [None]


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"\x00\xffgarbage\n", "not JSON"),
        (b"[1, 2]\n", "not a JSON object"),
        (b'{"data": {}}\n', "without an event type"),
        (b'{"type": "x", "data": [1]}\n', "'data' is not a JSON object"),
        (b'{"type": "x", "data_length": -1}\n', "not a byte count"),
        (b'{"type": "x", "payload_length": "4"}\n', "not a byte count"),
        (b'{"type": "x", "payload_length": %d}\n' % (MAX_PAYLOAD + 1), "over the limit"),
        (b'{"type": "x", "data_length": 5}\n[1,2]', "not a JSON object"),
        (b'{"type": "x", "data_length": 10}\n{"a', "closed in the middle"),
        (b'{"type": "x", "data_length": 3}\n{"a', "its data is not JSON"),
        (b'{"type": "x", "payload_length": 10}\nabc', "closed in the middle"),
        (b'{"type": "x"', "closed in the middle of a header"),
        (b'{"type": "' + b"x" * 70_000 + b'"}\n', "longer than the limit"),
    ],
)
def test_garbage_is_a_protocol_error(raw: bytes, says: str) -> None:
    with pytest.raises(ProtocolError, match=says):
        read_all(raw)
