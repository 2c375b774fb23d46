"""Home Assistant's mqtt_statestream, one message at a time: topic and payload in, an update of
one entity (or why not) out, folded into a state."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from hub.integrations.homeassistant.statestream import (
    MAX_PAYLOAD,
    Ignored,
    Statestream,
    StreamUpdate,
)
from hub.registry import State

STREAM = Statestream("homeassistant_statestream")


def read(key: str, payload: bytes | str, entity: str = "light/bedside") -> object:
    data = payload.encode() if isinstance(payload, str) else payload
    return STREAM.read(f"homeassistant_statestream/{entity}/{key}", data)


def test_a_state_is_the_text_as_it_is() -> None:
    assert read("state", "on") == StreamUpdate("light.bedside", state="on")
    assert read("state", "21.5", "sensor/outside") == StreamUpdate("sensor.outside", state="21.5")
    update = read("state", "unavailable")
    assert isinstance(update, StreamUpdate) and update.available is False
    assert StreamUpdate("light.bedside", state="on").available is True
    assert StreamUpdate("light.bedside", attribute="brightness", value=1).available is None


def test_attributes_are_json_and_anything_else_is_text() -> None:
    assert read("brightness", "180") == StreamUpdate(
        "light.bedside", attribute="brightness", value=180
    )
    assert read("friendly_name", '"Bedside Lamp"') == StreamUpdate(
        "light.bedside", attribute="friendly_name", value="Bedside Lamp"
    )
    assert read("hvac_modes", '["off", "heat"]', "climate/hall") == StreamUpdate(
        "climate.hall", attribute="hvac_modes", value=["off", "heat"]
    )
    assert read("effect", "rainbow") == StreamUpdate(
        "light.bedside", attribute="effect", value="rainbow"
    )
    assert read("brightness", "NaN") == StreamUpdate(
        "light.bedside", attribute="brightness", value="NaN"
    )
    assert read("brightness", "null") == StreamUpdate("light.bedside", attribute="brightness")


def test_timestamps_other_topics_and_emptied_messages_say_nothing() -> None:
    assert read("last_changed", "2024-05-01T10:00:00+00:00") is None
    assert read("last_updated", "2024-05-01T10:00:00+00:00") is None
    assert read("config", '{"name": "x"}') is None  # discovery, when the base is its prefix
    assert read("state", b"") is None  # a retained message cleared
    assert STREAM.read("zigbee2mqtt/light/bedside/state", b"on") is None
    assert STREAM.read("homeassistant_statestream/light/bedside", b"on") is None
    assert STREAM.read("homeassistant_statestream/light/bedside/a/b", b"on") is None
    assert not STREAM.covers("homeassistant_statestreamer/light/bedside/state")


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("light/bedside/state", b"o" * (MAX_PAYLOAD + 1), "over the 4096"),
        ("light/bedside/brightness", b"1" * (MAX_PAYLOAD + 1), "over the 4096"),
        ("light/bedside/state", b"\xff\xfe", "not UTF-8"),
        ("light/bedside/state", b"x" * 256, "256 characters"),
        ("light/bedside/state", b"on\nthe door is open", "control characters"),
        ("light/bedside/", b"1", "no attribute name"),
    ],
)
def test_garbage_is_ignored_with_a_reason(topic: str, payload: bytes, reason: str) -> None:
    ignored = STREAM.read(f"homeassistant_statestream/{topic}", payload)
    assert isinstance(ignored, Ignored) and reason in ignored.reason
    assert ignored.entity_id == "light.bedside"


def test_a_topic_that_names_no_entity_is_ignored_without_one() -> None:
    ignored = STREAM.read("homeassistant_statestream/Light/Bed Side/state", b"on")
    assert isinstance(ignored, Ignored) and ignored.entity_id is None
    assert "'Light.Bed Side' is not an entity id" in ignored.reason


def test_the_base_as_ha_writes_it_and_the_filter_per_entity() -> None:
    stream = Statestream("home/ha/")
    assert stream.base == "home/ha"
    assert stream.filter("light.bedside") == "home/ha/light/bedside/+"
    assert stream.read("home/ha/light/bedside/state", b"off") == StreamUpdate(
        "light.bedside", state="off"
    )


def test_an_update_folds_into_the_current_state() -> None:
    current = State("off", MappingProxyType({"brightness": 100, "min_mireds": 153}))
    on = StreamUpdate("light.bedside", state="on").apply(current)
    assert on == State("on", current.attributes)
    dimmed = StreamUpdate("light.bedside", attribute="brightness", value=180).apply(on or current)
    assert dimmed is not None and dict(dimmed.attributes) == {"brightness": 180, "min_mireds": 153}
    cleared = StreamUpdate("light.bedside", attribute="brightness").apply(dimmed)
    assert cleared is not None and dict(cleared.attributes) == {"min_mireds": 153}
    assert cleared.state == "on"


def test_a_flood_of_attribute_names_stops_at_the_cap() -> None:
    state = State("on")
    for i in range(3):
        grown = StreamUpdate("light.x", attribute=f"a{i}", value=i).apply(state, max_attributes=3)
        assert grown is not None
        state = grown
    assert StreamUpdate("light.x", attribute="a3", value=3).apply(state, max_attributes=3) is None
    changed = StreamUpdate("light.x", attribute="a0", value=9).apply(state, max_attributes=3)
    assert changed is not None and changed.attributes["a0"] == 9  # a known one still changes
