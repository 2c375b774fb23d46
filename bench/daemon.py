"""Benchmark the daemon: what it adds to a request, and how many it serves per second.

    .venv/bin/python bench/daemon.py                  # own Mosquitto on a free port, example home
    .venv/bin/python bench/daemon.py --json           # one JSON object
    .venv/bin/python bench/daemon.py --port 1883      # an already running broker

It starts a Mosquitto of its own (unless --port), runs the daemon in this process on the template
tier, and talks to it with a real paho client over loopback:

1. Overhead: requests one at a time. "hub" is measured inside the daemon, from the moment paho's
   callback sees the request to the moment its actions are handed to the broker connection,
   minus the pipeline's own time (the tier). "end to end" is what a client sees, from publishing
   the request to receiving the action on the device topic, minus the pipeline's time: it adds
   the two broker hops.
2. Throughput: a window of requests kept in flight (below the queue size, so none is refused)
   for a fixed time; requests answered per second, every answer checked.

With ``--model`` the daemon runs the whole hub with the embedded model, and a request only the
model answers ("make the reading lamp look like a sunset") is kept in flight the whole time:
the template requests are then measured end to end as a client sees them (tier included),
and should not wait behind the model. ``--bridge-mb 15`` adds discovery and a 15 MB Zigbee2MQTT
``bridge/devices`` payload before every 20th template request (the broker drops it before it
reaches hub: hub asks for an MQTT 5 Maximum Packet Size below ``discovery.max_payload``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import mosquitto  # noqa: E402
from bench.harness import receive as harness_receive  # noqa: E402
from hub.app.build import build_pipeline  # noqa: E402
from hub.config import load_config  # noqa: E402
from hub.config.discovery import DiscoveryConfig  # noqa: E402
from hub.mqtt.daemon import Daemon  # noqa: E402

# Requests the template tier answers with one action each, across every binding type.
REQUESTS = (
    ("turn on the kitchen light", "zigbee2mqtt/Kitchen/Ceiling/set"),
    ("lock the front door", "zigbee2mqtt/Front Door Lock/set"),
    ("turn on the coffee machine", "cmnd/coffee/POWER"),
    ("dim the big light to 30%", "cmnd/living_room_dimmer/Dimmer"),
    ("turn off the sprinkler", "garden/garden_sprinkler/command"),
    ("turn on the hallway light", "hub/action/light"),
    ("set the living room blinds to 40%", "zigbee2mqtt/Living Room Blinds/set"),
    ("close the garage door", "hub/action/cover"),
)


class Probe:
    """The benchmark's client: publishes requests, timestamps answers and device messages."""

    def __init__(self, port: int) -> None:
        self.cond = threading.Condition()
        self.answers: dict[str, tuple[float, dict[str, Any]]] = {}
        self.actions: list[tuple[float, str]] = []
        ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{os.getpid()}")
        topics = ["bench/answers", "zigbee2mqtt/#", "cmnd/#", "garden/#", "hub/action/#"]
        self.client.on_connect = lambda c, *a: c.subscribe([(t, 0) for t in topics])
        self.client.on_subscribe = lambda *a: ready.set()
        self.client.on_message = self._on_message
        self.client.max_inflight_messages_set(1000)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not ready.wait(10):
            raise RuntimeError("the benchmark client could not subscribe")

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        now = time.perf_counter()
        with self.cond:
            if msg.topic == "bench/answers":
                body = json.loads(msg.payload)
                self.answers[body["id"]] = (now, body)
            else:
                self.actions.append((now, msg.topic))
            self.cond.notify_all()

    def send(self, request_id: str, text: str) -> float:
        payload = json.dumps({"text": text, "id": request_id, "reply_to": "bench/answers"})
        sent = time.perf_counter()
        self.client.publish("hub/request", payload, qos=0)
        return sent

    def wait(self, condition: Any, timeout: float = 30.0) -> None:
        with self.cond:
            if not self.cond.wait_for(condition, timeout):
                raise RuntimeError("timed out waiting for the hub")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def end_to_end(probe: Probe, n: int) -> list[float]:
    """Requests one at a time: ms from publishing to the device message, minus the tier."""
    out: list[float] = []
    for i in range(n):
        text, topic = REQUESTS[i % len(REQUESTS)]
        with probe.cond:
            probe.actions.clear()
        sent = probe.send(f"o{i}", text)
        probe.wait(lambda i=i: f"o{i}" in probe.answers and probe.actions)  # type: ignore[misc]
        body = probe.answers.pop(f"o{i}")[1]
        at, where = probe.actions[0]
        if where != topic or "error" in body:
            raise RuntimeError(f"unexpected outcome for {text!r}: {where} {body}")
        out.append((at - sent) * 1000 - body["ms"])
    return out


MODEL_REQUEST = "make the reading lamp look like a sunset"  # no template says this


