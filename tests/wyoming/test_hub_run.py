"""``hub run`` with a ``wyoming:`` section: one daemon serves MQTT and Home Assistant."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from wyoming.asr import Transcript
from wyoming.handle import Handled

from tests.mqtt.conftest import Broker, Client, free_port
from tests.wyoming.conftest import HubProcess, ask, example_home


def test_hub_run_serves_wyoming_beside_mqtt(
    tmp_path: Path,
    bus: Broker,
    listen_bus: Callable[..., Client],
    hub_process: Callable[..., HubProcess],
) -> None:
    port = free_port()
    section = f"wyoming: {{uri: 'tcp://127.0.0.1:{port}', zeroconf: false, name: hub-test}}\n"
    config = example_home(tmp_path, mqtt_port=bus.port, extra=section)
    hub = hub_process(config, "--tier", "template", command="run", port=port)
    info = hub.wait_serving()
    assert [p.name for p in info.handle] == ["hub-test"]
    watcher = listen_bus("zigbee2mqtt/#", "hub/response")
    # an MQTT request and a Wyoming one, through the same daemon
    mqtt = Client(bus.port)
    try:
        mqtt.publish("hub/request", "turn on the kitchen light")
    finally:
        mqtt.close()
    event = asyncio.run(ask(hub.port, Transcript("turn off the kitchen light").event()))
    assert Handled.from_event(event).text == "Turning off Kitchen Light."
    actions = watcher.wait_topic("zigbee2mqtt/Kitchen/Ceiling/set", n=2)
    assert sorted(a.json()["state"] for a in actions) == ["OFF", "ON"]
    ids = [m.json()["id"] for m in watcher.wait_topic("hub/response", n=2)]
    assert any(str(i).startswith("wyoming-") for i in ids)
    assert hub.stop() == 0, hub.output()
    assert "hub stopped" in hub.output()
