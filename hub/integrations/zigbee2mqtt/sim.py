"""A simulated Zigbee2MQTT network: a realistic ``bridge/devices`` payload, and devices that
answer ``/set`` with their new state as Zigbee2MQTT does.

The first 20 devices are a fixed family home (12 kinds: dimmable, colour-temperature and colour
lights, a two-gang and a three-gang wall switch (multi-endpoint), a plug with a power meter,
blinds, a lock, radiator thermostats, a fan, temperature/humidity, contact and motion sensors).
Larger homes add the same kinds in more rooms. Entries carry what Zigbee2MQTT publishes (IEEE
address, definition with exposes and options, endpoints with clusters), so 300 devices make a
bridge payload of a few MB, as a real network of that size does.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ROOMS = ("Kitchen", "Living Room", "Hallway", "Bedroom", "Office", "Bathroom", "Kids Room")
MORE_ROOMS = (
    "Garage",
    "Garden",
    "Dining Room",
    "Guest Room",
    "Laundry",
    "Attic",
    "Basement",
    "Porch",
    "Study",
    "Nursery",
    "Pantry",
    "Workshop",
    "Gym",
    "Library",
    "Cellar",
    "Loft",
    "Den",
    "Sunroom",
    "Playroom",
    "Utility Room",
    "Balcony",
    "Terrace",
    "Shed",
    "Studio",
    "Hall Upstairs",
    "Landing",
    "Closet",
    "Music Room",
    "Media Room",
    "Spare Room",
)

# The 20-device home: (friendly name, kind)
FAMILY_HOME: tuple[tuple[str, str], ...] = (
    ("Kitchen/Ceiling", "light_ct"),
    ("Kitchen/Counter", "light_dimmable"),
    ("Kitchen/Coffee Plug", "plug"),
    ("Living Room/Lamp", "light_color"),
    ("Living Room/Ceiling", "light_dimmable"),
    ("Living Room/Blinds", "cover"),
    ("Living Room/Thermostat", "trv"),
    ("Hallway/Wall Switch", "switch_2gang"),
    ("Hallway/Front Door", "lock"),
    ("Hallway/Motion", "motion"),
    ("Bedroom/Lamp", "light_color"),
    ("Bedroom/Radiator", "trv"),
    ("Bedroom/Fan", "fan"),
    ("Bedroom/Curtains", "cover"),
    ("Office/Desk Lamp", "light_ct"),
    ("Office/Wall Switch", "switch_3gang"),
    ("Bathroom/Light", "light_dimmable"),
    ("Garage/Door Contact", "contact"),
    ("Garden/Climate Sensor", "temp_humidity"),
    ("Kids Room/Night Light", "light_color"),
)
KINDS = tuple(dict.fromkeys(kind for _, kind in FAMILY_HOME))
EXTRA_THINGS = (
    ("Ceiling", "light_dimmable"),
    ("Lamp", "light_color"),
    ("Spots", "light_ct"),
    ("Plug", "plug"),
    ("Blinds", "cover"),
    ("Radiator", "trv"),
    ("Wall Switch", "switch_2gang"),
    ("Motion", "motion"),
    ("Window", "contact"),
    ("Sensor", "temp_humidity"),
)

_MODELS: Mapping[str, tuple[str, str, str]] = {
    "light_dimmable": ("Philips", "9290022166", "Hue white A60 bulb E27"),
    "light_ct": ("IKEA", "LED1545G12", "TRADFRI bulb E27 WS globe 980 lumen"),
    "light_color": ("Philips", "9290012573A", "Hue white and color ambiance E27"),
    "plug": ("Xiaomi", "ZNCZ04LM", "Mi power plug ZigBee EU"),
    "switch_2gang": ("TuYa", "TS0012", "Smart light switch - 2 gang"),
    "switch_3gang": ("TuYa", "TS0013", "Smart light switch - 3 gang"),
    "cover": ("IKEA", "E1757", "FYRTUR roller blind"),
    "lock": ("Yale", "YRD226HA2619", "Assure lock"),
    "trv": ("Danfoss", "014G2461", "Ally thermostat"),
    "fan": ("Hampton Bay", "99432", "Universal wink enabled white ceiling fan"),
    "motion": ("Philips", "9290012607", "Hue motion sensor"),
    "contact": ("Aqara", "MCCGQ11LM", "Door and window sensor"),
    "temp_humidity": ("Aqara", "WSDCGQ11LM", "Temperature, humidity and pressure sensor"),
}


def _binary(
    name: str, prop: str, on: Any = "ON", off: Any = "OFF", access: int = 7
) -> dict[str, Any]:
    return {
        "access": access,
        "description": f"On/off state of this {name}",
        "label": name.replace("_", " ").capitalize(),
        "name": name,
        "property": prop,
        "type": "binary",
        "value_on": on,
        "value_off": off,
        "value_toggle": "TOGGLE",
    }


def _numeric(
    name: str,
    prop: str,
    low: float | None = None,
    high: float | None = None,
    unit: str = "",
    access: int = 7,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "access": access,
        "description": f"{name.replace('_', ' ').capitalize()} of this device",
        "label": name.replace("_", " ").capitalize(),
        "name": name,
        "property": prop,
        "type": "numeric",
    }
    if low is not None:
        out["value_min"] = low
    if high is not None:
        out["value_max"] = high
    if unit:
        out["unit"] = unit
    return out


def _enum(name: str, prop: str, values: list[str], access: int = 7) -> dict[str, Any]:
    return {
        "access": access,
        "description": f"{name.replace('_', ' ').capitalize()}",
        "label": name.replace("_", " ").capitalize(),
        "name": name,
        "property": prop,
        "type": "enum",
        "values": values,
    }


def _light(ct: bool, color: bool, endpoint: str | None = None) -> dict[str, Any]:
    s = f"_{endpoint}" if endpoint else ""
    features = [_binary("state", f"state{s}"), _numeric("brightness", f"brightness{s}", 0, 254)]
    if ct:
        ct_feature = _numeric("color_temp", f"color_temp{s}", 153, 454, "mired")
        ct_feature["presets"] = [
            {"name": "coolest", "value": 153, "description": "Coolest temperature supported"},
            {
                "name": "cool",
                "value": 250,
                "description": "Cool temperature (250 mireds / 4000 Kelvin)",
            },
            {
                "name": "neutral",
                "value": 370,
                "description": "Neutral temperature (370 mireds / 2700 Kelvin)",
            },
            {"name": "warmest", "value": 454, "description": "Warmest temperature supported"},
        ]
        features.append(ct_feature)
    if color:
        features.append(
            {
                "access": 7,
                "description": "Color of this light in the CIE 1931 color space (x/y)",
                "features": [_numeric("x", "x"), _numeric("y", "y")],
                "label": "Color (X/Y)",
                "name": "color_xy",
                "property": "color",
                "type": "composite",
            }
        )
    out: dict[str, Any] = {"features": features, "type": "light"}
    if endpoint:
        out["endpoint"] = endpoint
    return out


def _common(battery: bool) -> list[dict[str, Any]]:
    out = [_numeric("linkquality", "linkquality", 0, 255, "lqi", access=1)]
    if battery:
        out.insert(0, _numeric("battery", "battery", 0, 100, "%", access=1))
    return out


def exposes(kind: str) -> list[dict[str, Any]]:
    """Zigbee2MQTT's exposes for a device of this kind."""
    if kind.startswith("light_"):
        effect = _enum(
            "effect",
            "effect",
            ["blink", "breathe", "okay", "channel_change", "finish_effect", "stop_effect"],
            2,
        )
        behaviour = _enum(
            "power_on_behavior", "power_on_behavior", ["off", "on", "toggle", "previous"]
        )
        return [
            _light(kind == "light_ct" or kind == "light_color", kind == "light_color"),
            effect,
            behaviour,
            *_common(False),
        ]
    if kind == "plug":
        return [
            {"features": [_binary("state", "state")], "type": "switch"},
            _numeric("power", "power", unit="W", access=5),
            _numeric("energy", "energy", unit="kWh", access=1),
            _numeric("voltage", "voltage", unit="V", access=1),
            _numeric("device_temperature", "device_temperature", unit="°C", access=1),
            *_common(False),
        ]
    if kind in ("switch_2gang", "switch_3gang"):
        endpoints = ("left", "right") if kind == "switch_2gang" else ("l1", "l2", "l3")
        return [
            *(
                {"endpoint": ep, "features": [_binary("state", f"state_{ep}")], "type": "switch"}
                for ep in endpoints
            ),
            _enum("power_on_behavior", "power_on_behavior", ["off", "on", "previous"]),
            *_common(False),
        ]
    if kind == "cover":
        return [
            {
                "features": [
                    _enum("state", "state", ["OPEN", "CLOSE", "STOP"], 3),
                    _numeric("position", "position", 0, 100, "%"),
                ],
                "type": "cover",
            },
            *_common(True),
        ]
    if kind == "lock":
        return [
            {
                "features": [
                    _binary("state", "state", "LOCK", "UNLOCK"),
                    _enum(
                        "lock_state", "lock_state", ["not_fully_locked", "locked", "unlocked"], 1
                    ),
                ],
                "type": "lock",
            },
            _binary("auto_relock", "auto_relock", True, False),
            *_common(True),
        ]
    if kind == "trv":
        setpoint = _numeric("occupied_heating_setpoint", "occupied_heating_setpoint", 5, 35, "°C")
        setpoint["value_step"] = 0.5
        return [
            {
                "features": [
                    setpoint,
                    _numeric("local_temperature", "local_temperature", unit="°C", access=5),
                    _enum("system_mode", "system_mode", ["off", "heat"]),
                    _enum("running_state", "running_state", ["idle", "heat"], 5),
                ],
                "type": "climate",
            },
            _binary("window_open_external", "window_open_external", True, False),
            *_common(True),
        ]
    if kind == "fan":
        return [
            {
                "features": [
                    _binary("state", "fan_state"),
                    _enum("mode", "fan_mode", ["off", "low", "medium", "high", "on"]),
                ],
                "type": "fan",
            },
            *_common(False),
        ]
    if kind == "motion":
        return [
            _binary("occupancy", "occupancy", True, False, access=1),
            _numeric("illuminance_lux", "illuminance_lux", unit="lx", access=1),
            _numeric("temperature", "temperature", unit="°C", access=1),
            *_common(True),
        ]
    if kind == "contact":
        return [_binary("contact", "contact", False, True, access=1), *_common(True)]
    if kind == "temp_humidity":
        return [
            _numeric("temperature", "temperature", unit="°C", access=1),
            _numeric("humidity", "humidity", unit="%", access=1),
            _numeric("pressure", "pressure", unit="hPa", access=1),
            *_common(True),
        ]
    raise ValueError(f"unknown kind {kind!r}")


