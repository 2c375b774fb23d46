"""Home Assistant MQTT discovery's abbreviated keys (``cmd_t``) and their full names.

The subset for the components hub reads (light, switch, cover, lock, climate, fan, valve, sensor,
binary_sensor) and the device block, as Home Assistant's ``abbreviations.py`` defines them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

ABBREVIATIONS: Mapping[str, str] = MappingProxyType(
    {
        "avty": "availability",
        "avty_mode": "availability_mode",
        "avty_t": "availability_topic",
        "avty_tpl": "availability_template",
        "bri_cmd_t": "brightness_command_topic",
        "bri_cmd_tpl": "brightness_command_template",
        "bri_scl": "brightness_scale",
        "bri_stat_t": "brightness_state_topic",
        "bri_val_tpl": "brightness_value_template",
        "clr_temp_cmd_t": "color_temp_command_topic",
        "clr_temp_cmd_tpl": "color_temp_command_template",
        "clr_temp_k": "color_temp_kelvin",
        "clr_temp_stat_t": "color_temp_state_topic",
        "clr_temp_val_tpl": "color_temp_value_template",
        "cmd_t": "command_topic",
        "cmd_tpl": "command_template",
        "cmps": "components",
        "curr_temp_t": "current_temperature_topic",
        "curr_temp_tpl": "current_temperature_template",
        "dev": "device",
        "dev_cla": "device_class",
        "en": "enabled_by_default",
        "ent_cat": "entity_category",
        "max_temp": "max_temp",
        "min_temp": "min_temp",
        "mode_cmd_t": "mode_command_topic",
        "mode_cmd_tpl": "mode_command_template",
        "mode_stat_t": "mode_state_topic",
        "mode_stat_tpl": "mode_state_template",
        "o": "origin",
        "obj_id": "object_id",
        "on_cmd_type": "on_command_type",
        "opt": "optimistic",
        "osc_cmd_t": "oscillation_command_topic",
        "p": "platform",
        "pct_cmd_t": "percentage_command_topic",
        "pct_cmd_tpl": "percentage_command_template",
        "pct_stat_t": "percentage_state_topic",
        "pct_val_tpl": "percentage_value_template",
        "pl_avail": "payload_available",
        "pl_cls": "payload_close",
        "pl_lock": "payload_lock",
        "pl_not_avail": "payload_not_available",
        "pl_off": "payload_off",
        "pl_on": "payload_on",
        "pl_open": "payload_open",
        "pl_osc_off": "payload_oscillation_off",
        "pl_osc_on": "payload_oscillation_on",
        "pl_stop": "payload_stop",
        "pl_unlk": "payload_unlock",
        "pos": "reports_position",
        "pos_clsd": "position_closed",
        "pos_open": "position_open",
        "pos_t": "position_topic",
        "pos_tpl": "position_template",
        "rgb_cmd_t": "rgb_command_topic",
        "rgb_cmd_tpl": "rgb_command_template",
        "rgb_stat_t": "rgb_state_topic",
        "rgb_val_tpl": "rgb_value_template",
        "set_pos_t": "set_position_topic",
        "set_pos_tpl": "set_position_template",
        "spd_rng_max": "speed_range_max",
        "spd_rng_min": "speed_range_min",
        "stat_clsd": "state_closed",
        "stat_closing": "state_closing",
        "stat_jam": "state_jammed",
        "stat_locked": "state_locked",
        "stat_locking": "state_locking",
        "stat_off": "state_off",
        "stat_on": "state_on",
        "stat_open": "state_open",
        "stat_opening": "state_opening",
        "stat_t": "state_topic",
        "stat_tpl": "state_template",
        "stat_unlocked": "state_unlocked",
        "stat_unlocking": "state_unlocking",
        "stat_val_tpl": "state_value_template",
        "sup_clrm": "supported_color_modes",
        "temp_cmd_t": "temperature_command_topic",
        "temp_cmd_tpl": "temperature_command_template",
        "temp_stat_t": "temperature_state_topic",
        "temp_stat_tpl": "temperature_state_template",
        "temp_unit": "temperature_unit",
        "uniq_id": "unique_id",
        "unit_of_meas": "unit_of_measurement",
        "val_tpl": "value_template",
    }
)
DEVICE_ABBREVIATIONS: Mapping[str, str] = MappingProxyType(
    {
        "cns": "connections",
        "ids": "identifiers",
        "mf": "manufacturer",
        "mdl": "model",
        "sa": "suggested_area",
        "sw": "sw_version",
        "hw": "hw_version",
        "via_device": "via_device",
    }
)


def expand(config: Mapping[str, Any]) -> dict[str, Any]:
    """Full key names, ``~`` resolved in topics, the device block expanded too."""
    out = {ABBREVIATIONS.get(str(k), str(k)): v for k, v in config.items()}
    device = out.get("device")
    if isinstance(device, Mapping):
        out["device"] = {DEVICE_ABBREVIATIONS.get(str(k), str(k)): v for k, v in device.items()}
    base = out.get("~")
    if isinstance(base, str):
        for key, value in list(out.items()):
            if key.endswith("_topic") and isinstance(value, str):
                out[key] = _tilde(value, base)
        availability = out.get("availability")
        if isinstance(availability, list):
            out["availability"] = [
                {**item, "topic": _tilde(str(item.get("topic", "")), base)}
                if isinstance(item, Mapping)
                else item
                for item in availability
            ]
    return out


def _tilde(topic: str, base: str) -> str:
    if topic.startswith("~"):
        return base + topic[1:]
    if topic.endswith("~"):
        return topic[:-1] + base
    return topic
