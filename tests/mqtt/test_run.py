"""``hub run`` as systemd and a user meet it: a subprocess on the example config, READY and
watchdog over a real notify socket, the mosquitto_pub/mosquitto_sub demo of the README and
docs/operating.md, SIGTERM and SIGKILL. Also ``hub ask --publish``'s publishing."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hub.config import Config, load_config
from hub.errors import ConfigError, HubError
from hub.mqtt import publish as publish_module
from hub.mqtt.publish import publishing
from hub.pipeline import Pipeline, make_request
from hub.store import Store
from tests.conftest import EXAMPLE_CONFIG
from tests.llm.conftest import model_path  # noqa: F401  (the real model, for one test)
from tests.mqtt.conftest import Broker, Client, free_port

# `hub run` whether or not hub/cli/commands.py registers it yet.
LAUNCH = (
    "from hub.cli import cli; from hub.cli.run import run; "
    "cli.add_command(run); cli(prog_name='hub')"
)


def hub_config(tmp_path: Path, port: int) -> Path:
    text = EXAMPLE_CONFIG.read_text()
    assert "\n  port: 1883\n" in text
    text = text.replace("\n  port: 1883\n", f"\n  port: {port}\n  client_id: hub-run-test\n")
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


class HubProcess:
    """``hub run`` in a subprocess, with its own NOTIFY_SOCKET and a short WatchdogSec."""

    def __init__(
        self, tmp_path: Path, port: int, *, tier: str = "template", model: Path | None = None
    ) -> None:
        self.sock_path = tmp_path / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.sock_path))
        self.sock.settimeout(30 if model is None else 90)  # loading a cold model takes longer
        self.notes: list[str] = []
        env = {
            **os.environ,
            "NOTIFY_SOCKET": str(self.sock_path),
            "WATCHDOG_USEC": "400000",
        }
        env.pop("WATCHDOG_PID", None)
        config = hub_config(tmp_path, port)
        if model is not None:
            text = config.read_text().replace("\nmodel:\n", f"\nmodel:\n  path: {model}\n", 1)
            config.write_text(text)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, "run", "--config", str(config), "--tier", tier],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def expect(self, state: str) -> None:
        """Wait for a notification (each datagram may carry one)."""
        while state not in self.notes:
            try:
                self.notes.append(self.sock.recv(4096).decode())
            except TimeoutError:
                self.proc.kill()
                output = self.proc.communicate()[0].decode()
                raise AssertionError(
                    f"no {state} from hub run; got {self.notes}\n{output}"
                ) from None

    def finish(self) -> tuple[int, str]:
        output = self.proc.communicate(timeout=30)[0].decode()
        self.sock.close()
        return self.proc.returncode, output


@pytest.fixture
def hub_process(tmp_path: Path, broker: Broker) -> Iterator[Callable[..., HubProcess]]:
    started: list[HubProcess] = []

    def start(**options: Any) -> HubProcess:
        process = HubProcess(tmp_path, broker.port, **options)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait()


@pytest.mark.skipif(shutil.which("mosquitto_sub") is None, reason="mosquitto-clients missing")
def test_the_readme_demo_and_a_clean_sigterm(
    broker: Broker, hub_process: Callable[[], HubProcess], client_factory: Callable[..., Client]
) -> None:
    hub = hub_process()
    hub.expect("READY=1")
    status = client_factory("hub/status")
    status.wait_for(lambda m: m.text == "online", timeout=15)
    port = str(broker.port)
    lines: queue.Queue[str] = queue.Queue()
    sub = subprocess.Popen(  # stdbuf: mosquitto_sub buffers its output when it is a pipe
        [
            "stdbuf",
            "-oL",
            "mosquitto_sub",
            "-p",
            port,
            "-t",
            "zigbee2mqtt/#",
            "-v",
            "-C",
            "1",
            "-d",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    reader = threading.Thread(target=lambda: [lines.put(x.rstrip("\n")) for x in sub.stdout or ()])
    reader.start()
    while not lines.get(timeout=10).startswith("Subscribed"):
        pass  # wait for the subscription, as a person watching would
    subprocess.run(
        ["mosquitto_pub", "-p", port, "-t", "hub/request", "-m", "turn on the kitchen light"],
        check=True,
        timeout=10,
    )
    assert sub.wait(15) == 0
    reader.join(5)
    assert 'zigbee2mqtt/Kitchen/Ceiling/set {"state":"ON"}' in list(lines.queue)

    hub.expect("WATCHDOG=1")  # healthy: the watchdog is fed
    hub.proc.send_signal(signal.SIGTERM)
    hub.expect("STOPPING=1")
    code, output = hub.finish()
    assert code == 0, output
    assert "mqtt hub/request id=None -> zigbee2mqtt/Kitchen/Ceiling/set" in output
    assert "'turn on the kitchen light' -> light.turn_on light.kitchen_ceiling [template" in output
    status.wait_for(lambda m: m.text == "offline")
    assert client_factory("hub/status").wait_topic("hub/status")[0].text == "offline"


def test_the_event_log_keeps_requests_actions_and_errors_after_the_hub_stops(
    hub_process: Callable[[], HubProcess], client_factory: Callable[..., Client]
) -> None:
    hub = hub_process()
    hub.expect("READY=1")
    client_factory("hub/status").wait_for(lambda m: m.text == "online", timeout=15)
    responses = client_factory("hub/response")
    responses.publish("hub/request", '{"text": "lock the front door", "id": "r1"}')
    responses.publish("hub/request", b"\xff\xfe not text")
    responses.wait_for(lambda m: "error" in m.text, timeout=15)
    responses.wait_for(lambda m: "r1" in m.text, timeout=15)
    hub.proc.send_signal(signal.SIGTERM)
    code, output = hub.finish()
    assert code == 0, output

    store = Store.open(Path(os.environ["HUB_DATA_DIR"]) / "hub.db")
    events = list(store.events(0, time.time() + 1))
    request = next(e for e in events if e.kind == "request")
    assert (request.source, request.text, request.outcome, request.request_id) == (
        "mqtt",
        "lock the front door",
        "acted",
        "r1",
    )
    action = next(e for e in events if e.kind == "action")
    assert action.entity_id == "lock.front_door" and action.outcome == "published"
    error = next(e for e in events if e.kind == "error")
    assert error.source == "mqtt" and error.outcome == "bad_encoding"
    store.close()


def test_a_killed_hub_goes_offline_by_its_last_will(
    hub_process: Callable[[], HubProcess], client_factory: Callable[..., Client]
) -> None:
    hub = hub_process()
    hub.expect("READY=1")
    status = client_factory("hub/status")
    status.wait_for(lambda m: m.text == "online", timeout=15)
    hub.proc.kill()
    hub.finish()
    status.wait_for(lambda m: m.text == "offline")


def test_hub_run_needs_an_mqtt_section(tmp_path: Path) -> None:
    from hub.cli import cli
    from hub.cli.run import run

    cli.add_command(run)
    config = tmp_path / "home.yaml"
    config.write_text("devices: [{id: light.a}]\n")
    result = CliRunner().invoke(cli, ["run", "--config", str(config)])
    assert result.exit_code == 2
    assert "mqtt: hub run needs an mqtt: section" in result.output


def test_ask_publish_sends_the_actions_and_waits_for_the_broker(
    broker: Broker,
    example_config: Config,
    warm_pipeline: Pipeline,
    client_factory: Callable[..., Client],
) -> None:
    assert example_config.mqtt is not None
    config = replace(example_config, mqtt=replace(example_config.mqtt, port=broker.port))
    devices = client_factory("cmnd/#", "hub/status")
    with publishing(warm_pipeline, config) as pipeline:
        reply = pipeline.ask(make_request(pipeline.registry, "turn on the coffee machine"))
        assert reply.error is None and reply.commands
        nothing = pipeline.ask(make_request(pipeline.registry, "what is the meaning of life"))
        assert nothing.error is None and not nothing.commands
    [action] = devices.wait_topic("cmnd/coffee/POWER")
    assert action.text == "ON"
    assert devices.on("hub/status") == []  # a one-off publisher is not the daemon


def test_ask_publish_without_a_broker_or_a_section_is_an_error(
    example_config: Config, warm_pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        pytest.raises(ConfigError, match="--publish needs an mqtt: section"),
        publishing(warm_pipeline, replace(example_config, mqtt=None)),
    ):
        pass
    monkeypatch.setattr(publish_module, "CONNECT_TIMEOUT", 0.3)
    assert example_config.mqtt is not None
    nowhere = replace(example_config, mqtt=replace(example_config.mqtt, port=free_port()))
    with (
        pytest.raises(HubError, match=r"cannot reach the MQTT broker .* within 0\.3 s") as info,
        publishing(warm_pipeline, nowhere),
    ):
        pass
    assert info.value.code == "broker_unavailable"


def test_the_example_config_loads_for_the_run_script() -> None:
    config = load_config(EXAMPLE_CONFIG)
    assert config.mqtt is not None and config.mqtt.port == 1883
    script = (EXAMPLE_CONFIG.parent / "scripts" / "run.sh").read_text()
    assert "hub run --config" in script
    out = subprocess.run(
        ["bash", "-n", str(EXAMPLE_CONFIG.parent / "scripts" / "run.sh")], check=False
    )
    assert out.returncode == 0


def test_templates_are_served_while_the_model_warms_up(
    hub_process: Callable[..., HubProcess],
    client_factory: Callable[..., Client],
    model_path: Path,  # noqa: F811  (the fixture imported above)
) -> None:
    """The model's prompt takes seconds to evaluate; the daemon serves meanwhile, and a request
    for the model is answered once it is ready."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    hub = hub_process(tier="auto", model=model_path)
    hub.expect("READY=1")
    client_factory("hub/status").wait_for(lambda m: m.text == "online", timeout=15)
    responses = client_factory("hub/response")
    requests = client_factory()
    requests.publish("hub/request", "turn on the kitchen light")
    [first] = responses.wait_for(lambda m: "kitchen light" in m.text, timeout=30)
    assert json.loads(first.text)["tier"] == "template"
    requests.publish("hub/request", "it's way too bright in the living room")
    [llm] = responses.wait_for(lambda m: "too bright" in m.text, timeout=120)
    assert json.loads(llm.text)["tier"] == "llm"
    hub.proc.send_signal(signal.SIGTERM)
    code, output = hub.finish()
    assert code == 0, output
    template_line = output.index("'turn on the kitchen light' -> light.turn_on")
    assert template_line < output.index("Prepared the llm tier")  # answered before the model
