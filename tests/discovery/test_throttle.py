"""The rebuild throttle: a quiet source at once, a busy one once per interval, the last wins."""

from __future__ import annotations

from hub.discovery.throttle import Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_a_quiet_source_goes_at_once_and_a_busy_one_waits_its_interval() -> None:
    clock = Clock()
    throttle = Throttle(2.0, clock=clock)
    throttle.offer("homeassistant", "a", b"1")
    assert throttle.due() and throttle.take() == {"homeassistant": {"a": b"1"}}
    throttle.offer("homeassistant", "a", b"2")
    throttle.offer("homeassistant", "b", b"1")
    throttle.offer("homeassistant", "a", b"3")  # the last on a topic wins, and comes last
    throttle.offer("zigbee2mqtt", "devices", b"x")  # another source: its own interval
    assert throttle.take() == {"zigbee2mqtt": {"devices": b"x"}}
    assert throttle.waiting == 2 and not throttle.due()
    clock.now += 1.9
    assert throttle.take() == {}
    clock.now += 0.1
    assert list(throttle.take()["homeassistant"].items()) == [("b", b"1"), ("a", b"3")]
    assert throttle.waiting == 0


def test_a_costly_round_makes_the_next_one_wait_longer() -> None:
    clock = Clock()
    throttle = Throttle(1.0, factor=4.0, clock=clock)
    throttle.offer("zigbee2mqtt", "devices", b"big")
    throttle.take()
    throttle.charge(("zigbee2mqtt",), 1.5)  # parsing and rebuilding took 1.5 s
    throttle.offer("zigbee2mqtt", "devices", b"big again")
    clock.now += 5.9
    assert not throttle.due()
    clock.now += 0.1
    assert throttle.due()


def test_force_takes_everything() -> None:
    throttle = Throttle(60.0, clock=Clock())
    throttle.offer("homeassistant", "a", b"1")
    throttle.take()
    throttle.offer("homeassistant", "a", b"2")
    assert throttle.take() == {}
    assert throttle.take(force=True) == {"homeassistant": {"a": b"2"}}
