"""Simulated devices announced by Home Assistant MQTT discovery, one per component hub reads.

Their configs use what real firmware sends: abbreviated keys, ``~`` topics, the JSON light
schema, value templates, a Tasmota plug (``cmnd/<topic>/POWER`` answered on
``stat/<topic>/RESULT``), and one device-based config (``homeassistant/device/<id>/config``)
with several components. ``SimEntity.command`` answers a command like the device would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

PREFIX = "homeassistant"


@dataclass
class SimEntity:
    component: str
    object_id: str
    config: dict[str, Any]
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def topic(self) -> str:
        return f"{PREFIX}/{self.component}/{self.object_id}/config"

    def expand(self, key: str) -> str:
        """The config's topic under ``key``, its ``~`` replaced by the base topic."""
        return str(self.config[key]).replace("~", self.config.get("~", ""))

    def command_topics(self) -> list[str]:
        return [
            self.expand(key)
            for key in self.config
            if key.endswith(("cmd_t", "command_topic")) or key == "set_pos_t"
        ]

    def command(self, topic: str, payload: str) -> list[tuple[str, str]]:
        """The state messages the device publishes after a command."""
        c, s, t = self.config, self.state, self.expand

        match self.component:
            case "light":
                body = json.loads(payload)
                s["state"] = body.get("state", s.get("state"))
                if "brightness" in body:
                    s["brightness"] = body["brightness"]
                return [(t("stat_t"), json.dumps(s))]
            case "switch":
                word = payload.upper()
                s["POWER"] = (
                    ("OFF" if s.get("POWER") == "ON" else "ON") if word == "TOGGLE" else word
                )
                result = json.dumps({"POWER": s["POWER"]})
                name = str(c["cmd_t"]).split("/")[1]
                return [(f"stat/{name}/RESULT", result), (f"stat/{name}/POWER", s["POWER"])]
            case "cover":
                if topic == t("set_pos_t"):
                    s["position"] = int(payload)
                elif payload in ("OPEN", "CLOSE"):
                    s["position"] = 100 if payload == "OPEN" else 0
                word = "open" if s["position"] > 0 else "closed"
                return [(t("pos_t"), str(s["position"])), (t("stat_t"), word)]
            case "climate":
                if topic == t("temp_cmd_t"):
                    s["temperature"] = float(payload)
                    return [(t("temp_stat_t"), json.dumps({"target": s["temperature"]}))]
                s["mode"] = payload
                return [(t("mode_stat_t"), payload)]
            case "fan":
                if topic == t("pct_cmd_t"):
                    s["percentage"] = int(payload)
                    s["state"] = "ON" if s["percentage"] else "OFF"
                    return [(t("pct_stat_t"), str(s["percentage"])), (t("stat_t"), s["state"])]
                s["state"] = payload
                return [(t("stat_t"), payload)]
            case "valve":
                s["state"] = "open" if payload == "OPEN" else "closed"
                return [(t("stat_t"), s["state"])]
            case "lock":
                s["state"] = "LOCKED" if payload == "LOCK" else "UNLOCKED"
                return [(t("stat_t"), s["state"])]
        return []

    def states(self) -> list[tuple[str, str]]:
        """The retained state messages the device has published."""
        s, t = self.state, self.expand

        match self.component:
            case "light":
                return [(t("stat_t"), json.dumps(s))]
            case "switch":
                return [(t("stat_t"), json.dumps({"POWER": s["POWER"], "Uptime": "0T01:00:00"}))]
            case "cover":
                return [(t("pos_t"), str(s["position"]))]
            case "climate":
                return [
                    (t("mode_stat_t"), s["mode"]),
                    (t("temp_stat_t"), json.dumps({"target": s["temperature"]})),
                    (t("curr_temp_t"), str(s["current"])),
                ]
            case "fan":
                return [(t("stat_t"), s["state"]), (t("pct_stat_t"), str(s["percentage"]))]
            case "valve" | "lock" | "sensor" | "binary_sensor":
                return [(t("stat_t"), str(s["state"]))]
        return []

    def availability(self) -> str | None:
        c = self.config
        topic = c.get("avty_t") or c.get("availability_topic")
        return str(topic).replace("~", c.get("~", "")) if topic else None


