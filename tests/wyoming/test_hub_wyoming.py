"""``hub wyoming`` as Home Assistant meets it: a subprocess on the example home, a real
Mosquitto, and the wyoming package's own ``AsyncTcpClient`` (what HA's integration uses)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from pathlib import Path

from wyoming.asr import Transcript
from wyoming.client import AsyncTcpClient
from wyoming.handle import Handled, NotHandled

from hub import __version__
from tests.mqtt.conftest import Broker, Client
from tests.wyoming.conftest import HubProcess, ask, example_home, read

KITCHEN = "zigbee2mqtt/Kitchen/Ceiling/set"  # the kitchen light's Zigbee2MQTT topic


def test_info_has_a_handle_program(
    tmp_path: Path, bus: Broker, hub_process: Callable[..., HubProcess]
) -> None:
    hub = hub_process(example_home(tmp_path, mqtt_port=bus.port))
    info = hub.wait_serving()
    assert [p.name for p in info.handle] == ["hub"]
    handle = info.handle[0]
    assert handle.installed and handle.supports_home_control
    assert handle.version == __version__
    assert handle.attribution.name == "hub"
    assert [m.languages for m in handle.models] == [["en"]]
    assert "template" in (handle.models[0].description or "")
    assert info.asr == []  # the example's speech model (en) is not installed, nor asked for


def test_a_command_is_handled_and_published_on_the_bus(
    tmp_path: Path,
    bus: Broker,
    listen_bus: Callable[..., Client],
    hub_process: Callable[..., HubProcess],
) -> None:
    hub = hub_process(example_home(tmp_path, mqtt_port=bus.port))
    hub.wait_serving()
    watcher = listen_bus("zigbee2mqtt/#", "hub/response")
    transcript = Transcript(
        "turn on the kitchen light", context={"conversation_id": "01HQ-test"}, language="en"
    )
    event = asyncio.run(ask(hub.port, transcript.event()))
    assert Handled.is_type(event.type), event
    handled = Handled.from_event(event)
    assert handled.text == "Turning on Kitchen Light."
    assert handled.context == {"conversation_id": "01HQ-test"}
    # published exactly as hub run publishes it, and answered on hub/response too
    action = watcher.wait_topic(KITCHEN)[0]
    assert action.json() == {"state": "ON"}
    answer = watcher.wait_topic("hub/response")[0].json()
    assert answer["id"].startswith("wyoming-")
    assert answer["commands"][0]["action"] == "light.turn_on"
    assert "wyoming 'turn on the kitchen light' -> light.turn_on" in hub.output()


def test_nonsense_is_not_handled_and_nothing_is_published(
    tmp_path: Path,
    bus: Broker,
    listen_bus: Callable[..., Client],
    hub_process: Callable[..., HubProcess],
) -> None:
    hub = hub_process(example_home(tmp_path, mqtt_port=bus.port))
    hub.wait_serving()
    watcher = listen_bus("#")
    event = asyncio.run(ask(hub.port, Transcript("blorp the zibble wibble").event()))
    assert NotHandled.is_type(event.type), event
    assert NotHandled.from_event(event).text == "Sorry, I didn't understand that."
    # its answer on hub/response comes after anything it would have published
    watcher.wait_for(lambda m: m.topic == "hub/response" and b"blorp" in m.payload)
    devices = ("zigbee2mqtt/", "cmnd/", "hub/action/")
    assert not [m for m in watcher.messages if m.topic.startswith(devices)]


def test_junk_and_a_client_gone_mid_request_leave_the_service_serving(
    tmp_path: Path,
    bus: Broker,
    listen_bus: Callable[..., Client],
    hub_process: Callable[..., HubProcess],
) -> None:
    hub = hub_process(example_home(tmp_path, mqtt_port=bus.port))
    hub.wait_serving()
    watcher = listen_bus("cmnd/#")
    for junk in (
        b"\x00\xffnot json at all\n",
        b"[1, 2, 3]\n",
        b'{"type": "audio-chunk", "payload_length": 99999999999}\n',
        b'{"type": "transcript", "data": {"language": "en"}}\n',  # no text
    ):
        with socket.create_connection(("127.0.0.1", hub.port)) as raw:
            raw.sendall(junk)
            raw.shutdown(socket.SHUT_WR)
            received = b""
            while chunk := raw.recv(4096):  # the service answers an error, then closes
                received += chunk
        header = json.loads(received.split(b"\n", 1)[0])
        assert header["type"] == "error", received
        assert b"bad_event" in received

    async def gone() -> None:  # asks, and leaves before the answer
        client = AsyncTcpClient("127.0.0.1", hub.port)
        await client.connect()
        await client.write_event(Transcript("turn on the coffee machine").event())
        await client.disconnect()

    asyncio.run(gone())
    # the request was acted on all the same (as an MQTT request whose client left would be)
    assert watcher.wait_topic("cmnd/coffee/POWER")[0].text == "ON"
    event = asyncio.run(ask(hub.port, Transcript("turn on the kitchen light").event()))
    assert Handled.is_type(event.type), event
    assert "dropped" in hub.output()
    assert "Traceback" not in hub.output()


def test_many_clients_at_once(
    tmp_path: Path,
    bus: Broker,
    listen_bus: Callable[..., Client],
    hub_process: Callable[..., HubProcess],
) -> None:
    hub = hub_process(example_home(tmp_path, mqtt_port=bus.port))
    hub.wait_serving()
    watcher = listen_bus("hub/response")
    texts = [
        "turn on the kitchen light",
        "lock the front door",
        "turn on the coffee machine",
        "turn off the sprinkler",
        "turn on the hallway light",
        "close the garage door",
        "blorp the zibble",
        "turn off the kitchen light",
    ]

    async def many() -> list[str]:
        clients = [AsyncTcpClient("127.0.0.1", hub.port) for _ in texts]
        for client in clients:
            await client.connect()
        await asyncio.gather(
            *(c.write_event(Transcript(t).event()) for c, t in zip(clients, texts, strict=True))
        )
        events = await asyncio.gather(*(read(c) for c in clients))
        for client in clients:
            await client.disconnect()
        return [e.type for e in events]

    types = asyncio.run(many())
    assert types == ["handled"] * 6 + ["not-handled", "handled"]
    answered = {m.json()["text"] for m in watcher.wait_topic("hub/response", n=len(texts))}
    assert answered == set(texts)


def test_without_mqtt_the_pipeline_answers_and_nothing_is_published(
    tmp_path: Path,
    bus: Broker,
    listen_bus: Callable[..., Client],
    hub_process: Callable[..., HubProcess],
) -> None:
    hub = hub_process(example_home(tmp_path, mqtt_port=None))
    info = hub.wait_serving()
    assert info.handle[0].name == "hub"
    watcher = listen_bus("#")  # a broker the hub does not know: nothing may arrive
    event = asyncio.run(ask(hub.port, Transcript("turn on the kitchen light").event()))
    assert Handled.from_event(event).text == "Turning on Kitchen Light."
    assert "requests through the pipeline" in hub.output()
    assert watcher.messages == []


def test_a_taken_port_is_one_clear_error(
    tmp_path: Path, hub_process: Callable[..., HubProcess]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        hub = hub_process(
            example_home(tmp_path, mqtt_port=None), "--uri", f"tcp://127.0.0.1:{port}"
        )
        code = hub.proc.wait(120)
        output = hub.output()
    assert code == 2, output
    assert f"hub: error: cannot listen on tcp://127.0.0.1:{port}" in output
    assert "Traceback" not in output


def test_follow_ups_in_home_assistants_conversation(
    tmp_path: Path,
    bus: Broker,
    listen_bus: Callable[..., Client],
    hub_process: Callable[..., HubProcess],
) -> None:
    """HA's conversation id joins the turns: "the bedroom one" answers "Which one", and an
    unlock waits for "yes" (security.sources names wyoming)."""
    config = example_home(tmp_path, mqtt_port=bus.port)
    text = config.read_text(encoding="utf-8")
    assert "sources: [cli, speech, mqtt/homeassistant]" in text
    config.write_text(text.replace("mqtt/homeassistant]", "wyoming]"), encoding="utf-8")
    hub = hub_process(config)
    hub.wait_serving()
    watcher = listen_bus("hub/action/#", "zigbee2mqtt/#")

    def say(words: str, conversation: str) -> Handled:
        transcript = Transcript(words, context={"conversation_id": conversation}, language="en")
        event = asyncio.run(ask(hub.port, transcript.event()))
        assert Handled.is_type(event.type), event
        return Handled.from_event(event)

    assert say("turn on the lamp", "c1").text.startswith("Which one")
    assert say("the bedroom one", "c1").text == "Turning on Lamp."
    action = watcher.wait_topic("hub/action/light")[0].json()
    assert action["target"]["entity_id"] == ["light.bedroom_reading"]

    assert say("unlock the front door", "c2").text == "Say 'yes' to confirm: Unlocking Front Door."
    assert not watcher.on("zigbee2mqtt/Front Door Lock/set")
    assert say("yes", "c2").text == "Unlocking Front Door."
    assert watcher.wait_topic("zigbee2mqtt/Front Door Lock/set")[0].json() == {"state": "UNLOCK"}
