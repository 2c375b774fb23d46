"""Unit conversions between Home Assistant's shape and the devices' own, each beside its inverse.

Home Assistant's commands and states use brightness 0-255 (``brightness_pct`` 0-100 in
commands), colour temperature in kelvin and fan speed as a percentage; devices use their own
scales. Bindings convert one way, state sources the other; both come here so the two directions
cannot drift apart.
"""

from __future__ import annotations

# -- colour temperature: kelvin <-> mireds (micro reciprocal degrees) ---------------------------


def mireds(kelvin: float) -> int:
    """A colour temperature in mireds (Zigbee2MQTT, Tasmota, HA's older MQTT lights)."""
    return round(1_000_000 / kelvin)


def kelvin(color_temp: float, *, in_mireds: bool = True) -> int:
    """A colour temperature in kelvin, from mireds (or from kelvin already)."""
    return round(1_000_000 / color_temp) if in_mireds else int(color_temp)


# -- brightness: percent -> a device's scale; a device's scale -> HA's 0-255 ---------------------


def on_scale(percent: float, scale: float) -> int:
    """A percentage on a device's scale (0 to ``scale``: Zigbee2MQTT 254, Tasmota 100)."""
    return round(percent * scale / 100)


def brightness_255(level: float, scale: float) -> int:
    """A brightness on a device's scale (0 to ``scale``: Tasmota 100, Zigbee2MQTT 254) on Home
    Assistant's 0-255."""
    return round(level * 255 / scale)


# -- fan speed: percentage <-> named modes (Zigbee2MQTT) or steps (Tasmota's FanSpeed 0-3) -------

FAN_MODE_PERCENT = {"off": 0, "low": 33, "medium": 66, "high": 100, "on": 100}


def fan_mode(percentage: int) -> str:
    """The named fan mode nearest above ``percentage`` (the inverse of FAN_MODE_PERCENT)."""
    if percentage <= 0:
        return "off"
    if percentage <= 33:
        return "low"
    if percentage <= 66:
        return "medium"
    return "high"


def fan_step(percentage: float, steps: int = 3) -> int:
    """A fan speed as one of ``steps`` steps (0 is off)."""
    return round(percentage * steps / 100)


def fan_percentage(step: float, steps: int = 3) -> int:
    """A fan's step (0 to ``steps``) as a percentage."""
    return round(step * 100 / steps)