def ha_home() -> tuple[list[SimEntity], list[SimEntity], dict[str, Any]]:
    """Entities announced one by one, the parts of the device-based config, and that config."""
    entities = [
        SimEntity(
            "light",
            "porch_light",
            {
                "name": "Porch Light",
                "uniq_id": "sim_porch_light",
                "schema": "json",
                "cmd_t": "sim/porch_light/set",
                "stat_t": "sim/porch_light/state",
                "avty_t": "sim/porch_light/availability",
                "brightness": True,
                "sup_clrm": ["brightness"],
                "dev": {
                    "ids": ["sim_porch_light"],
                    "name": "Porch Light",
                    "sa": "Garden",
                    "mf": "Shelly",
                },
            },
            {"state": "OFF", "brightness": 255},
        ),
        SimEntity(
            "switch",
            "A1B2C3_RL_1",
            {
                "name": None,
                "stat_t": "tele/tasmota_A1B2C3/STATE",
                "avty_t": "tele/tasmota_A1B2C3/LWT",
                "pl_avail": "Online",
                "pl_not_avail": "Offline",
                "cmd_t": "cmnd/tasmota_A1B2C3/POWER",
                "val_tpl": "{{value_json.POWER}}",
                "pl_off": "OFF",
                "pl_on": "ON",
                "uniq_id": "A1B2C3_RL_1",
                "dev": {
                    "ids": ["A1B2C3"],
                    "name": "Dryer Plug",
                    "mdl": "Sonoff Basic",
                    "sw": "13.2.0",
                    "mf": "Tasmota",
                    "sa": "Garage",
                },
            },
            {"POWER": "OFF"},
        ),
        SimEntity(
            "cover",
            "garage_door",
            {
                "~": "sim/garage_door",
                "name": "Garage Door",
                "uniq_id": "sim_garage_door",
                "dev_cla": "garage",
                "cmd_t": "~/set",
                "stat_t": "~/state",
                "pos_t": "~/position",
                "set_pos_t": "~/position/set",
                "dev": {"ids": ["sim_garage_door"], "name": "Garage Door", "sa": "Garage"},
            },
            {"position": 0},
        ),
        SimEntity(
            "climate",
            "office_ac",
            {
                "name": "Office AC",
                "uniq_id": "sim_office_ac",
                "mode_cmd_t": "sim/office_ac/mode/set",
                "mode_stat_t": "sim/office_ac/mode",
                "temp_cmd_t": "sim/office_ac/target/set",
                "temp_stat_t": "sim/office_ac/target",
                "temp_stat_tpl": "{{ value_json.target }}",
                "curr_temp_t": "sim/office_ac/current",
                "modes": ["off", "cool", "heat", "auto"],
                "min_temp": 16,
                "max_temp": 30,
                "dev": {"ids": ["sim_office_ac"], "name": "Office AC", "sa": "Office"},
            },
            {"mode": "off", "temperature": 22.0, "current": 24.5},
        ),
        SimEntity(
            "fan",
            "bathroom_fan",
            {
                "name": "Extractor Fan",
                "uniq_id": "sim_bathroom_fan",
                "cmd_t": "sim/bathroom_fan/set",
                "stat_t": "sim/bathroom_fan/state",
                "pct_cmd_t": "sim/bathroom_fan/speed/set",
                "pct_stat_t": "sim/bathroom_fan/speed",
                "dev": {"ids": ["sim_bathroom_fan"], "name": "Extractor Fan", "sa": "Bathroom"},
            },
            {"state": "OFF", "percentage": 0},
        ),
        SimEntity(
            "valve",
            "garden_tap",
            {
                "name": "Garden Tap",
                "uniq_id": "sim_garden_tap",
                "cmd_t": "sim/garden_tap/set",
                "stat_t": "sim/garden_tap/state",
                "dev": {"ids": ["sim_garden_tap"], "name": "Garden Tap", "sa": "Garden"},
            },
            {"state": "closed"},
        ),
    ]
    device_config = {
        "dev": {"ids": ["sim_back_door"], "name": "Back Door", "mf": "Nuki", "sa": "Kitchen"},
        "o": {"name": "hub-sim", "sw": "1.0"},
        "avty_t": "sim/back_door/availability",
        "cmps": {
            "back_door_lock": {
                "p": "lock",
                "name": None,
                "uniq_id": "sim_back_door_lock",
                "cmd_t": "sim/back_door/lock/set",
                "stat_t": "sim/back_door/lock",
            },
            "back_door_contact": {
                "p": "binary_sensor",
                "name": "Contact",
                "uniq_id": "sim_back_door_contact",
                "dev_cla": "door",
                "stat_t": "sim/back_door/contact",
            },
            "back_door_battery": {
                "p": "sensor",
                "name": "Battery",
                "uniq_id": "sim_back_door_battery",
                "dev_cla": "battery",
                "unit_of_meas": "%",
                "stat_t": "sim/back_door/battery",
            },
        },
    }
    parts = [
        SimEntity(
            "lock",
            "back_door_lock",
            {"stat_t": "sim/back_door/lock", "cmd_t": "sim/back_door/lock/set"},
            {"state": "LOCKED"},
        ),
        SimEntity(
            "binary_sensor",
            "back_door_contact",
            {"stat_t": "sim/back_door/contact"},
            {"state": "OFF"},
        ),
        SimEntity(
            "sensor", "back_door_battery", {"stat_t": "sim/back_door/battery"}, {"state": "88"}
        ),
    ]
    return entities, parts, device_config