def initial_state(kind: str) -> dict[str, Any]:
    if kind.startswith("light_"):
        out: dict[str, Any] = {"state": "OFF", "brightness": 254}
        if kind in ("light_ct", "light_color"):
            out["color_temp"] = 370
        if kind == "light_color":
            out["color"] = {"x": 0.4573, "y": 0.41}
        return out
    if kind == "plug":
        return {"state": "OFF", "power": 0, "energy": 12.4}
    if kind == "switch_2gang":
        return {"state_left": "OFF", "state_right": "OFF"}
    if kind == "switch_3gang":
        return {"state_l1": "OFF", "state_l2": "OFF", "state_l3": "OFF"}
    if kind == "cover":
        return {"state": "CLOSE", "position": 0, "battery": 87}
    if kind == "lock":
        return {"state": "LOCK", "lock_state": "locked", "battery": 64}
    if kind == "trv":
        return {
            "occupied_heating_setpoint": 20,
            "local_temperature": 19.5,
            "system_mode": "heat",
            "running_state": "heat",
            "battery": 90,
        }
    if kind == "fan":
        return {"fan_state": "OFF", "fan_mode": "off"}
    if kind == "motion":
        return {"occupancy": False, "illuminance_lux": 120, "temperature": 21.3, "battery": 100}
    if kind == "contact":
        return {"contact": True, "battery": 91}
    return {"temperature": 7.5, "humidity": 81, "pressure": 1012, "battery": 77}


