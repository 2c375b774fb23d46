"""Which commands are security actions, and who may ask for them."""

from __future__ import annotations

import pytest

from hub.config.security import SecurityConfig
from hub.messages import Command
from hub.registry import Device, Registry
from hub.security.policy import SecurityPolicy, is_opening_cover


@pytest.mark.parametrize(
    "action, entity_id, secure",
    [
        ("lock.unlock", "lock.front_door", True),
        ("lock.open", "lock.front_door", True),
        ("lock.lock", "lock.front_door", False),
        ("cover.open_cover", "cover.garage_door", True),
        ("cover.set_cover_position", "cover.garage_door", True),
        ("cover.toggle", "cover.garage_door", True),
        ("cover.close_cover", "cover.garage_door", False),
        ("cover.open_cover", "cover.living_room_blinds", False),
        ("light.turn_on", "light.kitchen_ceiling", False),
    ],
)
def test_security_actions_are_the_ones_that_open_the_home(
    registry: Registry, action: str, entity_id: str, secure: bool
) -> None:
    policy = SecurityPolicy()
    assert policy.is_security(Command(action, (entity_id,)), registry) is secure


def test_a_device_the_config_marks_is_secure_whatever_the_action(registry: Registry) -> None:
    policy = SecurityPolicy(SecurityConfig(devices=("switch.coffee_machine",)))
    assert policy.is_security(Command("switch.turn_on", ("switch.coffee_machine",)), registry)
    assert not SecurityPolicy().is_security(
        Command("switch.turn_on", ("switch.coffee_machine",)), registry
    )


@pytest.mark.parametrize(
    "device, opening",
    [
        (Device("cover.x", "Shed", device_class="gate"), True),
        (Device("cover.x", "Shed", device_class="blind"), False),
        (Device("cover.x", "Main Opener Garage"), True),
        (Device("cover.x", "Garagentor"), True),
        (Device("cover.x", "Hoftor"), True),
        (Device("cover.x", "Motor Blind"), False),  # "tor" only as a word of its own
        (Device("cover.x", "Porte du garage"), True),
        (Device("light.door", "Door Light"), False),  # not a cover
        (None, True),  # unknown: never counted harmless
    ],
)
def test_opening_covers_are_known_by_class_or_by_name(device: Device | None, opening: bool) -> None:
    assert is_opening_cover(device) is opening


def test_the_model_and_the_cache_never_act_without_a_confirmation(registry: Registry) -> None:
    trusting = SecurityPolicy(SecurityConfig(confirm=False))
    unlock = [Command("lock.unlock", ("lock.front_door",))]
    assert not trusting.needs_confirmation(unlock, registry, "template")
    assert trusting.needs_confirmation(unlock, registry, "llm")
    assert trusting.needs_confirmation(unlock, registry, "cache")
    one_device = SecurityPolicy(SecurityConfig(without_confirmation=("lock.front_door",)))
    assert not one_device.needs_confirmation(unlock, registry, "template")
    garage = [Command("cover.open_cover", ("cover.garage_door",))]
    assert one_device.needs_confirmation(garage, registry, "template")


def test_sources_and_areas_limit_who_may_ask() -> None:
    policy = SecurityPolicy(SecurityConfig(sources=("speech", "mqtt/panel"), areas=("hallway",)))
    assert policy.refusal("speech", "hallway") is None
    assert policy.refusal("mqtt/panel", "hallway") is None
    refusal = policy.refusal("mqtt", "hallway")
    assert refusal is not None and "security.sources" in refusal
    refusal = policy.refusal("speech", "garage")
    assert refusal is not None and "hallway" in refusal
    assert policy.refusal("speech", None) is not None
    assert SecurityPolicy().source_allowed("cli")
    assert not SecurityPolicy().source_allowed("mqtt/anyone")
