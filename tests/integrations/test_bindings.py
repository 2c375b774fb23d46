"""Bindings: each validated command becomes exactly the message its device's firmware expects."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from hub.config import parse_config
from hub.config.binding import BindingSpecError, parse_binding
from hub.errors import ConfigError
from hub.integrations.colors import color_hex
from hub.integrations.custom.binding import CustomBinding
from hub.integrations.router import BindingError, BindingSettings, Router
from hub.integrations.tasmota.binding import TasmotaBinding
from hub.integrations.zigbee2mqtt.binding import Zigbee2MQTTBinding
from hub.messages import Command
from hub.registry import Device, Registry


def cmd(action: str, *entity_ids: str, **data: Any) -> Command:
    return Command(action, entity_ids, MappingProxyType(data))


LAMP = Device("light.lamp", "Lamp", features=frozenset({"brightness", "color", "color_temp"}))


@pytest.mark.parametrize(
    ("command", "payload"),
    [
        (cmd("light.turn_on", "light.lamp"), {"state": "ON"}),
        (cmd("light.turn_on", "light.lamp", brightness_pct=50), {"state": "ON", "brightness": 127}),
        (
            cmd("light.turn_on", "light.lamp", brightness_pct=100),
            {"state": "ON", "brightness": 254},
        ),
        (cmd("light.turn_on", "light.lamp", brightness_pct=0), {"state": "OFF"}),
        (
            cmd("light.turn_on", "light.lamp", brightness_step_pct=-10),
            {"state": "ON", "brightness_step": -25},
        ),
        (
            cmd("light.turn_on", "light.lamp", color_temp_kelvin=2700),
            {"state": "ON", "color_temp": 370},
        ),
        (
            cmd("light.turn_on", "light.lamp", color_name="red", transition=2),
            {"state": "ON", "color": {"hex": "#ff0000"}, "transition": 2},
        ),
        (cmd("light.turn_off", "light.lamp"), {"state": "OFF"}),
        (cmd("light.toggle", "light.lamp"), {"state": "TOGGLE"}),
        (cmd("switch.turn_off", "switch.s"), {"state": "OFF"}),
        (cmd("cover.open_cover", "cover.c"), {"state": "OPEN"}),
        (cmd("cover.stop_cover", "cover.c"), {"state": "STOP"}),
        (cmd("cover.set_cover_position", "cover.c", position=40), {"position": 40}),
        (cmd("lock.unlock", "lock.l"), {"state": "UNLOCK"}),
        (cmd("valve.close_valve", "valve.v"), {"state": "OFF"}),
        (cmd("fan.set_percentage", "fan.f", percentage=50), {"fan_mode": "medium"}),
        (cmd("fan.turn_off", "fan.f"), {"fan_state": "OFF"}),
        (cmd("climate.set_temperature", "climate.t", temperature=21.5), {"setpoint": 21.5}),
        (cmd("climate.set_hvac_mode", "climate.t", hvac_mode="off"), {"system_mode": "off"}),
    ],
)
def test_zigbee2mqtt_payloads(command: Command, payload: dict[str, Any]) -> None:
    binding = Zigbee2MQTTBinding("zigbee2mqtt", "Living Room/Lamp 1", setpoint="setpoint")
    [message] = binding.messages(command, LAMP)
    assert message.topic == "zigbee2mqtt/Living Room/Lamp 1/set"
    assert json.loads(message.payload) == payload


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (cmd("light.turn_on", "light.lamp"), [("POWER2", "ON")]),
        (cmd("light.turn_off", "light.lamp"), [("POWER2", "OFF")]),
        (cmd("switch.toggle", "switch.s"), [("POWER2", "TOGGLE")]),
        (cmd("light.turn_on", "light.lamp", brightness_pct=30), [("Dimmer", "30")]),
        (cmd("light.turn_on", "light.lamp", brightness_pct=0), [("POWER2", "OFF")]),
        (
            cmd("light.turn_on", "light.lamp", brightness_step_pct=20),
            [("POWER2", "ON"), ("Dimmer", "+")],
        ),
        (
            cmd("light.turn_on", "light.lamp", color_temp_kelvin=9000),
            [("POWER2", "ON"), ("CT", "153")],
        ),
        (
            cmd("light.turn_on", "light.lamp", color_name="navyblue"),
            [("POWER2", "ON"), ("Color", "#000080")],
        ),
        (cmd("cover.close_cover", "cover.c"), [("ShutterClose2", "")]),
        (cmd("cover.set_cover_position", "cover.c", position=25), [("ShutterPosition2", "25")]),
        (cmd("fan.set_percentage", "fan.f", percentage=100), [("FanSpeed", "3")]),
        (cmd("fan.increase_speed", "fan.f"), [("FanSpeed", "+")]),
        (cmd("valve.open_valve", "valve.v"), [("POWER2", "ON")]),
    ],
)
def test_tasmota_commands(command: Command, expected: list[tuple[str, str]]) -> None:
    messages = TasmotaBinding("kitchen_plug", relay=2).messages(command, LAMP)
    assert [(m.topic, m.payload) for m in messages] == [
        (f"cmnd/kitchen_plug/{name}", value) for name, value in expected
    ]


@pytest.mark.parametrize(
    ("binding", "command"),
    [
        (Zigbee2MQTTBinding("z", "x"), cmd("cover.toggle", "cover.c")),
        (Zigbee2MQTTBinding("z", "x"), cmd("lock.open", "lock.l")),
        (Zigbee2MQTTBinding("z", "x"), cmd("fan.oscillate", "fan.f", oscillating=True)),
        (TasmotaBinding("t"), cmd("valve.set_valve_position", "valve.v", position=50)),
        (TasmotaBinding("t"), cmd("fan.oscillate", "fan.f", oscillating=True)),
        (CustomBinding("a/b", {"turn_on": "1"}), cmd("switch.turn_off", "switch.s")),
        (
            CustomBinding("a/b", {"default": "${brightness_pct}"}),
            cmd("light.turn_on", "light.lamp"),
        ),
        (CustomBinding("a/${name}", {"default": "x"}), cmd("light.turn_on", "light.lamp")),
    ],
)
def test_what_a_binding_cannot_express_is_an_error_not_a_guess(
    binding: Any, command: Command
) -> None:
    device = Device("light.lamp", "Lamp/+")
    with pytest.raises(BindingError) as info:
        binding.messages(command, device)
    assert info.value.code == "unsupported_by_binding"


def test_custom_templates_fill_in_the_command() -> None:
    binding = CustomBinding(
        "home/${domain}/${object_id}",
        {"turn_on": '{"on":true,"bri":${brightness_pct}}', "default": "${action} ${data}"},
    )
    [on] = binding.messages(cmd("light.turn_on", "light.lamp", brightness_pct=40), LAMP)
    assert (on.topic, on.payload) == ("home/light/lamp", '{"on":true,"bri":40}')
    [off] = binding.messages(cmd("light.turn_off", "light.lamp", transition=1), LAMP)
    assert off.payload == 'light.turn_off {"transition":1}'


def test_the_router_groups_home_assistant_devices_and_splits_the_rest() -> None:
    registry = Registry(
        devices=[
            Device("light.a", "A"),
            Device("light.b", "B"),
            Device("light.z", "Z", binding={"type": "zigbee2mqtt", "friendly_name": "Z"}),
            Device("light.t", "T", binding={"type": "tasmota", "topic": "t"}),
        ]
    )
    router = Router(registry, BindingSettings(prefix="home", zigbee2mqtt_base="zb"))
    messages = router.messages([cmd("light.turn_off", "light.a", "light.z", "light.b", "light.t")])
    assert [(m.topic, m.payload) for m in messages] == [
        ("zb/Z/set", '{"state":"OFF"}'),
        ("cmnd/t/POWER", "OFF"),
        (
            "home/action/light",
            '{"action":"light.turn_off","target":{"entity_id":["light.a","light.b"]},"data":{}}',
        ),
    ]


def test_one_untranslatable_command_stops_the_whole_reply() -> None:
    registry = Registry(
        devices=[
            Device("cover.a", "A"),
            Device("cover.z", "Z", binding={"type": "zigbee2mqtt", "friendly_name": "Z"}),
        ]
    )
    with pytest.raises(BindingError):
        Router(registry).messages(
            [cmd("cover.open_cover", "cover.a"), cmd("cover.toggle", "cover.z")]
        )


def test_colour_names_match_the_validator_and_css() -> None:
    from hub.actions import COLOR_NAMES

    assert all(color_hex(name) for name in COLOR_NAMES)  # every name the validator allows
    assert color_hex("navyblue") == color_hex("navy") == "#000080"
    assert color_hex("Dark Orange") == "#ff8c00"
    assert color_hex("rebeccapurple") is None  # not one of Home Assistant's names
    samples = {"lightgoldenrodyellow": "#fafad2", "mediumpurple": "#9370db", "teal": "#008080"}
    assert {name: color_hex(name) for name in samples} == samples


@pytest.mark.parametrize(
    ("binding", "entity_id", "key", "reason"),
    [
        ({"type": "mqtt"}, "light.a", "type", "must be one of"),
        ({"type": "zigbee2mqtt"}, "light.a", "friendly_name", "is required"),
        ({"type": "zigbee2mqtt", "friendly_name": "a/#"}, "light.a", "friendly_name", "wildcard"),
        ({"type": "zigbee2mqtt", "friendly_name": "a/"}, "light.a", "friendly_name", "empty level"),
        ({"type": "zigbee2mqtt", "friendly_name": "a"}, "media_player.a", "type", "cannot drive"),
        ({"type": "tasmota", "topic": "a/b"}, "switch.a", "topic", "without '/'"),
        ({"type": "tasmota", "topic": "a", "relay": 0}, "switch.a", "relay", "1 to 32"),
        (
            {"type": "tasmota", "topic": "a", "friendly_name": "x"},
            "switch.a",
            "friendly_name",
            "unknown key",
        ),
        ({"type": "tasmota", "topic": "a"}, "lock.a", "type", "cannot drive"),
        ({"type": "custom", "topic": "a/b"}, "switch.a", "payload", "is required"),
        (
            {"type": "custom", "topic": "a/${nope}", "payload": "1"},
            "switch.a",
            "topic",
            "unknown placeholder",
        ),
        (
            {"type": "custom", "topic": "a", "payload": "$"},
            "switch.a",
            "payload",
            "not a valid template",
        ),
        (
            {"type": "custom", "topic": "a", "payload": {"open": "1"}},
            "switch.a",
            "payload.open",
            "no action",
        ),
        ({"type": "homeassistant", "topic": "x"}, "switch.a", "topic", "unknown key"),
    ],
)
def test_bad_bindings_are_refused_at_load(
    binding: dict[str, Any], entity_id: str, key: str, reason: str
) -> None:
    with pytest.raises(BindingSpecError) as info:
        parse_binding(binding, entity_id)
    assert (info.value.key, reason in info.value.reason) == (key, True)


def test_a_bad_binding_in_the_config_names_its_key_and_line() -> None:
    text = (
        "devices:\n"
        "  - id: switch.plug\n"
        "    binding:\n"
        "      type: custom\n"
        "      topic: plugs/plug\n"
        "      payload:\n"
        "        turn_on: 'ON'\n"
        "        open_cover: 'OPEN'\n"
    )
    with pytest.raises(ConfigError) as info:
        parse_config(text, file=Path("home.yaml"))
    assert info.value.key == "devices[0].binding.payload.open_cover"
    assert info.value.line == 8


def test_devices_without_a_binding_use_home_assistant() -> None:
    config = parse_config(
        "devices: [{id: light.a}, {id: light.b, binding: {type: homeassistant}}]\n"
    )
    router = Router(config.registry())
    assert {router.binding(d).type for d in config.devices} == {"homeassistant"}
    assert parse_binding(None, "light.a").type == "homeassistant"
