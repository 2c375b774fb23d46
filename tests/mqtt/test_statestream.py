"""Home Assistant's mqtt_statestream end to end: a real Mosquitto, a client publishing as HA does
(retained, QoS 1), the daemon on the template tier with the example home. What HA says of a
device bound to it is what the next request hears; nothing else is taken from it."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from hub.app.build import build_pipeline
from hub.config import Config
from hub.config.discovery import DiscoveryConfig
from hub.mqtt.daemon import Daemon
from hub.pipeline import Pipeline
from tests.mqtt.conftest import MOSQUITTO, Broker, Client, mqtt_settings, wait_until

BASE = "homeassistant_statestream"
BEDSIDE = f"{BASE}/light/bedroom_lamp"  # light.bedroom_lamp, "Bedside Lamp": no binding, so HA's
_ids = count(1)


@pytest.fixture(scope="module")
def pipeline(example_config: Config) -> Pipeline:
    """A pipeline of this module's own: the daemon gives it the live registry it serves."""
    own = build_pipeline(example_config, "template")
    own.warm()
    return own


@pytest.fixture
def start(
    broker: Broker, example_config: Config, pipeline: Pipeline
) -> Iterator[Callable[[], Daemon]]:
    daemons: list[Daemon] = []

    def make() -> Daemon:
        pipeline.registry = example_config.registry()  # the config's states, as at a start
        discovery = DiscoveryConfig(homeassistant=False, statestream=BASE)
        daemon = Daemon(pipeline, mqtt_settings(example_config, broker.port), discovery=discovery)
        daemons.append(daemon)
        daemon.start()
        assert daemon.link.wait_listening(10), "the daemon's subscriptions"
        return daemon

    yield make
    for daemon in daemons:
        daemon.stop(drain_seconds=2)


def ask(requester: Client, text: str) -> dict[str, Any]:
    request_id = f"s{next(_ids)}"
    requester.publish("hub/request", f'{{"text": "{text}", "id": "{request_id}"}}')
    [answer] = requester.wait_for(lambda m: m.json().get("id") == request_id)
    body: dict[str, Any] = answer.json()
    return body


def state_of(daemon: Daemon, entity_id: str) -> str | None:
    return daemon.pipeline.registry.state(entity_id).state


def test_a_state_from_home_assistant_is_what_the_next_request_hears(
    start: Callable[[], Daemon], client_factory: Callable[..., Client]
) -> None:
    ha = client_factory()
    ha.publish(f"{BEDSIDE}/state", "on", retain=True)  # before the hub starts: retained
    daemon = start()
    requester = client_factory("hub/response")
    wait_until(lambda: state_of(daemon, "light.bedroom_lamp") == "on", what="the retained state")
    assert ask(requester, "is the bedside lamp on?")["reply"] == "Bedside Lamp is on."
    ha.publish(f"{BEDSIDE}/state", "off", retain=True)
    wait_until(lambda: state_of(daemon, "light.bedroom_lamp") == "off", what="the new state")
    assert ask(requester, "is the bedside lamp on?")["reply"] == "Bedside Lamp is off."


def test_attributes_change_and_timestamps_are_no_attributes(
    start: Callable[[], Daemon], client_factory: Callable[..., Client]
) -> None:
    daemon = start()
    ha = client_factory()
    for key, payload in (
        ("state", "on"),
        ("brightness", "180"),
        ("friendly_name", '"Bedside Lamp"'),
        ("last_changed", "2024-05-01T10:00:00.000000+00:00"),
        ("supported_color_modes", '["hs"]'),
    ):
        ha.publish(f"{BEDSIDE}/{key}", payload, retain=True)

    def attributes() -> dict[str, object]:
        return dict(daemon.pipeline.registry.state("light.bedroom_lamp").attributes)

    wait_until(lambda: "supported_color_modes" in attributes(), what="the attributes")
    assert attributes() == {
        "brightness": 180,
        "friendly_name": "Bedside Lamp",
        "supported_color_modes": ["hs"],
    }
    ha.publish(f"{BEDSIDE}/brightness", "90", retain=True)
    wait_until(lambda: attributes().get("brightness") == 90, what="the new brightness")
    assert [d.name for d in daemon.pipeline.registry.find_devices("Bedside Lamp")] == [
        "Bedside Lamp"
    ]  # friendly_name is an attribute, never a new name


