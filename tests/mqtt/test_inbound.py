"""Reading payloads, choosing reply topics, remembering request ids, discovery payloads."""

from __future__ import annotations

import json

import pytest

from hub.mqtt.announce import announcements, last_request, node_id
from hub.mqtt.dedupe import Deduper
from hub.mqtt.inbound import parse_command, parse_request, peek_envelope
from hub.mqtt.topics import Topics


def test_plain_text_and_json_requests() -> None:
    assert parse_request(b"  turn on the light \n").text == "turn on the light"
    parsed = parse_request(
        json.dumps(
            {"text": "turn on the light", "area": "kitchen", "id": 7, "reply_to": "me/x"}
        ).encode()
    )
    assert (parsed.text, parsed.area, parsed.id, parsed.reply_to) == (
        "turn on the light",
        "kitchen",
        "7",
        "me/x",
    )
    assert parsed.error is None


@pytest.mark.parametrize(
    ("payload", "code", "request_id"),
    [
        (b"\xc3\x28", "bad_encoding", None),
        (b"", "empty_request", None),
        (b'{"text": "x",}', "bad_json", None),
        (b'{"text": "x", "state": {}, "id": "k"}', "unknown_field", "k"),
        (b'{"area": "kitchen", "id": "k"}', "bad_request", "k"),
        (b'{"text": "x", "id": true}', "bad_request", None),
        (b'{"text": "x", "id": "' + b"i" * 200 + b'"}', "bad_request", "i" * 128),
        (b'{"text": "x", "reply_to": 5}', "bad_request", None),
        (b"[" * 100_000, "bad_json", None),
    ],
)
def test_bad_requests_become_errors_that_keep_the_id(
    payload: bytes, code: str, request_id: str | None
) -> None:
    parsed = parse_request(payload)
    assert parsed.error is not None and parsed.error.code == code
    assert parsed.id == request_id
    assert parsed.text is None


def test_commands_take_the_design_shape_plus_id_and_reply_to() -> None:
    parsed = parse_command(
        b'{"action": "light.turn_on", "target": "light.a", "data": {}, "id": "c", "reply_to": "r"}'
    )
    assert parsed.command == {"action": "light.turn_on", "target": "light.a", "data": {}}
    assert (parsed.id, parsed.reply_to, parsed.error) == ("c", "r", None)
    assert parse_command(b"light.turn_on").error.code == "bad_json"  # type: ignore[union-attr]
    assert parse_command(b'{"action": "x", "colour": 1}').error.code == "unknown_field"  # type: ignore[union-attr]


def test_peek_finds_where_to_answer_without_reading_the_rest() -> None:
    assert peek_envelope(b'{"id": "9", "reply_to": "me", "text": 1}').reply_to == "me"
    assert peek_envelope(b"not json").id is None


@pytest.mark.parametrize(
    "topic",
    [
        "hub/request",
        "hub/command",
        "hub/status",
        "hub/action/light",
        "zigbee2mqtt/Kitchen/set",
        "cmnd/coffee/POWER",
        "homeassistant/status",
        "$SYS/broker",
        "me/+",
        "",
    ],
)
def test_answers_may_not_go_where_they_would_act_or_loop(topic: str) -> None:
    assert Topics().reply_problem(topic)


def test_answers_may_go_anywhere_else() -> None:
    topics = Topics(prefix="home/hub")
    assert topics.request == "home/hub/request"
    assert topics.reply_problem("hub/request") is None  # another prefix: not ours
    assert topics.reply_problem("home/hub/response") is None
    assert topics.reply_problem("satellite/kitchen/answers") is None


def test_dedupe_remembers_ids_for_the_window_only() -> None:
    now = [0.0]
    dedupe = Deduper(10, clock=lambda: now[0], limit=3)
    assert dedupe.age("a") is None
    dedupe.remember("a")
    now[0] = 4
    assert dedupe.age("a") == 4
    now[0] = 11
    assert dedupe.age("a") is None  # forgotten after the window: a new request
    dedupe.remember("a")
    for key in "bcd":
        dedupe.remember(key)
    assert dedupe.age("a") is None  # the oldest went when the limit was passed
    assert dedupe.age("d") == 0
    off = Deduper(0)
    off.remember("x")
    assert off.age("x") is None


def test_discovery_announces_three_entities_of_one_device() -> None:
    items = announcements(Topics(), "hub-kitchen pi")
    assert node_id("hub-kitchen pi") == "hub-kitchen_pi"
    assert [i.topic for i in items] == [
        "homeassistant/text/hub-kitchen_pi/request/config",
        "homeassistant/sensor/hub-kitchen_pi/last_request/config",
        "homeassistant/binary_sensor/hub-kitchen_pi/status/config",
    ]
    configs = [json.loads(i.payload) for i in items]
    assert len({c["unique_id"] for c in configs}) == 3
    assert all(c["device"]["identifiers"] == ["hub-kitchen_pi"] for c in configs)
    sensor = configs[1]
    assert sensor["json_attributes_topic"] == sensor["state_topic"] == "hub/last"


def test_the_last_request_summary_fits_a_home_assistant_state() -> None:
    body = json.loads(last_request({"text": "x" * 400, "reply": "ok", "commands": [1]}, "request"))
    assert len(body["summary"]) <= 250 and body["outcome"] == "acted"
    error = {"text": "", "error": {"code": "bad_json", "message": "broken"}, "commands": []}
    assert json.loads(last_request(error, "request"))["summary"] == "error bad_json: broken"


def test_dedupe_reads_back_what_its_log_kept_before_a_restart() -> None:
    class Log:
        def __init__(self) -> None:
            self.rows: dict[str, float] = {}

        def load(self, since: float) -> list[tuple[str, float]]:
            return [(k, at) for k, at in self.rows.items() if at >= since]

        def add(self, key: str, at: float) -> None:
            self.rows[key] = at

        def forget(self, key: str) -> None:
            self.rows.pop(key, None)

        def prune(self, before: float) -> None:
            self.rows = {k: at for k, at in self.rows.items() if at >= before}

    log = Log()
    wall, mono = [1000.0], [5.0]
    first = Deduper(60, clock=lambda: mono[0], wall=lambda: wall[0], log=log)
    first.remember("request:mqtt:a")
    first.remember("request:mqtt:b")
    first.forget("request:mqtt:b")  # its actions were never published
    assert set(log.rows) == {"request:mqtt:a"}
    wall[0], mono[0] = 1020.0, 0.0  # 20 s later, a new process with its own monotonic clock
    second = Deduper(60, clock=lambda: mono[0], wall=lambda: wall[0], log=log)
    assert second.age("request:mqtt:a") == 20.0
    assert second.age("request:mqtt:b") is None
    mono[0] = 41.0
    assert second.age("request:mqtt:a") is None  # 61 s after it acted: a new request
