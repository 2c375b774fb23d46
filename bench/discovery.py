"""Benchmark a discovered home of 50, 100 and 300 devices, template tier and LLM tier side by side.

    .venv/bin/python bench/discovery.py               # both tiers at 50, 100 and 300 devices
    .venv/bin/python bench/discovery.py --no-llm      # the template tier only
    .venv/bin/python bench/discovery.py --sizes 20 300 1000 --json

Each home is the simulator's (``hub.sim``): its Zigbee2MQTT ``bridge/devices`` payload, groups,
HA discovery configs and retained states go through the daemon's own discovery code
(``LiveHome.handle``, as on the bus, without the socket), so the registry is exactly what
``hub run`` would serve. The first 20 Zigbee devices are the same in every home, and every
request names one of them, so the only difference between the homes is their size.

Figures: discovery (parsing the bridge payload and building the registry), the time to prepare
each tier for the new registry version (for the LLM tier: its tries and the prompt evaluated, or
loaded from the state directory when an earlier run saved it), then per tier the p50/p95 of the
pipeline's own time per request (``Reply.ms``), how many requests gave commands, for the LLM
tier how many touched the device meant and how many another, the size of the prompt, and the
process's resident size after the tier ran.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.app.build import build_tiers  # noqa: E402
from hub.config import Config, parse_config  # noqa: E402
from hub.integrations.homeassistant.sim import ha_home  # noqa: E402
from hub.integrations.zigbee2mqtt.sim import (  # noqa: E402
    MORE_ROOMS,
    ROOMS,
    bridge_devices,
    bridge_groups,
    family_home,
)
from hub.mqtt.live import LiveHome, Update  # noqa: E402
from hub.pipeline import (  # noqa: E402
    Pipeline,
    make_request,
)
from hub.registry import Registry  # noqa: E402
from hub.text.fold import slugify  # noqa: E402
from hub.tiers.base import Tier  # noqa: E402

# Requests the template tier answers, each naming a device of the 20-device home.
TEMPLATE_REQUESTS = (
    "turn on the kitchen ceiling",
    "turn off the kitchen counter",
    "dim the living room lamp to 30%",
    "set the living room blinds to 40%",
    "set the bedroom radiator to 21 degrees",
    "lock the hallway front door",
    "turn on the hallway wall switch left",
    "turn off office wall switch l3",
    "turn on the bedroom fan",
    "close the bedroom curtains",
    "turn on the bathroom light",
    "turn on the kids room night light",
    "turn off the office desk lamp",
    "turn on the kitchen coffee plug",
    "what is the garden climate sensor temperature",
    "turn off the lights in the kitchen",
    "open the garage door",
    "turn on the porch light",
    "set the office ac to 19 degrees",
    "brighten the bedroom lamp",
)
# Free phrasings for the model, naming the same devices, and the device each means.
LLM_REQUESTS = (
    ("could you switch the kitchen ceiling on please", "light.kitchen_ceiling"),
    ("kill the kitchen counter light", "light.kitchen_counter"),
    ("i want the living room lamp at 30 percent", "light.living_room_lamp"),
    ("lower the living room blinds halfway", "cover.living_room_blinds"),
    ("make the bedroom radiator 22", "climate.bedroom_radiator"),
    ("secure the hallway front door", "lock.hallway_front_door"),
    ("flip on the hallway wall switch left", "switch.hallway_wall_switch_left"),
    ("shut off the office wall switch l3", "switch.office_wall_switch_l3"),
    ("get the bedroom fan going", "fan.bedroom_fan"),
    ("draw the bedroom curtains", "cover.bedroom_curtains"),
    ("bathroom light on", "light.bathroom_light"),
    ("night light in the kids room on please", "light.kids_room_night_light"),
    ("desk lamp in the office off", "light.office_desk_lamp"),
    ("start the coffee plug in the kitchen", "switch.kitchen_coffee_plug"),
    ("garage door up", "cover.garage_door"),
    ("porch light on please", "light.porch_light"),
    ("cool the office ac down to 19", "climate.office_ac"),
    ("bedroom lamp a bit brighter", "light.bedroom_lamp"),
    ("living room ceiling light off", "light.living_room_ceiling"),
    ("turn da kitchen ceilin on", "light.kitchen_ceiling"),
)


# The simulator's locks and garage door: discovery refuses security devices it is not told of
SECURITY_DEVICES = "lock.hallway_front_door, lock.back_door, cover.garage_door"


def home_config(rooms: list[str]) -> Config:
    areas = "\n".join(f"  - {{id: {slugify(r)}, name: {r}}}" for r in rooms)
    prefixes = ", ".join(f'"{r}/": {slugify(r)}' for r in rooms)
    return parse_config(
        f"areas:\n{areas}\nmqtt: {{host: 127.0.0.1}}\n"
        f"discovery: {{areas: {{{prefixes}}}, allow_security: [{SECURITY_DEVICES}]}}\n"
        "llm: {backend: embedded, max_candidates: 40}\n"
    )


def discovered_home(config: Config, size: int) -> tuple[Registry, dict[str, Any]]:
    """The registry the daemon would serve for the simulator's home of ``size`` devices."""
    assert config.discovery is not None
    devices = family_home(size)
    entities, parts, device_config = ha_home()
    messages: list[tuple[str, str]] = [
        ("zigbee2mqtt/bridge/devices", bridge_devices(devices)),
        ("zigbee2mqtt/bridge/groups", bridge_groups(devices)),
        *((e.topic, json.dumps(e.config)) for e in entities),
        ("homeassistant/device/sim_back_door/config", json.dumps(device_config)),
        *((f"zigbee2mqtt/{d.friendly_name}", json.dumps(d.state)) for d in devices),
        *((t, p) for e in entities + parts for t, p in e.states()),
    ]
    start = time.perf_counter()
    live = LiveHome(config.registry(), config.discovery)
    update = Update()
    for topic, payload in messages:
        live.handle(topic, payload.encode(), update)
    registry = live.registry(live.built.registry, update)
    took = (time.perf_counter() - start) * 1000
    return registry, {
        "zigbee_devices": size,
        "entities": len(registry.devices),
        "bridge_payload_bytes": len(messages[0][1]),
        "discovery_ms": round(took, 1),
    }


