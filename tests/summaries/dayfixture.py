"""A deterministic day at home: several thousand events with realistic sources, tiers,
devices, failures, an offline device and requests the hub did not understand."""

from __future__ import annotations

import random
from dataclasses import replace
from types import MappingProxyType

from hub.store.events import Event

DAY_START = 1_764_374_400.0  # 2025-11-29 00:00 UTC
DAY = 86_400.0

DEVICES = {
    "light.kitchen": ("Kitchen light", 30),
    "light.living_room": ("Living room light", 22),
    "media_player.living_room_tv": ("Living room TV", 12),
    "light.bedroom": ("Bedroom light", 9),
    "climate.hall_thermostat": ("Hall thermostat", 7),
    "cover.garage_door": ("Garage door", 6),
    "light.porch": ("Porch light", 5),
    "switch.coffee_machine": ("Coffee machine", 5),
    "fan.bathroom_fan": ("Bathroom fan", 3),
    "lock.front_door": ("Front door lock", 3),
}
NAMES = {entity: name for entity, (name, _) in DEVICES.items()}
NOT_UNDERSTOOD = ["make it cozy", "what's for dinner", "play something nice", "do the thing"]


def day_events(seed: int = 7, requests: int = 2600, start: float = DAY_START) -> list[Event]:
    """The day starting at ``start`` (events are laid out for DAY_START, then shifted)."""
    rng = random.Random(seed)
    entities = list(DEVICES)
    weights = [w for _, w in DEVICES.values()]
    out: list[Event] = []
    for i in range(requests):
        ts = DAY_START + (i + rng.random()) * (DAY - 60) / requests
        source = rng.choices(["mqtt", "speech", "cli"], [60, 35, 5])[0]
        tier = rng.choices(["template", "llm", "cache"], [70, 20, 10])[0]
        roll = rng.random()
        if roll < 0.04:
            outcome = "not_understood"
            tier = "none"
        elif roll < 0.06:
            outcome = "refused"
        elif roll < 0.07:
            outcome = "error"
        elif roll < 0.12:
            outcome = "answered"
        else:
            outcome = "acted"
        ms = {"template": rng.uniform(4, 40), "llm": rng.uniform(350, 1600)}.get(
            tier, rng.uniform(1, 6)
        )
        text = rng.choice(NOT_UNDERSTOOD) if outcome == "not_understood" else f"request {i}"
        detail = MappingProxyType({"code": "timeout"} if outcome == "error" else {})
        out.append(
            Event(
                "request",
                ts,
                source=source,
                text=text,
                tier=tier,
                outcome=outcome,
                ms=round(ms, 2),
                detail=detail,
                request_id=f"r{i}",
            )
        )
        if outcome == "acted":
            for k in range(rng.choice([1, 1, 1, 2])):
                entity = rng.choices(entities, weights)[0]
                failed = (entity == "cover.garage_door" and rng.random() < 0.3) or (
                    rng.random() < 0.01
                )
                state = rng.choice(["failed", "unconfirmed"]) if failed else "confirmed"
                out.append(
                    Event(
                        "action",
                        ts + 0.05 + k * 0.01,
                        source=source,
                        entity_id=entity,
                        outcome=state,
                        request_id=f"r{i}",
                    )
                )
    for hour, code, message in [
        (2.5, "mqtt_disconnected", "lost the broker"),
        (2.6, "mqtt_disconnected", "lost the broker"),
        (14.2, "store_locked", "database locked"),
    ]:
        out.append(
            Event(
                "error",
                DAY_START + hour * 3600,
                detail=MappingProxyType({"code": code, "message": message}),
            )
        )
    for hour, entity, up in [
        (3.2, "light.porch", False),
        (5.7, "light.porch", True),
        (22.1, "light.porch", False),
        (11.0, "fan.bathroom_fan", False),
        (11.5, "fan.bathroom_fan", True),
    ]:
        out.append(
            Event(
                "device",
                DAY_START + hour * 3600,
                entity_id=entity,
                detail=MappingProxyType({"available": up}),
            )
        )
    for i in range(400):
        ts = DAY_START + i * 200.0 + 7
        topic = rng.choice(["zigbee2mqtt/porch/availability", "sensors/garden/temperature"])
        out.append(
            Event(
                "message",
                ts,
                detail=MappingProxyType(
                    {"topic": topic, "payload": str(round(rng.uniform(2, 9), 1))}
                ),
            )
        )
    out.sort(key=lambda e: e.ts)
    if start != DAY_START:
        out = [replace(e, ts=e.ts - DAY_START + start) for e in out]
    return out


def home_yaml() -> str:
    """The fixture's devices as a config's areas and devices."""
    lines = ["areas:", "  - {id: home, name: Home}", "devices:"]
    for entity, (name, _) in DEVICES.items():
        lines.append(f"  - {{id: {entity}, name: {name}, area: home}}")
    return "\n".join(lines) + "\n"