@dataclass
class SimDevice:
    friendly_name: str
    kind: str
    ieee: str
    state: dict[str, Any] = field(default_factory=dict)
    description: str | None = None

    def entry(self, rng: random.Random) -> dict[str, Any]:
        """This device in ``bridge/devices``, as Zigbee2MQTT 1.4x/2.x publishes it."""
        vendor, model, description = _MODELS[self.kind]
        battery = self.kind in ("cover", "lock", "trv", "motion", "contact", "temp_humidity")
        clusters = [
            "genBasic",
            "genIdentify",
            "genGroups",
            "genScenes",
            "genOnOff",
            "genLevelCtrl",
            "lightingColorCtrl",
            "touchlink",
            "manuSpecificUbisysDeviceSetup",
        ]
        endpoints = {
            str(ep): {
                "bindings": [
                    {
                        "cluster": "genOnOff",
                        "target": {
                            "endpoint": 1,
                            "ieee_address": "0x00124b0022fe6a3b",
                            "type": "endpoint",
                        },
                    }
                ],
                "clusters": {"input": clusters[: 4 + ep], "output": ["genOta", "genTime"]},
                "configured_reportings": [
                    {
                        "attribute": "onOff",
                        "cluster": "genOnOff",
                        "maximum_report_interval": 3600,
                        "minimum_report_interval": 0,
                        "reportable_change": 0,
                    },
                    {
                        "attribute": "currentLevel",
                        "cluster": "genLevelCtrl",
                        "maximum_report_interval": 3600,
                        "minimum_report_interval": 5,
                        "reportable_change": 1,
                    },
                ],
                "scenes": [],
            }
            for ep in range(1, 4 if self.kind.startswith("switch_") else 2)
        }
        return {
            "date_code": "20230419",
            "definition": {
                "description": description,
                "exposes": exposes(self.kind),
                "model": model,
                "options": [
                    _numeric("transition", "transition", 0, None, "s", 2),
                    _binary("state_action", "state_action", True, False, 2),
                    _numeric(
                        "measurement_poll_interval", "measurement_poll_interval", -1, None, "s", 2
                    ),
                ],
                "supports_ota": True,
                "vendor": vendor,
                "source": "native",
                "icon": f"device_icons/{model.lower()}.png",
            },
            "description": self.description,
            "disabled": False,
            "endpoints": endpoints,
            "friendly_name": self.friendly_name,
            "ieee_address": self.ieee,
            "interview_completed": True,
            "interviewing": False,
            "manufacturer": vendor,
            "model_id": model,
            "network_address": rng.randint(1, 65000),
            "power_source": "Battery" if battery else "Mains (single phase)",
            "software_build_id": f"1.{rng.randint(0, 99)}.{rng.randint(0, 999)}",
            "supported": True,
            "type": "EndDevice" if battery else "Router",
        }

    def apply(self, command: Mapping[str, Any]) -> None:
        """Change the state as the device would on a ``/set`` payload."""
        for key, value in command.items():
            if key.startswith("state"):
                self._state(key, value)
            elif key == "brightness":
                self.state["brightness"] = max(0, min(254, int(value)))
                self.state["state"] = "ON" if value else "OFF"
            elif key == "brightness_step":
                level = int(self.state.get("brightness", 0)) + int(value)
                self.state["brightness"] = max(0, min(254, level))
                self.state["state"] = "ON" if self.state["brightness"] else "OFF"
            elif key == "color_temp":
                self.state["color_temp"] = max(153, min(454, int(value)))
            elif key == "color":
                self.state["color"] = {"x": 0.3, "y": 0.3}
            elif key == "position":
                self.state["position"] = int(value)
                self.state["state"] = "OPEN" if int(value) > 0 else "CLOSE"
            elif key in ("occupied_heating_setpoint", "current_heating_setpoint", "system_mode"):
                self.state[key] = value
            elif key == "fan_mode":
                self.state["fan_mode"] = value
                self.state["fan_state"] = "OFF" if value == "off" else "ON"
            elif key == "fan_state":
                self.state["fan_state"] = value
                self.state["fan_mode"] = (
                    "off" if value == "OFF" else self.state.get("fan_mode") or "on"
                )
                if value == "ON" and self.state["fan_mode"] == "off":
                    self.state["fan_mode"] = "on"

    def _state(self, key: str, value: Any) -> None:
        word = str(value).upper()
        if self.kind == "cover":
            if word in ("OPEN", "CLOSE"):
                self.state["position"] = 100 if word == "OPEN" else 0
                self.state["state"] = word
            return
        if self.kind == "lock":
            self.state["state"] = word
            self.state["lock_state"] = "locked" if word == "LOCK" else "unlocked"
            return
        if word == "TOGGLE":
            word = "OFF" if self.state.get(key) == "ON" else "ON"
        self.state[key] = word


