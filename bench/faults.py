"""Fault injection: a steady stream of requests while the broker is killed and comes back.

    .venv/bin/python bench/faults.py                    # 30 requests/s, broker down 3 s, then 15 s
    .venv/bin/python bench/faults.py --rate 5 --down 3  # shorter
    .venv/bin/python bench/faults.py --json             # one JSON object

It starts a Mosquitto of its own with persistence (saved every second, as after a crash it
comes back from its last save) on a free loopback port, and a real ``hub run`` in a subprocess
on the example home (config.example.yaml, the template tier only: no model), with its own data
directory. A paho client publishes requests with unique ids on ``hub/request/bench`` at a fixed
rate (each sets one device to its own level: "set the desk lamp to 37%"), only while it is
connected (what it could not hand to the broker is "not sent"), and never resends. A second
client, with a persistent session of its own, records every answer and every device message.
The broker is killed (SIGKILL) for each ``--down`` period and restarted on the same port.

Reported, per request id: published (acknowledged by the broker, or answered), answered and
acted, answered ``expired``, answered with another error, lost (published, never answered),
duplicated (two answers, or more device messages than acted answers for its device and
level), and the longest time from publishing a request to its device message. Copies the
broker redelivers to the recording client itself (the DUP flag, the same payload) are not
counted twice: they are the broker's, not the hub's. Exit status 1 if anything was lost or
duplicated.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import Broker, free_port, wait_for  # noqa: E402
from hub.config import load_config  # noqa: E402
from hub.integrations.router import Router  # noqa: E402
from hub.messages import Command  # noqa: E402

EXAMPLE = ROOT / "config.example.yaml"
REQUEST_TOPIC = "hub/request/bench"
# Devices of the example home that take a level, across the bindings: (words, action, data key)
TARGETS = (
    ("desk lamp", "light.office_lamp", "light.turn_on", "brightness_pct"),
    ("reading lamp", "light.living_room_lamp", "light.turn_on", "brightness_pct"),
    ("counter lights", "light.kitchen_counter", "light.turn_on", "brightness_pct"),
    ("bedside lamp", "light.bedroom_lamp", "light.turn_on", "brightness_pct"),
    ("night light", "light.kids_room_lamp", "light.turn_on", "brightness_pct"),
    ("kitchen light", "light.kitchen_ceiling", "light.turn_on", "brightness_pct"),
    ("big light", "light.living_room_ceiling", "light.turn_on", "brightness_pct"),
    ("living room blinds", "cover.living_room_blinds", "cover.set_cover_position", "position"),
    ("bedroom curtains", "cover.bedroom_curtains", "cover.set_cover_position", "position"),
    ("ceiling fan", "fan.bedroom", "fan.set_percentage", "percentage"),
    ("desk fan", "fan.office", "fan.set_percentage", "percentage"),
)
DEVICE_TOPICS = ("zigbee2mqtt/#", "cmnd/#", "garden/#", "hub/action/#")


@dataclass
class Record:
    """What the recording client saw."""

    answers: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    actions: list[tuple[float, str, str]] = field(default_factory=list)  # (time, topic, payload)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Recorder:
    """Subscribed to the answers and the device topics, with a persistent session: what the
    broker queued for it while it was away comes when it is back."""

    def __init__(self, port: int) -> None:
        self.record = Record()
        self._seen: set[tuple[str, bytes]] = set()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="bench-recorder", protocol=mqtt.MQTTv5
        )
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 1)
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 600
        self.client.connect("127.0.0.1", port, clean_start=False, properties=properties)
        self.client.loop_start()
        wait_for(self._subscribed.is_set, 10, "the recording client")

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        client.subscribe([(t, 1) for t in ("hub/response", "hub/status", *DEVICE_TOPICS)])

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        now = time.perf_counter()
        payload = bytes(msg.payload)
        if msg.retain:
            return
        with self.record.lock:
            if msg.dup and (msg.topic, payload) in self._seen:
                return  # the broker's own redelivery to this client
            self._seen.add((msg.topic, payload))
            if msg.topic == "hub/response":
                body = json.loads(payload)
                if isinstance(body.get("id"), str):
                    self.record.answers[body["id"]].append(body)
            elif msg.topic != "hub/status":
                self.record.actions.append((now, msg.topic, payload.decode()))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Publisher:
    """Publishes requests only while connected; never resends (a request it could not hand
    over is "not sent", one in flight at a crash is "unconfirmed" unless the hub answers it)."""

    def __init__(self, port: int) -> None:
        self.lock = threading.Lock()
        self.sent: dict[str, float] = {}  # id -> when it was published
        self.acked: set[str] = set()
        self.not_sent = 0
        self._by_mid: dict[int, str] = {}
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="bench-publisher", protocol=mqtt.MQTTv5
        )
        self.client.on_publish = self._on_publish
        self.client.on_disconnect = lambda client, *args: client.drop_out_messages()
        self.client.reconnect_delay_set(1, 1)
        self.client.max_inflight_messages_set(1000)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        wait_for(self.client.is_connected, 10, "the publishing client")

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        with self.lock:
            request_id = self._by_mid.pop(mid, None)
            if request_id is not None:
                self.acked.add(request_id)

    def send(self, request_id: str, text: str) -> None:
        if not self.client.is_connected():
            self.not_sent += 1
            return
        payload = json.dumps({"text": text, "id": request_id})
        with self.lock:
            at = time.perf_counter()
            info = self.client.publish(REQUEST_TOPIC, payload, qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                self.not_sent += 1
                return
            self.sent[request_id] = at
            self._by_mid[info.mid] = request_id

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def hub_config(workdir: Path, port: int) -> Path:
    """The example home, on this broker, the template tier's home only (no model)."""
    text = EXAMPLE.read_text()
    if "\n  port: 1883\n" not in text or "\nllm:\n  backend: embedded" not in text:
        raise SystemExit("config.example.yaml changed: update bench/faults.py")
    text = text.replace("\n  port: 1883\n", f"\n  port: {port}\n  client_id: hub-faults\n")
    text = text.replace("\nllm:\n  backend: embedded", '\nllm:\n  backend: "off"')
    path = workdir / "config.yaml"
    path.write_text(text)
    return path


