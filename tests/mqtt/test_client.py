"""MQTTLink's two states: online (CONNACK) and listening (every subscription acknowledged), so that
READY and the tests wait for the second, and a subscription the broker refuses is logged."""

from __future__ import annotations

import logging

import pytest

from hub.config import Config
from hub.mqtt.client import MQTTLink
from tests.mqtt.conftest import Broker, free_port, mqtt_settings, wait_until


def _link(config: Config, port: int, *topics: str) -> MQTTLink:
    settings = mqtt_settings(config, port)
    return MQTTLink(settings, status_topic=None, subscriptions=topics)


def test_listening_follows_the_connection(broker: Broker, example_config: Config) -> None:
    link = _link(example_config, broker.port, "hub/request", "hub/listen")
    assert not link.listening
    link.start()
    try:
        assert link.wait_listening(10)
        assert link.online
        broker.kill()
        wait_until(lambda: not link.listening, 10, "the link to notice the broker is gone")
        assert not link.online
        broker.start()
        assert link.wait_listening(15)
    finally:
        link.stop(1)
    assert not link.listening


def test_a_refused_subscription_is_logged_with_the_topics(
    example_config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    """Mosquitto 2.0's acl_file filters on delivery and grants every SUBACK, so the refusal that
    the dynamic-security plugin, EMQX or HiveMQ send (0x87, not authorized) is fed in directly."""
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.reasoncodes import ReasonCode

    caplog.set_level(logging.ERROR, logger="hub.mqtt.client")
    link = _link(example_config, free_port(), "hub/request", "hub/listen")
    link._unacked = {7, 8}
    granted = ReasonCode(PacketTypes.SUBACK, identifier=1)
    refused = ReasonCode(PacketTypes.SUBACK, identifier=0x87)
    link._handle_subscribe(None, None, 7, [granted], None)
    assert not link.listening and not caplog.text  # one SUBACK still to come
    link._handle_subscribe(None, None, 8, [refused], None)
    assert link.listening  # acknowledged, if refused: READY must not wait on it
    assert "refused a subscription (Not authorized)" in caplog.text
    assert "hub/request, hub/listen" in caplog.text
    link._handle_subscribe(None, None, 9, [refused], None)  # not one of this connection's
    assert caplog.text.count("refused") == 1


@pytest.mark.parametrize(("failures", "base"), [(0, 1), (1, 2), (2, 4), (3, 5), (9, 5)])
def test_reconnect_waits_double_up_to_the_cap_with_jitter(
    example_config: Config, failures: int, base: float
) -> None:
    link = _link(example_config, free_port())
    assert link.settings.reconnect_max_delay == 5
    link._failures = failures
    waits = [link._backoff() for _ in range(200)]
    assert all(0.8 * base <= w <= 1.2 * base for w in waits)
    assert max(waits) - min(waits) > 0.1 * base  # spread: clients do not come back in step


def test_the_daemons_link_keeps_its_session_and_its_markers_come_back(
    broker: Broker, example_config: Config
) -> None:
    received: list[str] = []
    settings = mqtt_settings(example_config, broker.port)
    link = MQTTLink(
        settings,
        status_topic=None,
        subscriptions=["hub/request"],
        on_message=lambda inbound: received.append(inbound.topic),
        session=True,
        marker_prefix="hub/marker",
    )
    once = _link(example_config, broker.port)  # hub ask --publish: a clean session
    link.start()
    once.start()
    try:
        assert link.anchor is not None
        assert link.anchor.topic == f"hub/marker/{settings.client_id}"
        assert link.wait_listening(10) and once.wait_listening(10)
        anchor = link.anchor
        wait_until(lambda: anchor.stamp()[0] > float("-inf"), 10, "a marker's echo")
        first = anchor.stamp()[0]
        wait_until(lambda: anchor.stamp()[0] > first, 10, "the next marker, a second later")
    finally:
        link.stop(1)
        once.stop(1)
    assert received == []  # markers are the link's own business
    broker.stop()
    log = broker.log_text()
    assert f"as {settings.client_id} (p5, c0," in log  # clean start off: a persistent session
    assert f"as {once.client_id} (p5, c1," in log


def test_the_broker_never_sends_a_packet_over_the_links_maximum(
    broker: Broker, example_config: Config
) -> None:
    """A 15 MB bridge/devices held every request behind it for seconds while paho read it;
    with MQTT 5's Maximum Packet Size the broker drops it instead of sending it."""
    import paho.mqtt.publish as publish

    got: list[tuple[str, int]] = []
    settings = mqtt_settings(example_config, broker.port)
    link = MQTTLink(
        settings,
        status_topic=None,
        subscriptions=("bus/#",),
        on_message=lambda inbound: got.append((inbound.topic, inbound.size)),
        max_packet=10_000,
    )
    link.start()
    try:
        assert link.wait_listening(10)
        for topic, size in (("bus/big", 50_000), ("bus/small", 100)):
            publish.single(topic, b"x" * size, qos=1, hostname="127.0.0.1", port=broker.port)
        wait_until(lambda: ("bus/small", 100) in got, 10, "the small message")
        assert ("bus/big", 50_000) not in got
    finally:
        link.stop(1)
