"""State messages (Zigbee2MQTT, HA discovery, Tasmota) into Home Assistant's state shape."""

from __future__ import annotations

import json
from types import MappingProxyType

import pytest

from hub.discovery.merge import default_z2m_entity
from hub.integrations.homeassistant.state import HAState
from hub.integrations.tasmota.state import TasmotaState
from hub.integrations.zigbee2mqtt.state import Z2MEntity, Z2MState, convert
from hub.registry import State


def z2m(domain: str, **props: str) -> Z2MEntity:
    return Z2MEntity(domain, MappingProxyType(props))


def test_a_zigbee2mqtt_light_in_home_assistants_shape() -> None:
    entity = z2m("light", state="state", brightness="brightness", color_temp="color_temp")
    state = convert(
        entity, {"state": "ON", "brightness": 127, "color_temp": 370, "linkquality": 90}, State()
    )
    assert state is not None
    assert state.to_dict() == {
        "state": "on",
        "attributes": {"brightness": 128, "color_temp_kelvin": 2703},
    }
    full = convert(entity, {"brightness": 254}, state)
    assert full is not None and full.state == "on" and full.attributes["brightness"] == 255


def test_an_endpoint_reads_only_its_own_properties() -> None:
    left = default_z2m_entity("switch", "left", "")
    assert convert(left, {"state_right": "ON"}, State("off")) is None
    state = convert(left, {"state_left": "ON", "state_right": "OFF"}, State("off"))
    assert state is not None and state.state == "on"


@pytest.mark.parametrize(
    ("domain", "message", "expected"),
    [
        ("cover", {"position": 40, "state": "OPEN"}, ("open", {"current_position": 40})),
        ("cover", {"position": 0}, ("closed", {"current_position": 0})),
        ("lock", {"state": "LOCK", "lock_state": "locked"}, ("locked", {})),
        ("lock", {"state": "UNLOCK"}, ("unlocked", {})),
        ("fan", {"fan_state": "ON", "fan_mode": "medium"}, ("on", {"percentage": 66})),
        (
            "climate",
            {"occupied_heating_setpoint": 21.5, "local_temperature": 19, "system_mode": "heat"},
            ("heat", {"temperature": 21.5, "current_temperature": 19}),
        ),
    ],
)
def test_zigbee2mqtt_domains(domain: str, message: dict, expected: tuple) -> None:
    entity = default_z2m_entity(domain, None, "occupied_heating_setpoint")
    state = convert(entity, message, State())
    assert state is not None
    assert (state.state, dict(state.attributes)) == expected


def test_a_contact_sensor_is_on_when_open_as_in_home_assistant() -> None:
    entity = Z2MEntity(
        "binary_sensor",
        MappingProxyType({"value": "contact"}),
        False,
        True,
        MappingProxyType({"device_class": "door"}),
    )
    opened = convert(entity, {"contact": False}, State())
    closed = convert(entity, {"contact": True}, State())
    assert opened is not None and closed is not None
    assert (opened.state, closed.state) == ("on", "off")
    assert opened.attributes["device_class"] == "door"


def test_zigbee2mqtt_availability_new_and_legacy_payloads() -> None:
    source = Z2MState("zigbee2mqtt", "Hall/Lamp", z2m("light", state="state"))
    assert source.availability_topics() == ("zigbee2mqtt/Hall/Lamp/availability",)
    assert source.available("zigbee2mqtt/Hall/Lamp/availability", b'{"state":"offline"}') is False
    assert source.available("zigbee2mqtt/Hall/Lamp/availability", b"online") is True
    assert source.available("zigbee2mqtt/Hall/Lamp/availability", b"garbage") is None
    assert source.read("zigbee2mqtt/Hall/Lamp", b"not json", State()) is None


def test_ha_json_light_and_templates() -> None:
    light = HAState("light", {"schema": "json", "state_topic": "l/state", "brightness_scale": 100})
    state = light.read("l/state", b'{"state": "ON", "brightness": 50}', State())
    assert state is not None and (state.state, state.attributes["brightness"]) == ("on", 128)
    climate = HAState(
        "climate",
        {
            "mode_state_topic": "c/mode",
            "temperature_state_topic": "c/target",
            "temperature_state_template": "{{ value_json.target | float }}",
            "current_temperature_topic": "c/now",
            "modes": ["off", "heat"],
            "min_temp": 7,
        },
    )
    state = climate.read("c/target", json.dumps({"target": 21}).encode(), State("heat"))
    assert state is not None and state.attributes["temperature"] == 21
    assert state.attributes["hvac_modes"] == ["off", "heat"] and state.attributes["min_temp"] == 7
    assert climate.read("c/target", b'{"other": 1}', State()) is None  # the template cannot read it


def test_ha_availability_list_with_its_own_payloads() -> None:
    source = HAState(
        "switch",
        {
            "state_topic": "s",
            "availability": [{"t": "a/lwt", "pl_avail": "up", "pl_not_avail": "down"}],
        },
    )
    assert source.available("a/lwt", b"down") is False
    assert source.available("a/lwt", b"up") is True


def test_tasmota_result_and_telemetry() -> None:
    source = TasmotaState("light", "desk", 2)
    assert source.topics() == ("stat/desk/RESULT", "tele/desk/STATE")
    state = source.read("stat/desk/RESULT", b'{"POWER2":"ON","Dimmer":50}', State("off"))
    assert state is not None and state.state == "on" and state.attributes["brightness"] == 128
    assert source.read("stat/desk/RESULT", b'{"POWER1":"ON"}', State("off")) is None
    assert source.available("tele/desk/LWT", b"Offline") is False
