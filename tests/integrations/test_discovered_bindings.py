"""Bindings of discovered devices: Zigbee2MQTT endpoints and HA discovery command topics."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

import pytest

from hub.config.binding import BindingSpecError, parse_binding
from hub.integrations.homeassistant.abbreviations import expand
from hub.integrations.homeassistant.entity import MQTTEntityBinding
from hub.integrations.router import BindingError, BindingSettings, Router
from hub.integrations.zigbee2mqtt.binding import Zigbee2MQTTBinding
from hub.messages import Command
from hub.registry import Device, Registry


def cmd(action: str, entity_id: str, **data: Any) -> Command:
    return Command(action, (entity_id,), MappingProxyType(data))


def test_an_endpoint_suffixes_every_property() -> None:
    binding = Zigbee2MQTTBinding("zigbee2mqtt", "Hall/Switch", endpoint="l2")
    device = Device("light.hall_l2", "Hall L2", features=frozenset({"brightness"}))
    [message] = binding.messages(
        cmd("light.turn_on", "light.hall_l2", brightness_pct=50, transition=2), device
    )
    assert message.topic == "zigbee2mqtt/Hall/Switch/set"
    assert json.loads(message.payload) == {"state_l2": "ON", "brightness_l2": 127, "transition": 2}


def test_the_endpoint_is_a_binding_key_and_must_be_a_property_name() -> None:
    spec = parse_binding(
        {"type": "zigbee2mqtt", "friendly_name": "Hall", "endpoint": "left"}, "switch.x"
    )
    assert spec.endpoint == "left"
    with pytest.raises(BindingSpecError, match="endpoint"):
        parse_binding(
            {"type": "zigbee2mqtt", "friendly_name": "Hall", "endpoint": "a b"}, "switch.x"
        )


def test_a_router_uses_ready_made_bindings_first() -> None:
    device = Device("switch.plug", "Plug")
    ready = MQTTEntityBinding("switch", {"command_topic": "plug/set"})
    router = Router(Registry(devices=[device]), BindingSettings(), {"switch.plug": ready})
    [message] = router.messages([cmd("switch.turn_on", "switch.plug")])
    assert (message.topic, message.payload) == ("plug/set", "ON")


LIGHT = Device("light.strip", "Strip", features=frozenset({"brightness", "color_temp", "color"}))


@pytest.mark.parametrize(
    ("config", "command", "expected"),
    [
        (
            {"cmd_t": "l/set", "schema": "json", "bri_scl": 100},
            cmd("light.turn_on", "light.strip", brightness_pct=40, color_temp_kelvin=2500),
            [("l/set", {"state": "ON", "brightness": 40, "color_temp": 400})],
        ),
        (
            {"cmd_t": "l/set", "schema": "json"},
            cmd("light.turn_on", "light.strip", color_name="red"),
            [("l/set", {"state": "ON", "color": {"r": 255, "g": 0, "b": 0}})],
        ),
        (
            {"cmd_t": "l/set", "bri_cmd_t": "l/bri/set", "pl_on": "1", "pl_off": "0"},
            cmd("light.turn_on", "light.strip", brightness_pct=50),
            [("l/set", "1"), ("l/bri/set", "128")],
        ),
        (
            {"cmd_t": "l/set", "bri_cmd_t": "l/bri/set", "on_cmd_type": "brightness"},
            cmd("light.turn_on", "light.strip", brightness_pct=50),
            [("l/bri/set", "128")],
        ),
        (
            {"cmd_t": "l/set", "cmd_tpl": '{"power": "{{ value }}"}'},
            cmd("light.turn_off", "light.strip"),
            [("l/set", '{"power": "OFF"}')],
        ),
    ],
)
def test_ha_discovered_lights(config: dict, command: Command, expected: list) -> None:
    out = MQTTEntityBinding("light", expand(config)).messages(command, LIGHT)
    got = [
        (
            m.topic,
            json.loads(m.payload)
            if m.payload.startswith("{") and isinstance(expected[i][1], dict)
            else m.payload,
        )
        for i, m in enumerate(out)
    ]
    assert got == expected


@pytest.mark.parametrize(
    ("domain", "config", "command", "expected"),
    [
        (
            "cover",
            {"~": "g", "cmd_t": "~/set", "set_pos_t": "~/pos"},
            cmd("cover.open_cover", "cover.x"),
            [("g/set", "OPEN")],
        ),
        (
            "cover",
            {"cmd_t": "g/set", "set_pos_t": "g/pos", "pos_open": 255},
            cmd("cover.set_cover_position", "cover.x", position=50),
            [("g/pos", "128")],
        ),
        ("lock", {"cmd_t": "d/set", "pl_lock": "L"}, cmd("lock.lock", "lock.x"), [("d/set", "L")]),
        (
            "climate",
            {"temp_cmd_t": "c/t", "mode_cmd_t": "c/m", "modes": ["off", "cool"]},
            cmd("climate.turn_on", "climate.x"),
            [("c/m", "cool")],
        ),
        (
            "climate",
            {"temp_cmd_t": "c/t"},
            cmd("climate.set_temperature", "climate.x", temperature=21.5),
            [("c/t", "21.5")],
        ),
        (
            "fan",
            {"cmd_t": "f/set", "pct_cmd_t": "f/pct", "spd_rng_max": 4},
            cmd("fan.set_percentage", "fan.x", percentage=100),
            [("f/pct", "4")],
        ),
        ("valve", {"cmd_t": "v/set"}, cmd("valve.close_valve", "valve.x"), [("v/set", "CLOSE")]),
    ],
)
def test_ha_discovered_domains(domain: str, config: dict, command: Command, expected: list) -> None:
    device = Device(command.entity_ids[0], "X")
    out = MQTTEntityBinding(domain, expand(config)).messages(command, device)
    assert [(m.topic, m.payload) for m in out] == expected


def test_what_the_config_has_no_topic_for_is_a_binding_error() -> None:
    binding = MQTTEntityBinding("cover", {"command_topic": "g/set"})
    with pytest.raises(BindingError, match=r"cannot do cover\.set_cover_position"):
        binding.messages(
            cmd("cover.set_cover_position", "cover.x", position=5), Device("cover.x", "Gate")
        )
