"""``hub devices`` and ``hub config check``: look at the home and the config."""

from __future__ import annotations

import json
from typing import Any

import click

from hub.app.build import find_config
from hub.cli.options import config_option
from hub.config import load_config
from hub.integrations.discovered import Rejection


@click.command("devices")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the registry as JSON.")
@click.option(
    "--discover",
    "discover",
    type=click.FloatRange(0.1, 60),
    default=None,
    metavar="SECONDS",
    help="Also read the MQTT bus for this long (Zigbee2MQTT, Home Assistant discovery, live "
    "states), as hub run does; needs the mqtt: and discovery: sections.",
)
def devices(config_path: str | None, as_json: bool, discover: float | None) -> None:
    """List the devices of the home as a table: entity, name, area, floor, features, state, and
    where each came from (config, zigbee2mqtt or homeassistant discovery). With --discover,
    also what discovery refused and why (with --json: {"devices": [...], "rejected": [...]})."""
    config = find_config(config_path)
    rejected: tuple[Rejection, ...] = ()
    if discover is not None:
        from hub.mqtt.snapshot import snapshot

        look = snapshot(config, discover)
        registry, rejected = look.registry, look.rejected
    else:
        registry = config.registry()
    rows: list[dict[str, Any]] = []
    for device in registry.devices:
        area = registry.area(device.area)
        floor = registry.floor(area.floor) if area else None
        rows.append(
            {
                "entity_id": device.entity_id,
                "name": device.name,
                "aliases": list(device.aliases),
                "area": area.name if area else "",
                "floor": floor.name if floor else "",
                "features": sorted(device.features),
                "device_class": device.device_class or "",
                "state": device.state.state or "",
                "origin": device.origin,
            }
        )
    if as_json:
        if discover is not None:  # the devices, then what discovery refused
            body: Any = {"devices": rows, "rejected": [r.to_dict() for r in rejected]}
        else:
            body = rows
        click.echo(json.dumps(body, ensure_ascii=False, indent=1))
        return
    headers = ["entity_id", "name", "area", "floor", "features", "state", "origin"]
    table = [
        [
            r["entity_id"],
            _with_aliases(str(r["name"]), list(r["aliases"])),
            r["area"],
            r["floor"],
            ",".join(r["features"]),
            r["state"],
            r["origin"],
        ]
        for r in rows
    ]
    widths = [
        max(len(h), *(len(str(row[i])) for row in table)) if table else len(h)
        for i, h in enumerate(headers)
    ]
    click.echo("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in table:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    origins = [str(r["origin"]) for r in rows]
    sources = ", ".join(f"{origins.count(o)} {o}" for o in dict.fromkeys(origins))
    click.echo(
        f"{len(rows)} devices in {len(registry.areas)} areas on {len(registry.floors)} floors"
        + (f" ({sources})" if set(origins) - {"config"} else "")
    )
    if rejected:
        click.echo(f"Refused from the bus ({len(rejected)}; docs/discovery.md says why):")
        for refusal in rejected:
            click.echo(f"  {refusal.text()}")


def _with_aliases(name: str, aliases: list[str]) -> str:
    return f"{name} ({', '.join(aliases)})" if aliases else name


@click.group("config")
def config_group() -> None:
    """Check the configuration."""


@config_group.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def check(file: str | None) -> None:
    """Validate FILE (default: the config hub would use) and summarise it.

    Exits 0 when valid; otherwise prints every problem in the file, one a line naming the line,
    key and reason (FILE:LINE: KEY: REASON), and exits 2.
    """
    config = load_config(file) if file else find_config(None)
    registry = config.registry()
    click.echo(
        f"{config.source}: OK: {len(registry.devices)} devices, {len(registry.areas)} areas, "
        f"{len(registry.floors)} floors; languages {', '.join(config.languages)}; "
        f"LLM {config.llm.backend}"
    )