def family_home(size: int = 20, seed: int = 7) -> list[SimDevice]:
    """``size`` devices: the 20-device family home first, then more rooms of the same kinds."""
    rng = random.Random(seed)
    names: list[tuple[str, str]] = list(FAMILY_HOME[:size])
    n = 0
    while len(names) < size:
        room = MORE_ROOMS[(n // len(EXTRA_THINGS)) % len(MORE_ROOMS)]
        round_ = n // (len(EXTRA_THINGS) * len(MORE_ROOMS))
        thing, kind = EXTRA_THINGS[n % len(EXTRA_THINGS)]
        suffix = f" {round_ + 2}" if round_ else ""
        names.append((f"{room}/{thing}{suffix}", kind))
        n += 1
    return [
        SimDevice(name, kind, f"0x{rng.getrandbits(64):016x}", initial_state(kind))
        for name, kind in names
    ]


def bridge_devices(devices: list[SimDevice], seed: int = 7) -> str:
    """The ``bridge/devices`` payload, with the coordinator first as Zigbee2MQTT sends it."""
    rng = random.Random(seed)
    coordinator = {
        "definition": None,
        "disabled": False,
        "endpoints": {
            "1": {
                "bindings": [],
                "clusters": {"input": [], "output": []},
                "configured_reportings": [],
                "scenes": [],
            }
        },
        "friendly_name": "Coordinator",
        "ieee_address": "0x00124b0022fe6a3b",
        "interview_completed": True,
        "interviewing": False,
        "network_address": 0,
        "supported": True,
        "type": "Coordinator",
    }
    return json.dumps([coordinator, *(d.entry(rng) for d in devices)])


def bridge_groups(devices: list[SimDevice]) -> str:
    """One group: the dimmable lights of the living room and kitchen ceilings."""
    members = [
        {"endpoint": 11, "ieee_address": d.ieee}
        for d in devices
        if d.friendly_name in ("Kitchen/Ceiling", "Living Room/Ceiling")
    ]
    groups = (
        [
            {
                "friendly_name": "Downstairs Ceilings",
                "id": 1,
                "description": None,
                "members": members,
                "scenes": [],
            }
        ]
        if members
        else []
    )
    return json.dumps(groups)