BRIDGE_TOPIC = "zigbee2mqtt/bridge/devices"
BRIDGE_EVERY = 20  # with --bridge-mb: a payload that large before every 20th template request


def big_bridge_payload(megabytes: float) -> bytes:
    """A Zigbee2MQTT ``bridge/devices`` list of ``megabytes``: real devices' shape, repeated."""
    device = {
        "friendly_name": "Flood {i}",
        "ieee_address": "0x00158d0001{i:06x}",
        "type": "EndDevice",
        "definition": {"model": "WXKG11LM", "vendor": "Aqara", "exposes": [{"type": "binary"}]},
    }
    size = int(megabytes * 1024 * 1024)
    one = len(json.dumps(device)) + 2
    items = [
        {**device, "friendly_name": f"Flood {i}", "ieee_address": f"0x00158d0001{i:06x}"}
        for i in range(max(1, size // one))
    ]
    return json.dumps(items).encode()


def beside_model(probe: Probe, n: int, bridge_mb: float = 0.0) -> dict[str, Any]:
    """Template requests one at a time while a model request is always in flight: ms from
    publishing to the device message, tier included. With ``bridge_mb``, a Zigbee2MQTT bridge
    payload that large arrives before every ``BRIDGE_EVERY``-th request."""
    out: list[float] = []
    model_ms: list[float] = []
    pending, sent_at, k = "", 0.0, 0
    big = big_bridge_payload(bridge_mb) if bridge_mb else b""
    for i in range(n):
        if big and i % BRIDGE_EVERY == 0:
            probe.client.publish(BRIDGE_TOPIC, big, qos=0)
        with probe.cond:
            if not pending or pending in probe.answers:
                if pending:
                    model_ms.append((probe.answers.pop(pending)[0] - sent_at) * 1000)
                pending, k = f"m{k}", k + 1
                sent_at = probe.send(pending, MODEL_REQUEST)
            probe.actions.clear()
        text, topic = REQUESTS[i % len(REQUESTS)]
        time.sleep(0.05)  # the model request is on its way (it was sent first)
        with probe.cond:
            probe.actions.clear()
        sent = probe.send(f"b{i}", text)
        probe.wait(lambda i=i: f"b{i}" in probe.answers)  # type: ignore[misc]
        probe.wait(lambda topic=topic: any(t == topic for _, t in probe.actions))  # type: ignore[misc]
        at = next(a for a, t in probe.actions if t == topic)
        body = probe.answers.pop(f"b{i}")[1]
        if "error" in body:
            raise RuntimeError(f"unexpected outcome for {text!r}: {body}")
        out.append((at - sent) * 1000)
    probe.wait(lambda: pending in probe.answers, 120)
    model_ms.append((probe.answers.pop(pending)[0] - sent_at) * 1000)
    return {"template_ms": out, "model_ms": model_ms, "model_requests": k}


def throughput(probe: Probe, seconds: float, window: int) -> dict[str, Any]:
    with probe.cond:
        probe.answers.clear()
    sent = answered = 0
    tier_ms: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or answered < sent:
        while sent - answered < window and time.perf_counter() - start < seconds:
            probe.send(f"t{sent}", REQUESTS[sent % len(REQUESTS)][0])
            sent += 1
        probe.wait(lambda: bool(probe.answers), 30)
        with probe.cond:
            answers = list(probe.answers.values())
            probe.answers.clear()
        for _, body in answers:
            if "error" in body or not body["commands"]:
                raise RuntimeError(f"request {body.get('id')} failed: {body}")
            tier_ms.append(body["ms"])
        answered += len(answers)
    elapsed = time.perf_counter() - start
    return {
        "requests": answered,
        "seconds": round(elapsed, 2),
        "per_second": round(answered / elapsed, 1),
        "tier_p50_ms": round(statistics.median(tier_ms), 3),
    }


def probe_process(port: int, args: argparse.Namespace, conn: Connection) -> None:
    """The client side, in a process of its own so that it does not share the daemon's GIL."""
    probe = Probe(port)
    try:
        for i in range(20):  # warm up: first matches, first publishes
            probe.send(f"w{i}", REQUESTS[i % len(REQUESTS)][0])
        probe.wait(lambda: len(probe.answers) == 20)
        probe.answers.clear()
        conn.send("ready")
        conn.recv()
        if args.model:
            conn.send(beside_model(probe, args.requests, args.bridge_mb))
            return
        conn.send(end_to_end(probe, args.requests))
        conn.recv()
        conn.send(throughput(probe, args.seconds, args.window))
    except Exception as exc:
        conn.send(exc)
    finally:
        probe.close()


def run(args: argparse.Namespace, port: int) -> dict[str, Any]:
    config = load_config(args.config)
    if config.mqtt is None:
        raise SystemExit(f"{args.config} has no mqtt: section")
    pipeline = build_pipeline(config, "auto" if args.model else "template", answers=False)
    pipeline.warm()  # as `hub run` does: the matcher, and with --model the model's prompt
    settings = replace(
        config.mqtt, port=port, client_id=f"hub-bench-{os.getpid()}", discovery=False,
        queue_size=max(config.mqtt.queue_size, args.window * 2), dedupe_seconds=0,
    )  # fmt: skip
    # With --bridge-mb the daemon follows Zigbee2MQTT, as in a home that discovers its devices;
    # no device here echoes its state, so each answer says "unconfirmed" soon after its action
    discovery = DiscoveryConfig(verify_timeout=0.05) if args.bridge_mb else None
    daemon = Daemon(pipeline, settings, discovery=discovery)
    daemon.start()
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=probe_process, args=(port, args, theirs), daemon=True
    )
    child.start()

    def receive() -> Any:
        return harness_receive(ours, args.seconds + 120)

    try:
        receive()  # warmed up
        daemon.stats.overhead_ms.clear()
        ours.send("go")
        if args.model:
            beside = receive()
            return {
                "beside_model": {
                    "template_requests": len(beside["template_ms"]),
                    "template_p50_ms": round(statistics.median(beside["template_ms"]), 2),
                    "template_p95_ms": round(pct(beside["template_ms"], 95), 2),
                    "model_requests": beside["model_requests"],
                    "model_p50_ms": round(statistics.median(beside["model_ms"]), 1),
                    "bridge_mb": args.bridge_mb,
                    "bridge_payloads": -(-len(beside["template_ms"]) // BRIDGE_EVERY)
                    if args.bridge_mb
                    else 0,
                },
                "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
            }
        e2e = receive()
        inside = list(daemon.stats.overhead_ms)
        ours.send("go")
        rate = receive()
    finally:
        child.join(10)
        daemon.stop(2)
    return {
        "overhead": {
            "requests": len(e2e),
            "hub_p50_ms": round(statistics.median(inside), 3),
            "hub_p95_ms": round(pct(inside, 95), 3),
            "end_to_end_p50_ms": round(statistics.median(e2e), 3),
            "end_to_end_p95_ms": round(pct(e2e, 95), 3),
        },
        "throughput": rate,
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(ROOT / "config.example.yaml"))
    parser.add_argument("--port", type=int, help="use a running broker on 127.0.0.1:PORT")
    parser.add_argument("--requests", type=int, default=500, help="overhead: requests")
    parser.add_argument("--seconds", type=float, default=10.0, help="throughput: duration")
    parser.add_argument("--window", type=int, default=16, help="throughput: requests in flight")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--model", action="store_true", help="template requests beside a model request in flight"
    )
    parser.add_argument(
        "--nodelay", action="store_true", help="the broker with set_tcp_nodelay (no ACK waits)"
    )
    parser.add_argument(
        "--bridge-mb",
        type=float,
        default=0.0,
        help=f"with --model: a {BRIDGE_TOPIC} payload this many MB large, every {BRIDGE_EVERY}",
    )
    args = parser.parse_args()
    with mosquitto(nodelay=args.nodelay) if args.port is None else _given(args.port) as port:
        result = run(args, port)
    if args.json:
        print(json.dumps(result))
        return
    if args.model:
        b = result["beside_model"]
        print(f"{b['template_requests']} template requests, a model request always in flight:")
        print(f"  end to end:  p50 {b['template_p50_ms']} ms  p95 {b['template_p95_ms']} ms")
        print(f"  (target: p95 <= 20); the model answered {b['model_requests']} requests,")
        print(f"  p50 {b['model_p50_ms']} ms each")
        if b["bridge_payloads"]:
            print(f"  while {b['bridge_payloads']} bridge payloads of {b['bridge_mb']} MB arrived")
        return
    o, t = result["overhead"], result["throughput"]
    hub, e2e = (o["hub_p50_ms"], o["hub_p95_ms"]), (o["end_to_end_p50_ms"], o["end_to_end_p95_ms"])
    print(
        f"overhead: request received -> action published, minus the tier ({o['requests']} requests)"
    )
    print(f"  in the hub:  p50 {hub[0]:.3f} ms  p95 {hub[1]:.3f} ms  (target: p50 <= 5)")
    print(f"  end to end:  p50 {e2e[0]:.3f} ms  p95 {e2e[1]:.3f} ms  (with two broker hops)")
    print(f"throughput: template tier, {args.window} in flight for {t['seconds']} s")
    rate, n, tier = t["per_second"], t["requests"], t["tier_p50_ms"]
    print(f"  {rate:.1f} requests/s  ({n} answered, tier p50 {tier:.2f} ms; target >= 200)")


@contextmanager
def _given(port: int) -> Iterator[int]:
    yield port


if __name__ == "__main__":
    main()
