"""``hub devices --discover``: the home as the bus describes it, with each device's origin."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli.inspect import devices
from hub.sim.runner import Simulator
from tests.mqtt.conftest import Broker, Client


@pytest.fixture
def simulator(broker: Broker) -> Iterator[Simulator]:
    sim = Simulator(port=broker.port)
    sim.start()
    sim.publish_all()
    yield sim
    sim.stop()


def test_devices_shows_where_each_came_from(
    broker: Broker,
    simulator: Simulator,
    client_factory: Callable[..., Client],
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "areas: [{id: kitchen, name: Kitchen}]\n"
        "devices: [{id: light.counter, name: Counter, area: kitchen,"
        " binding: {type: zigbee2mqtt, friendly_name: Kitchen/Counter}}]\n"
        f"mqtt: {{host: 127.0.0.1, port: {broker.port}}}\n"
        'discovery: {areas: {"Kitchen/": kitchen},'
        " allow_security: [lock.hallway_front_door, cover.garage_door, lock.back_door]}\n"
    )
    # and one announcement that hub refuses
    trap = '{"name": "Trap", "cmd_t": "hub/request", "uniq_id": "trap"}'
    client_factory().publish("homeassistant/switch/trap/config", trap, retain=True)  # acked
    runner = CliRunner()
    table = runner.invoke(devices, ["--config", str(config), "--discover", "3"])
    assert table.exit_code == 0, table.output
    lines = table.output.strip().splitlines()
    assert "ORIGIN" in lines[0]
    assert "(1 config, 29 zigbee2mqtt, 9 homeassistant)" in lines[-3], lines[-3]
    assert lines[-2:] == [
        "Refused from the bus (1; docs/discovery.md says why):",
        "  switch.trap ('Trap', from homeassistant/switch/trap/config): its command topic "
        "'hub/request' is among hub's own topics (hub/)",
    ]
    body = json.loads(
        runner.invoke(devices, ["--config", str(config), "--discover", "3", "--json"]).output
    )
    assert body["rejected"] == [
        {
            "entity_id": "switch.trap",
            "name": "Trap",
            "source": "homeassistant/switch/trap/config",
            "topic": "hub/request",
            "reason": "its command topic 'hub/request' is among hub's own topics (hub/)",
        }
    ]
    by_id = {r["entity_id"]: r for r in body["devices"]}
    assert by_id["light.counter"]["origin"] == "config"
    assert by_id["light.counter"]["state"] == "off"  # its live state, from the bus
    assert by_id["light.kitchen_ceiling"]["origin"] == "zigbee2mqtt"
    assert by_id["light.kitchen_ceiling"]["area"] == "Kitchen"
    assert by_id["climate.office_ac"]["origin"] == "homeassistant"
    assert by_id["climate.office_ac"]["state"] == "off"


def test_discover_without_the_sections_is_one_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("areas: []\n")
    result = CliRunner().invoke(devices, ["--config", str(config), "--discover", "1"])
    assert result.exit_code != 0
    assert "needs the mqtt: and discovery: sections" in str(result.exception or result.output)
