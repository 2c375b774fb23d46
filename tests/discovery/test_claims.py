"""Topic claims: who holds a topic, by exact topic, ``prefix/#`` or ``+`` filter."""

from __future__ import annotations

from types import MappingProxyType

from hub.discovery.claims import Claim, Claims, config_claims, custom_filter
from hub.registry import Device


def claims(*items: Claim) -> Claims:
    out = Claims()
    for item in items:
        out.add(item)
    return out


def test_exact_prefix_and_plus_claims_hold_what_they_match() -> None:
    held = claims(
        Claim("a/state", "one", "one", command=False, private=False),
        Claim("cmnd/plug/#", "two", "two", command=True, private=False),
        Claim("garden/+/cmd", "three", "three", command=True, private=True),
    )
    assert held.holder("a/state", {"x"}, reading=False).owner == "one"  # type: ignore[union-attr]
    assert held.holder("cmnd/plug", {"x"}, reading=False).owner == "two"  # type: ignore[union-attr]
    assert held.holder("cmnd/plug/POWER2", {"x"}, reading=True).owner == "two"  # type: ignore[union-attr]
    assert held.holder("cmnd/plugs/POWER", {"x"}, reading=False) is None
    assert held.holder("garden/tap/cmd", {"x"}, reading=True).owner == "three"  # type: ignore[union-attr]
    assert held.holder("garden/tap/cmd/x", {"x"}, reading=False) is None
    # the owner itself, and reading another entity's (not private) state topic, are free
    assert held.holder("cmnd/plug/POWER", {"two"}, reading=False) is None
    assert held.holder("a/state", {"x"}, reading=True) is None


def test_config_devices_claim_their_bindings_topics() -> None:
    z2m = Device(
        "light.hall",
        "Hall",
        binding=MappingProxyType(
            {"type": "zigbee2mqtt", "friendly_name": "Hall/Spots", "base": "z"}
        ),
    )
    held = claims(*config_claims(z2m, "zigbee2mqtt"))
    for topic in (
        "z/Hall/Spots",
        "z/Hall/Spots/set",
        "z/Hall/Spots/set/state",
        "z/Hall/Spots/availability",
    ):
        claim = held.holder(topic, set(), reading=True)
        assert claim is not None and claim.holder == "the config's light.hall ('Hall')"
    assert held.holder("z/Hall", set(), reading=False) is None  # another device's name
    assert config_claims(Device("light.x", "X"), "zigbee2mqtt") == []  # hub/action/light


def test_a_custom_topic_template_becomes_a_filter() -> None:
    device = Device("valve.tap", "Tap")
    assert custom_filter("garden/${object_id}/cmd", device) == "garden/tap/cmd"
    assert custom_filter("home/$domain/${service}_x/$brightness", device) == "home/valve/+/+"