def test_an_unknown_entity_and_a_zigbee2mqtt_device_take_nothing_from_it(
    start: Callable[[], Daemon], client_factory: Callable[..., Client]
) -> None:
    daemon = start()
    devices = len(daemon.pipeline.registry.devices)
    version = daemon.pipeline.registry.version
    ha = client_factory()
    ha.publish(f"{BASE}/light/porch/state", "on", retain=True)  # HA has it; the hub does not
    ha.publish(f"{BASE}/light/kitchen_ceiling/state", "on", retain=True)  # Zigbee2MQTT's device
    ha.publish(f"{BEDSIDE}/state", "on", retain=True)  # the last: once it is read, so were they
    wait_until(lambda: state_of(daemon, "light.bedroom_lamp") == "on", what="the bedside lamp")
    registry = daemon.pipeline.registry
    assert (len(registry.devices), registry.version) == (devices, version)
    assert registry.device("light.porch") is None
    requester = client_factory("hub/response")
    assert ask(requester, "is the kitchen light on?")["reply"] == "Kitchen Light is off."
    ha.publish("zigbee2mqtt/Kitchen/Ceiling", '{"state": "ON"}')  # its own word
    wait_until(lambda: state_of(daemon, "light.kitchen_ceiling") == "on", what="its own state")


def test_unavailable_in_home_assistant_is_unavailable_here(
    start: Callable[[], Daemon], client_factory: Callable[..., Client]
) -> None:
    daemon = start()
    actions = client_factory("hub/action/#")
    requester = client_factory("hub/response")
    ha = client_factory()
    ha.publish(f"{BEDSIDE}/state", "unavailable", retain=True)
    wait_until(lambda: state_of(daemon, "light.bedroom_lamp") == "unavailable", what="offline")
    assert ask(requester, "is the bedside lamp on?")["reply"] == "Bedside Lamp is unavailable."
    answer = ask(requester, "turn on the bedside lamp")
    assert answer["error"]["code"] == "device_unavailable"
    ha.publish(f"{BEDSIDE}/state", "off", retain=True)
    wait_until(lambda: state_of(daemon, "light.bedroom_lamp") == "off", what="back")
    assert "error" not in ask(requester, "turn on the bedside lamp")
    [action] = actions.wait_topic("hub/action/light")  # only the second was sent
    assert '"light.bedroom_lamp"' in action.text


def test_garbage_on_statestream_is_ignored_and_the_hub_keeps_serving(
    start: Callable[[], Daemon],
    client_factory: Callable[..., Client],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="hub.mqtt.live")
    daemon = start()
    ha = client_factory()
    for key, payload in (
        ("state", b"\xff\xfe\x00"),  # not UTF-8
        ("state", b"on" * 50_000),  # 100 kB
        ("state", b"on\r\nBedside Lamp is on fire"),
        ("brightness", b"{not json"),  # taken as text
        ("color", b"[" * 2000 + b"]" * 2000),  # nested deeper than the parser goes: text
    ):
        ha.publish(f"{BEDSIDE}/{key}", payload)
    ha.publish(f"{BEDSIDE}/state", "on")
    wait_until(lambda: state_of(daemon, "light.bedroom_lamp") == "on", what="the good state")
    requester = client_factory("hub/response")
    assert ask(requester, "is the bedside lamp on?")["reply"] == "Bedside Lamp is on."
    attributes = daemon.pipeline.registry.state("light.bedroom_lamp").attributes
    assert (attributes["brightness"], attributes["color"][:3]) == ("{not json", "[[[")
    assert daemon.alive()
    warnings = [r.getMessage() for r in caplog.records if "statestream" in r.getMessage()]
    assert any("not UTF-8" in w for w in warnings)
    assert len(warnings) == 1  # one per topic: the 100 kB and the control characters came after


@pytest.mark.skipif(not os.access(MOSQUITTO, os.X_OK), reason="mosquitto is not installed")
def test_the_statestream_benchmark_runs_and_reports() -> None:
    """bench/statestream.py stays runnable (figures in docs/benchmarks.md, not asserted)."""
    bench = Path(__file__).resolve().parents[2] / "bench" / "statestream.py"
    out = subprocess.run(
        [sys.executable, str(bench), "--rounds", "6", "--gap", "0", "--json"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["rounds"] == 6 and result["visible_p50_ms"] > 0
    assert result["within_100_ms"] <= 6 and result["asked_again"] <= 6
