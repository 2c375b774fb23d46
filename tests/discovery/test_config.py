"""The discovery: section of the config, and its errors (key, line, reason)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import parse_config
from hub.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.yaml"
BASE = """
areas: [{id: kitchen, name: Kitchen}]
mqtt: {zigbee2mqtt_base: z2m}
"""


def test_defaults_follow_the_mqtt_section() -> None:
    config = parse_config(BASE + "discovery: {}\n")
    d = config.discovery
    assert d is not None
    assert (d.zigbee2mqtt, d.homeassistant, d.zigbee2mqtt_base, d.discovery_prefix) == (
        True,
        True,
        "z2m",
        "homeassistant",
    )
    assert d.verify_timeout == 3.0
    assert (d.allow_security, d.command_topics, d.max_payload, d.rebuild_interval) == (
        frozenset(),
        None,
        4 * 1024 * 1024,
        1.0,
    )
    assert d.command_topic_allowed("anything/at/all")
    assert parse_config(BASE).discovery is None


def test_the_keys_that_keep_the_bus_from_being_a_way_in() -> None:
    config = parse_config(
        BASE
        + """
discovery:
  allow_security: [lock.shed, cover.garage_door]
  command_topics: ["z2m/+/set", "shellies/#"]
  max_payload: 1048576
  rebuild_interval: 5
"""
    )
    d = config.discovery
    assert d is not None
    assert d.allow_security == {"lock.shed", "cover.garage_door"}
    assert d.command_topic_allowed("z2m/Plug/set") and d.command_topic_allowed("shellies/a/b")
    assert not d.command_topic_allowed("z2m/Kitchen/Plug/set")
    assert (d.max_payload, d.rebuild_interval) == (1048576, 5.0)


def test_areas_by_prefix_and_overrides() -> None:
    config = parse_config(
        BASE
        + """
discovery:
  areas: {"Kitchen/": kitchen, "Kitchen/Coffee Plug": kitchen}
  devices:
    "Kitchen/Ceiling": {name: Ceiling, aliases: [big light], area: kitchen}
    light.x: {hide: true, id: light.y}
  verify_timeout: 1.5
"""
    )
    d = config.discovery
    assert d is not None
    assert d.area_for("Kitchen/Spots") == "kitchen" and d.area_for("Hall/Spots") is None
    assert d.devices["Kitchen/Ceiling"].aliases == ("big light",)
    assert d.devices["light.x"].hide and d.devices["light.x"].id == "light.y"
    assert d.verify_timeout == 1.5


@pytest.mark.parametrize(
    ("section", "key", "reason"),
    [
        ("discovery: {areas: {'Hall/': hall}}", "discovery.areas.Hall/", "unknown area 'hall'"),
        ("discovery: {devices: {x: {area: attic}}}", "discovery.devices.x.area", "unknown area"),
        ("discovery: {devices: {x: {colour: red}}}", "discovery.devices.x.colour", "unknown key"),
        (
            "discovery: {devices: {x: {id: Not An Id}}}",
            "discovery.devices.x.id",
            "not an entity id",
        ),
        ("discovery: {verify_timeout: 0}", "discovery.verify_timeout", "between"),
        ("discovery: {zigbee2mqtt: maybe}", "discovery.zigbee2mqtt", "true or false"),
        ("discovery: {zigbee2mqtt_base: 'z/#'}", "discovery.zigbee2mqtt_base", "wildcard"),
        ("discovery: {sources: [z2m]}", "discovery.sources", "unknown key"),
        (
            "discovery: {allow_security: [front door]}",
            "discovery.allow_security[0]",
            "not an entity id like 'lock.shed'",
        ),
        ("discovery: {command_topics: []}", "discovery.command_topics", "lists no topic"),
        ("discovery: {command_topics: ['a/#/b']}", "discovery.command_topics[0]", "'#' must"),
        ("discovery: {command_topics: ['a/b+']}", "discovery.command_topics[0]", "'+' must"),
        ("discovery: {max_payload: 10}", "discovery.max_payload", "between 65536"),
        ("discovery: {rebuild_interval: -1}", "discovery.rebuild_interval", "between 0"),
        ("discovery: {statestream: true}", "discovery.statestream", "base_topic"),
        ("discovery: {statestream: 'ha/#'}", "discovery.statestream", "wildcard"),
        ("discovery: {statestream: ''}", "discovery.statestream", "must not be empty"),
        ("discovery: {statestream: hub/states}", "discovery.statestream", "hub's own topics"),
        ("discovery: {statestream: z2m}", "discovery.statestream", "Zigbee2MQTT's topics"),
    ],
)
def test_errors_name_the_key_and_the_reason(section: str, key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(BASE + section + "\n")
    assert info.value.key == key
    assert reason in str(info.value)
    assert info.value.line is not None


def test_statestream_is_off_unless_its_base_topic_is_given() -> None:
    off = parse_config(BASE + "discovery: {}\n").discovery
    assert off is not None and off.statestream is None
    for written in ("homeassistant_statestream", "homeassistant_statestream/"):
        config = parse_config(BASE + f"discovery: {{statestream: {written}}}\n")
        assert config.discovery is not None
        assert config.discovery.statestream == "homeassistant_statestream"
    config = parse_config(BASE + "discovery: {statestream: homeassistant}\n")  # as HA's docs
    assert config.discovery is not None and config.discovery.statestream == "homeassistant"


def test_discovery_needs_the_mqtt_section() -> None:
    with pytest.raises(ConfigError, match="needs an mqtt: section"):
        parse_config("discovery: {}\n")


def test_the_example_discovery_section_loads_once_uncommented() -> None:
    """config.example.yaml's discovery: section is commented out; uncommented, with its optional
    statestream key too, it is a valid config."""
    text = EXAMPLE.read_text(encoding="utf-8")
    start = text.index("\n# discovery:\n") + 1
    end = text.index("\n\n", start)
    block = "\n".join(
        line.removeprefix("# ").replace("  # statestream:", "  statestream:")
        for line in text[start:end].splitlines()
    )
    config = parse_config(text[:start] + block + text[end:], file=EXAMPLE)
    assert config.discovery is not None
    assert config.discovery.statestream == "homeassistant_statestream"
    assert config.discovery.area_for("Kitchen/Ceiling") == "kitchen"
