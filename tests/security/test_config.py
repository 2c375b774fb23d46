"""The security section of the config, and private FAQ entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.app.build import build_pipeline
from hub.config import parse_config
from hub.errors import ConfigError
from hub.messages import Request
from hub.store.memory import PRIVATE_REPLY, request_event

HOME = """
areas: [{id: hallway, name: Hallway}]
devices:
  - {id: lock.front_door, name: Front Door, area: hallway}
faq:
  - {id: wifi, questions: ["what's the wifi password"], answer: "It is on the fridge."}
  - {id: door_code, questions: ["what's the door code"], answer: "The code is 4711.",
     private: true}
"""


def test_defaults_confirm_and_allow_only_local_sources() -> None:
    security = parse_config(HOME).security
    assert security.confirm and security.pin is None
    assert security.sources == ("cli", "speech")


def test_a_full_section(tmp_path: Path) -> None:
    pin = tmp_path / "pin"
    pin.write_text("4711\n")
    config = parse_config(
        HOME
        + f"""
security:
  confirm_seconds: 20
  pin_file: {pin}
  sources: [speech, mqtt/homeassistant, wyoming]
  areas: [hallway]
  without_confirmation: [lock.front_door]
"""
    )
    s = config.security
    assert (s.confirm_seconds, s.pin, s.areas) == (20.0, "4711", ("hallway",))
    assert s.sources == ("speech", "mqtt/homeassistant", "wyoming")
    assert "4711" not in repr(s), "the PIN is never logged"


@pytest.mark.parametrize(
    "section, key, reason",
    [
        ("sources: [kitchen-panel]", "security.sources", "is not a source"),
        ("sources: ['mqtt/+']", "security.sources", "is not a source"),
        ("areas: [garage]", "security.areas", "unknown area"),
        ("devices: [lock.back_door]", "security.devices", "no device"),
        ("without_confirmation: [front_door]", "security.without_confirmation", "entity id"),
        ("pin: 12", "security.pin", "3 to 12 digits"),
        ("pin: 12ab", "security.pin", "3 to 12 digits"),
        ("confirm_seconds: 1", "security.confirm_seconds", ""),
        ("confirm: maybe", "security.confirm", ""),
        ("unlock_all: true", "security.unlock_all", "unknown key"),
    ],
)
def test_bad_security_settings_name_the_key(section: str, key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(HOME + "security:\n  " + section + "\n")
    assert info.value.key == key
    assert reason in str(info.value)


def test_a_private_answer_is_told_only_to_allowed_sources_and_never_kept() -> None:
    config = parse_config(HOME)
    assert [e.private for e in config.faq] == [False, True]
    pipeline = build_pipeline(config, "auto", answers=True)
    told = pipeline.ask(Request("what's the door code", source="cli"))
    assert told.reply == "The code is 4711." and told.private
    event = request_event(Request("what's the door code"), told)
    assert event.reply == PRIVATE_REPLY and "4711" not in str(event.to_row())
    refused = pipeline.ask(Request("what's the door code", source="mqtt"))
    assert "4711" not in refused.reply and refused.error is not None
    assert refused.error.code == "not_allowed"
    public = pipeline.ask(Request("what's the wifi password", source="mqtt"))
    assert "fridge" in public.reply and not public.private
