"""How old a message may be: the markers' anchor, deadlines, and the device topics no answer
may take. Pure logic with a fake clock; the broker-side behaviour is in test_safety.py."""

from __future__ import annotations

import math

import pytest

from hub.integrations.homeassistant.entity import MQTTEntityBinding
from hub.integrations.router import BindingSettings, Router
from hub.mqtt.device_topics import device_topics
from hub.mqtt.freshness import UNKNOWN, Anchor, deadline, expired_message
from hub.mqtt.inbound import Inbound
from hub.mqtt.topics import Origin, Topics
from hub.registry import Device, Registry


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_new_session_anchors_at_the_connection_attempt() -> None:
    clock = Clock()
    anchor = Anchor("hub/marker/hub-a", clock)
    assert anchor.stamp() == (UNKNOWN, False)  # nothing proven yet
    anchor.connecting()
    clock.now = 101.0
    marker = anchor.connected(session_present=False)
    assert anchor.stamp() == (100.0, False)  # no session: nothing was queued before 100
    clock.now = 103.0
    anchor.echo(marker)
    assert anchor.stamp() == (101.0, False)  # sent at 101, back: all later is newer


def test_a_kept_session_is_a_backlog_until_the_reconnection_marker_comes_back() -> None:
    clock = Clock()
    anchor = Anchor("hub/marker/hub-a", clock)
    anchor.connecting()
    anchor.echo(anchor.connected(session_present=False))
    clock.now = 110.0
    anchor.echo(anchor.probe())  # the last echo before the link is lost
    clock.now = 115.0  # lost, reconnected with the session kept
    anchor.connecting()
    clock.now = 116.0
    marker = anchor.connected(session_present=True)
    assert anchor.stamp() == (110.0, True)  # queued: at most now - 110 old
    clock.now = 116.5
    anchor.echo(marker)
    assert anchor.stamp() == (116.0, False)


def test_the_first_connection_with_a_kept_session_knows_no_age() -> None:
    clock = Clock()
    anchor = Anchor("hub/marker/hub-a", clock)
    anchor.connecting()
    marker = anchor.connected(session_present=True)
    assert anchor.stamp() == (UNKNOWN, True)
    anchor.echo(b"0123456789ab 7")  # a marker of an earlier run, left in the queue: no proof
    assert anchor.stamp() == (UNKNOWN, True)
    anchor.echo(marker)
    assert anchor.stamp()[1] is False and anchor.stamp()[0] > UNKNOWN


def test_a_stall_keeps_the_anchor_and_shows_as_overdue() -> None:
    clock = Clock()
    anchor = Anchor("hub/marker/hub-a", clock)
    anchor.connecting()
    anchor.echo(anchor.connected(session_present=False))
    markers = []
    for second in range(1, 26):  # 25 s without an echo
        clock.now = 100.0 + second
        markers.append(anchor.probe())
    assert anchor.stamp()[0] == 100.0
    assert anchor.overdue() == pytest.approx(24.0)
    anchor.echo(markers[-1])
    assert anchor.stamp()[0] == 125.0 and anchor.overdue() == 0.0


def _inbound(**fields: object) -> Inbound:
    return Inbound("hub/request", b"x", received=50.0, **fields)  # type: ignore[arg-type]


def test_the_deadline_is_the_earliest_bound() -> None:
    assert deadline(_inbound(), 10) == deadline(_inbound(), 10)
    assert (deadline(_inbound(), 10).at, deadline(_inbound(), 10).reason) == (60.0, "wait")
    assert deadline(_inbound(expiry=3.0), 10).reason == "expiry"
    assert deadline(_inbound(expiry=3.0), 10).at == 53.0
    aged = deadline(_inbound(sent_after=45.0, queued=True), 10)
    assert (aged.at, aged.reason) == (55.0, "age")
    unknown = deadline(_inbound(sent_after=UNKNOWN, queued=True), 10)
    assert unknown.reason == "unknown" and unknown.at == -math.inf
    assert unknown.passed(0.0)
    text = expired_message(_inbound(sent_after=45.0, queued=True), aged, 10, 57.0)
    assert "12.0 s ago" in text and "queued by the broker" in text
    assert "request_timeout" in text


def test_sources_come_from_the_topic() -> None:
    topics = Topics()
    assert topics.origin("hub/request") == Origin("request", "mqtt")
    assert topics.origin("hub/request/kitchen") == Origin("request", "mqtt/kitchen")
    assert topics.origin("hub/command/ha") == Origin("command", "mqtt/ha")
    assert topics.origin("hub/command") == Origin("command", "mqtt")
    assert topics.origin("hub/request/a/b") is None
    assert topics.origin("hub/response") is None
    assert topics.inputs == ["hub/request", "hub/request/+", "hub/command", "hub/command/+"]


@pytest.mark.parametrize(
    "topic",
    [
        "hub/listen",
        "hub/marker/hub-x",
        "hub/request/kitchen",
        "hub/command/ha",
        "hub",
        "stat/coffee/POWER",
        "tele/coffee/STATE",
        "$SYS/broker/uptime",
        "homeassistant/light/x/config",
    ],
)
def test_replies_may_not_go_to_the_hubs_or_other_systems_topics(topic: str) -> None:
    assert Topics().reply_problem(topic)


@pytest.mark.parametrize("topic", ["hub/response", "hub/response/kitchen", "hub/reply/sat1/7"])
def test_replies_may_go_to_the_hubs_answer_topics(topic: str) -> None:
    assert Topics().reply_problem(topic) is None


def test_device_topics_come_from_every_binding(registry: Registry) -> None:
    discovered = Device("light.porch", "Porch", binding=None)
    config = {
        "command_topic": "porch/light/set",
        "state_topic": "porch/light/state",
        "availability": [{"topic": "porch/status"}],
    }
    home = Registry(devices=(*registry.devices, discovered))
    router = Router(home, BindingSettings(), {"light.porch": MQTTEntityBinding("light", config)})
    known = device_topics(router, ["stat/x/RESULT", "shelly/plug/relay/0"])
    for topic in (
        "garden/garden_sprinkler/command",  # custom: garden/${object_id}/command
        "zigbee2mqtt/Kitchen/Ceiling/set",
        "zigbee2mqtt/Kitchen/Ceiling",  # its state topic
        "porch/light/set",
        "porch/light/state",
        "porch/status",
        "shelly/plug/relay/0",  # a state topic the live home reads
    ):
        assert known.problem(topic), topic
    assert known.problem("garden/other/command") is None  # another object id
    assert known.problem("satellite/kitchen") is None
    topics = Topics()
    assert topics.reply_problem("garden/garden_sprinkler/command", known)
    assert topics.reply_problem("garden/answers", known) is None


def test_a_custom_topic_placeholder_of_the_command_matches_any_value(registry: Registry) -> None:
    device = Device(
        "switch.pump",
        "Pump",
        binding={"type": "custom", "topic": "pond/${object_id}/${service}", "payload": "x"},
    )
    router = Router(Registry(devices=(device,)))
    known = device_topics(router)
    assert known.problem("pond/pump/turn_on")
    assert known.problem("pond/pump/anything/else")
    assert known.problem("pond/filter/turn_on") is None