def expected_messages(config: Path) -> dict[tuple[str, str], tuple[str, int]]:
    """(topic, payload) of a device message -> the (entity id, level) it sets."""
    router = Router(load_config(config).registry())
    out: dict[tuple[str, str], tuple[str, int]] = {}
    for _, entity_id, action, key in TARGETS:
        for level in range(1, 101):
            command = Command(action, (entity_id,), {key: level})
            for message in router.messages([command]):
                out[(message.topic, message.payload)] = (entity_id, level)
    return out


def request_text(n: int) -> tuple[str, tuple[str, int]]:
    words, entity_id, _, _ = TARGETS[n % len(TARGETS)]
    level = 1 + (n // len(TARGETS)) % 100
    return f"set the {words} to {level}%", (entity_id, level)


def start_hub(workdir: Path, config: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HUB_DATA_DIR": str(workdir / "data"), "PYTHONUNBUFFERED": "1"}
    env.pop("NOTIFY_SOCKET", None)
    log = (workdir / "hub.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "hub", "run", "--config", str(config), "--tier", "template"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    port = free_port()
    broker = Broker(workdir, port)
    broker.start()
    config = hub_config(workdir, port)
    hub = start_hub(workdir, config)
    recorder = publisher = None
    try:
        recorder = Recorder(port)
        status = threading.Event()
        watcher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-watcher")
        watcher.on_connect = lambda c, *a: c.subscribe("hub/status", 1)
        watcher.on_message = lambda c, u, m: m.payload == b"online" and status.set()
        watcher.connect("127.0.0.1", port)
        watcher.loop_start()
        wait_for(status.is_set, 60, "hub run to come online")
        watcher.disconnect()
        watcher.loop_stop()
        publisher = Publisher(port)
        time.sleep(1.5)  # the sessions reach the broker's next save (every second)

        levels: dict[str, tuple[str, int]] = {}
        phases = [("steady", args.steady, None)]
        for down in args.down:
            phases += [("down", down, "kill"), ("steady", args.steady, "start")]
        interval = 1.0 / args.rate
        n = 0
        start = time.perf_counter()
        next_at = start
        for _, seconds, change in phases:
            if change == "kill":
                broker.kill()
            elif change == "start":
                broker.start()
            until = time.perf_counter() + seconds
            while time.perf_counter() < until:
                now = time.perf_counter()
                if now < next_at:
                    time.sleep(min(next_at - now, 0.01))
                    continue
                text, level = request_text(n)
                request_id = f"f{n}"
                levels[request_id] = level
                publisher.send(request_id, text)
                n += 1
                next_at += interval
        streamed = time.perf_counter() - start

        def settled() -> bool:
            with publisher.lock, recorder.record.lock:
                answered = recorder.record.answers
                waiting = [i for i in publisher.sent if i in publisher.acked or i in answered]
                return all(i in answered for i in waiting)

        deadline = time.monotonic() + args.settle
        while not settled() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # late duplicates, if any, would come now
        return report(args, publisher, recorder, levels, expected_messages(config), streamed)
    finally:
        for client in (publisher, recorder):
            if client is not None:
                client.close()
        hub.send_signal(signal.SIGTERM)
        try:
            hub.wait(30)
        except subprocess.TimeoutExpired:
            hub.kill()
        broker.kill()


def report(
    args: argparse.Namespace,
    publisher: Publisher,
    recorder: Recorder,
    levels: dict[str, tuple[str, int]],
    expected: dict[tuple[str, str], tuple[str, int]],
    streamed: float,
) -> dict[str, Any]:
    with publisher.lock, recorder.record.lock:
        sent = dict(publisher.sent)
        acked = set(publisher.acked)
        answers = {i: list(a) for i, a in recorder.record.answers.items()}
        actions = list(recorder.record.actions)
    published = [i for i in sent if i in acked or i in answers]
    unconfirmed = [i for i in sent if i not in acked and i not in answers]
    outcome: Counter[str] = Counter()
    acted_levels: Counter[tuple[str, int]] = Counter()
    acted_at: dict[tuple[str, int], list[float]] = defaultdict(list)
    duplicated_answers = 0
    for request_id in published:
        got = answers.get(request_id, [])
        if not got:
            outcome["lost"] += 1
            continue
        if len(got) > 1:
            duplicated_answers += 1
        body = got[0]
        error = body.get("error")
        if error is None and body.get("commands"):
            outcome["acted"] += 1
            acted_levels[levels[request_id]] += 1
            acted_at[levels[request_id]].append(sent[request_id])
        elif error is not None and error["code"] == "expired":
            outcome["expired"] += 1
        else:
            outcome[f"error {error['code'] if error else 'no action'}"] += 1
    seen: Counter[tuple[str, int]] = Counter()
    delays: list[float] = []
    unknown_actions = 0
    for at, topic, payload in sorted(actions):
        level = expected.get((topic, payload))
        if level is None:
            unknown_actions += 1
            continue
        seen[level] += 1
        times = sorted(acted_at.get(level, []))
        if seen[level] <= len(times):
            delays.append(at - times[seen[level] - 1])
    extra_actions = sum(max(0, seen[k] - acted_levels[k]) for k in seen) + unknown_actions
    missing_actions = sum(max(0, acted_levels[k] - seen[k]) for k in acted_levels)
    return {
        "rate_per_second": args.rate,
        "broker_down_seconds": list(args.down),
        "streamed_seconds": round(streamed, 1),
        "attempted": len(sent) + publisher.not_sent,
        "not_sent (broker away)": publisher.not_sent,
        "unconfirmed (no PUBACK, no answer)": len(unconfirmed),
        "published": len(published),
        "answered acted": outcome["acted"],
        "answered expired": outcome["expired"],
        "answered other error": sum(v for k, v in outcome.items() if k.startswith("error")),
        "errors": {k: v for k, v in outcome.items() if k.startswith("error")},
        "lost (no answer)": outcome["lost"],
        "duplicated": duplicated_answers + extra_actions,
        "acted without a device message": missing_actions,
        "max publish-to-action s": round(max(delays), 3) if delays else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=30.0, help="requests per second")
    parser.add_argument(
        "--down", type=float, nargs="+", default=[3.0, 15.0], help="seconds the broker is away"
    )
    parser.add_argument("--steady", type=float, default=8.0, help="seconds before/after each")
    parser.add_argument("--settle", type=float, default=60.0, help="seconds to wait for answers")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--keep", action="store_true", help="keep the logs (hub.log, mosquitto)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="hub-faults-"))
    try:
        result = run(args, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.keep:
        result["logs"] = str(workdir)
    if args.json:
        print(json.dumps(result))
    else:
        width = max(len(k) for k in result)
        for key, value in result.items():
            print(f"{key:<{width}}  {value}")
    if result["lost (no answer)"] or result["duplicated"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