def run_tier(
    tier: Tier,
    registry: Registry,
    requests: Sequence[tuple[str, str | None]],
    repeat: int,
) -> dict[str, Any]:
    """Each request ``repeat`` times; p50/p95 over all, and of the first and the later passes
    (before, the LLM tier made a prompt of its own per candidate set on first sight). A reply
    is right when its commands touch exactly the device the request means, wrong when they
    touch another; a question or nothing is neither."""
    for _, entity_id in requests:
        assert entity_id is None or registry.device(entity_id) is not None, entity_id
    pipeline = Pipeline(registry, [tier])
    start = time.perf_counter()
    pipeline.warm(llm=tier.name == "llm")
    warm_ms = (time.perf_counter() - start) * 1000
    print(f"  {tier.name}: prepared in {warm_ms:.0f} ms", file=sys.stderr, flush=True)
    passes: list[list[float]] = []
    acted = right = wrong = 0
    for _ in range(repeat):
        times: list[float] = []
        for text, entity_id in requests:
            reply = pipeline.ask(make_request(registry, text, source="bench"))
            times.append(reply.ms)
            touched = {e for c in reply.commands for e in c.entity_ids}
            if entity_id is not None and touched:
                right += touched == {entity_id}
                wrong += touched != {entity_id}
            if tier.name == "llm":
                got = "; ".join(f"{c.action} {','.join(c.entity_ids)}" for c in reply.commands)
                print(
                    f"  {reply.ms:8.0f} ms  {text!r} -> {got or reply.reply!r}",
                    file=sys.stderr,
                    flush=True,
                )
            acted += bool(reply.commands)
        passes.append(times)
    every = sorted(t for times in passes for t in times)
    out: dict[str, Any] = {
        "requests": len(every),
        "with_commands": acted,
        "prepare_ms": round(warm_ms, 1),
        "p50_ms": round(statistics.median(every), 2),
        "p95_ms": round(every[max(0, math.ceil(len(every) * 0.95) - 1)], 2),
        "first_pass_p50_ms": round(statistics.median(passes[0]), 2),
        "rss_mb": rss_mb(),
    }
    if any(entity_id is not None for _, entity_id in requests):
        out["right"], out["wrong"] = right, wrong
    if len(passes) > 1:
        out["later_passes_p50_ms"] = round(statistics.median(t for p in passes[1:] for t in p), 2)
    context = getattr(tier, "_context", None)
    if callable(context):
        prompt = context(registry, requests[0][0]).prompt
        out["prompt_chars"] = len(prompt.system) + sum(len(a) + len(b) for a, b in prompt.examples)
    return out


