from __future__ import annotations

from typing import Any

import pytest

from hub.actions import ACTIONS, DOMAINS
from hub.registry import Device, Registry, State
from hub.validator import (
    BAD_SHAPE,
    BAD_TYPE,
    MISSING_DATA,
    OUT_OF_RANGE,
    UNKNOWN_ACTION,
    UNKNOWN_DATA,
    UNKNOWN_ENTITY,
    UNSUPPORTED,
    WRONG_DOMAIN,
    validate,
)

ALL_FEATURES = frozenset(
    {"brightness", "color", "color_temp", "position", "set_speed", "oscillate"}
)
# One fully featured device per domain, so range checks are not masked by feature checks.
REGISTRY = Registry(
    devices=[Device(f"{d}.one", f"{d} one", None, (), ALL_FEATURES) for d in sorted(DOMAINS)]
)


def cmd(action: str, data: dict[str, Any] | None = None, target: Any = None) -> dict[str, Any]:
    domain = action.split(".")[0]
    return {
        "action": action,
        "target": {"entity_id": target or [f"{domain}.one"]},
        "data": data or {},
    }


def _required_data(spec_action: str) -> dict[str, Any]:
    spec = ACTIONS[spec_action]
    sample = {"int": 1, "number": 0.5, "string": "x", "bool": True}
    data = {}
    for key in spec.required:
        param = spec.params[key]
        data[key] = sorted(param.choices)[0] if param.choices else sample[param.kind]
    return data


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_of_every_domain_validates(action: str) -> None:
    checked = validate(cmd(action, _required_data(action)), REGISTRY)
    assert checked.ok, checked.rejection
    assert checked.command is not None and checked.command.action == action


RANGED = [
    (action, name, param.minimum, param.maximum)
    for action, spec in sorted(ACTIONS.items())
    for name, param in spec.params.items()
    if param.minimum is not None and param.maximum is not None
]


@pytest.mark.parametrize(("action", "key", "low", "high"), RANGED)
def test_every_range_edge(action: str, key: str, low: float, high: float) -> None:
    base = _required_data(action)
    step = 1 if ACTIONS[action].params[key].kind == "int" else 0.001
    for value, ok in ((low, True), (high, True), (low - step, False), (high + step, False)):
        checked = validate(cmd(action, {**base, key: value}), REGISTRY)
        assert checked.ok is ok, (key, value, checked.rejection)
        if not ok:
            assert checked.rejection is not None and checked.rejection.code == OUT_OF_RANGE
            assert key in checked.rejection.reason


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ("not a dict", BAD_SHAPE),
        ({"action": "light.turn_on"}, BAD_SHAPE),
        ({"action": "light.turn_on", "target": []}, BAD_SHAPE),
        ({"action": "light", "target": "light.one"}, BAD_SHAPE),
        ({**cmd("light.turn_on"), "extra": 1}, BAD_SHAPE),
        (cmd("light.explode"), UNKNOWN_ACTION),
        (cmd("teleport.go", target=["light.one"]), UNKNOWN_ACTION),
        (cmd("light.turn_on", target=["light.nowhere"]), UNKNOWN_ENTITY),
        (cmd("light.turn_on", target=["switch.one"]), WRONG_DOMAIN),
        (cmd("light.turn_on", {"brightness": 100}), UNKNOWN_DATA),
        (cmd("cover.set_cover_position"), MISSING_DATA),
        (cmd("light.turn_on", {"brightness_pct": "50"}), BAD_TYPE),
        (cmd("light.turn_on", {"brightness_pct": True}), BAD_TYPE),
        (cmd("light.turn_on", {"brightness_pct": 50.5}), BAD_TYPE),
        (cmd("climate.set_temperature", {"temperature": float("nan")}), BAD_TYPE),
        (cmd("media_player.volume_mute", {"is_volume_muted": 1}), BAD_TYPE),
        (cmd("light.turn_on", {"color_name": "ultraviolet"}), OUT_OF_RANGE),
        (cmd("climate.set_hvac_mode", {"hvac_mode": "turbo"}), OUT_OF_RANGE),
        (cmd("todo.add_item", {"item": "  "}), BAD_TYPE),
        (cmd("todo.add_item", {"item": "x" * 256}), OUT_OF_RANGE),
    ],
)
def test_rejections_carry_a_code_and_a_reason(command: Any, code: str) -> None:
    checked = validate(command, REGISTRY)
    assert not checked.ok
    assert checked.rejection is not None
    assert checked.rejection.code == code
    assert checked.rejection.reason


def test_feature_the_data_needs() -> None:
    registry = Registry(
        devices=[
            Device("light.plain", "Plain", None),
            Device("cover.door", "Door", None),
            Device("fan.osc", "Osc", None, features=frozenset({"oscillate"})),
        ]
    )
    for command in (
        cmd("light.turn_on", {"brightness_pct": 10}, ["light.plain"]),
        cmd("light.turn_on", {"color_name": "red"}, ["light.plain"]),
        cmd("cover.set_cover_position", {"position": 10}, ["cover.door"]),
        cmd("fan.set_percentage", {"percentage": 10}, ["fan.osc"]),
    ):
        checked = validate(command, registry)
        assert checked.rejection is not None and checked.rejection.code == UNSUPPORTED, command
    assert validate(cmd("light.turn_on", {}, ["light.plain"]), registry).ok
    assert validate(cmd("fan.oscillate", {"oscillating": True}, ["fan.osc"]), registry).ok


def test_device_limits_narrow_the_range() -> None:
    registry = Registry(
        devices=[
            Device(
                "climate.hall",
                "Hall",
                None,
                state=State.from_dict(
                    {
                        "state": "heat",
                        "attributes": {
                            "min_temp": 7,
                            "max_temp": 30,
                            "hvac_modes": ["off", "heat"],
                        },
                    }
                ),
            )
        ]
    )
    assert validate(
        cmd("climate.set_temperature", {"temperature": 30}, ["climate.hall"]), registry
    ).ok
    assert not validate(
        cmd("climate.set_temperature", {"temperature": 30.5}, ["climate.hall"]), registry
    ).ok
    assert not validate(
        cmd("climate.set_temperature", {"temperature": 6}, ["climate.hall"]), registry
    ).ok
    assert validate(
        cmd("climate.set_hvac_mode", {"hvac_mode": "HEAT"}, ["climate.hall"]), registry
    ).ok
    assert not validate(
        cmd("climate.set_hvac_mode", {"hvac_mode": "cool"}, ["climate.hall"]), registry
    ).ok


def test_valid_commands_come_back_normalised() -> None:
    checked = validate(
        {
            "action": "light.turn_on",
            "target": "light.one",
            "data": {"brightness_pct": 40.0, "color_name": "Red"},
        },
        REGISTRY,
    )
    assert checked.command is not None
    assert checked.command.to_dict() == {
        "action": "light.turn_on",
        "target": {"entity_id": ["light.one"]},
        "data": {"brightness_pct": 40, "color_name": "red"},
    }


def test_one_bad_target_rejects_the_whole_command() -> None:
    checked = validate(cmd("light.turn_on", target=["light.one", "light.ghost"]), REGISTRY)
    assert checked.rejection is not None and checked.rejection.code == UNKNOWN_ENTITY
    assert "light.ghost" in checked.rejection.reason
