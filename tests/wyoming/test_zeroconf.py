"""What the hub would announce over mDNS (the tests never announce: zeroconf is off)."""

from __future__ import annotations

import socket

import pytest

from hub.wyoming.zeroconf import SERVICE_TYPE, announce_address, instance_name, service_info


def test_the_service_info_home_assistant_discovers() -> None:
    info = service_info("hub", "192.168.1.20", 10700, hostname="raspberrypi.lan")
    assert info.type == "_wyoming._tcp.local." == SERVICE_TYPE  # HA's manifest: zeroconf
    assert info.name == "hub-raspberrypi._wyoming._tcp.local."
    assert info.port == 10700
    assert info.addresses == [socket.inet_aton("192.168.1.20")]
    assert info.server == "raspberrypi.local."


@pytest.mark.parametrize(
    ("name", "hostname", "expected"),
    [
        ("hub", "raspberrypi", "hub-raspberrypi"),
        ("hub", "pi.example.org", "hub-pi"),
        ("kitchen hub", "my_pi!", "kitchen hub-my-pi"),
        ("hub", "!!!", "hub"),
        ("h" * 60, "raspberrypi", "h" * 60 + "-ra"),  # one DNS label: at most 63 bytes
    ],
)
def test_instance_names(name: str, hostname: str, expected: str) -> None:
    assert instance_name(name, hostname) == expected


def test_a_loopback_service_is_not_announced() -> None:
    assert announce_address("127.0.0.1") is None
    assert announce_address("localhost") is None
    assert announce_address("192.168.1.20") == "192.168.1.20"