def rss_mb() -> int:
    """The process's resident size now (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 300])
    parser.add_argument("--no-llm", action="store_true", help="skip the LLM tier")
    parser.add_argument("--repeat", type=int, default=5, help="template requests: times each")
    parser.add_argument(
        "--llm-sample", type=int, default=20, help="LLM requests per home (of the 20 written)"
    )
    parser.add_argument("--llm-repeat", type=int, default=2, help="LLM requests: times each")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    rooms = list(dict.fromkeys([*ROOMS, *MORE_ROOMS]))
    config = home_config(rooms)
    [template] = build_tiers(config, "template")
    llm = None if args.no_llm else build_tiers(config, "llm")[0]
    results = []
    for size in args.sizes:
        registry, row = discovered_home(config, size)
        templates = [(text, None) for text in TEMPLATE_REQUESTS]
        row["template"] = run_tier(template, registry, templates, args.repeat)
        if llm is not None:
            sample = LLM_REQUESTS[: args.llm_sample]
            row["llm"] = run_tier(llm, registry, sample, args.llm_repeat)
        results.append(row)
        if not args.json:
            print(f"{size} Zigbee devices done", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print(f"{'':34}" + "".join(f"{r['zigbee_devices']:>14}" for r in results))
    lines = [
        ("entities in the registry", lambda r: r["entities"]),
        ("bridge/devices payload (KB)", lambda r: round(r["bridge_payload_bytes"] / 1024)),
        ("discovery, all messages (ms)", lambda r: r["discovery_ms"]),
        ("template: prepare (ms)", lambda r: r["template"]["prepare_ms"]),
        ("template: p50 (ms)", lambda r: r["template"]["p50_ms"]),
        ("template: p95 (ms)", lambda r: r["template"]["p95_ms"]),
        (
            "template: with commands",
            lambda r: f"{r['template']['with_commands']}/{r['template']['requests']}",
        ),
    ]
    if llm is not None:
        lines += [
            ("llm: prepare (ms)", lambda r: r["llm"]["prepare_ms"]),
            ("llm: p50 (ms)", lambda r: r["llm"]["p50_ms"]),
            ("llm: p95 (ms)", lambda r: r["llm"]["p95_ms"]),
            ("llm: p50, first sight (ms)", lambda r: r["llm"]["first_pass_p50_ms"]),
            ("llm: p50, seen before (ms)", lambda r: r["llm"].get("later_passes_p50_ms", "")),
            ("llm: with commands", lambda r: f"{r['llm']['with_commands']}/{r['llm']['requests']}"),
            ("llm: right / wrong device", lambda r: f"{r['llm']['right']} / {r['llm']['wrong']}"),
            ("RSS after the llm tier (MB)", lambda r: r["llm"]["rss_mb"]),
            ("llm: prompt (chars)", lambda r: r["llm"].get("prompt_chars", "")),
        ]
    for label, get in lines:
        print(f"{label:34}" + "".join(f"{get(r)!s:>14}" for r in results))


if __name__ == "__main__":
    main()
