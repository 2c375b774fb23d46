"""Benchmark: how soon a state Home Assistant publishes (mqtt_statestream) is what a request hears.

    .venv/bin/python bench/statestream.py                 # own Mosquitto, the example home
    .venv/bin/python bench/statestream.py --nodelay       # own Mosquitto, set_tcp_nodelay true
    .venv/bin/python bench/statestream.py --json          # one JSON object
    .venv/bin/python bench/statestream.py --port 1883     # an already running broker

The daemon runs in this process on the template tier with ``discovery.statestream`` set; a client
process of its own (so that it does not share the daemon's GIL) plays two parts over a real
broker: Home Assistant, which publishes ``<base>/light/bedroom_lamp/state`` (retained, QoS 1,
on and off in turn) followed by a few attributes, as ``publish_attributes: true`` does, and a
requester on another connection, which publishes "is the bedside lamp on?" at once, without
waiting for the broker to acknowledge the state. The figure is the time from publishing the state
to receiving an answer that names the new state. The two connections are not ordered with respect
to each other, so a request may overtake the state: then it is asked again at once, and
"asked again" counts those. The target (issue 15): within 100 ms.

Rounds are ``--gap`` seconds apart (0.2). Back to back (``--gap 0``), Mosquitto's default
(``set_tcp_nodelay false``) adds about 40 ms to each round, in the broker: a small packet to the
hub waits for the TCP acknowledgement of the one before it (Nagle's algorithm), which the hub's
kernel delays by up to 40 ms; a request that overtook its state pays it twice. With a gap that
acknowledgement has long gone, as it has at home, where nobody asks 200 times in a row;
``--nodelay`` starts the broker with ``set_tcp_nodelay true``, which removes the wait in any case
(docs/homeassistant.md advises it). The hub itself takes 1 to 2 ms.
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

from bench.daemon import pct  # noqa: E402
from bench.harness import mosquitto, receive  # noqa: E402
from hub.app.build import build_pipeline  # noqa: E402
from hub.config import load_config  # noqa: E402
from hub.config.discovery import DiscoveryConfig  # noqa: E402
from hub.mqtt.daemon import Daemon  # noqa: E402

BASE = "homeassistant_statestream"
ENTITY = f"{BASE}/light/bedroom_lamp"  # "Bedside Lamp" in the example home, bound to HA
QUESTION = "is the bedside lamp on?"
ATTRIBUTES = ("brightness", "color_mode", "hs_color", "rgb_color", "xy_color", "friendly_name")


class Probe:
    """Home Assistant's connection and the requester's, in one process."""

    def __init__(self, port: int) -> None:
        self.cond = threading.Condition()
        self.answers: dict[str, tuple[float, str]] = {}
        ready = threading.Event()
        self.ha = _client(port, f"bench-ha-{os.getpid()}")
        self.requester = _client(port, f"bench-ask-{os.getpid()}")
        self.requester.on_connect = lambda c, *a: c.subscribe("bench/answers", 0)
        self.requester.on_subscribe = lambda *a: ready.set()
        self.requester.on_message = self._on_message
        for client in (self.ha, self.requester):
            client.connect("127.0.0.1", port)
            client.loop_start()
        if not ready.wait(10):
            raise RuntimeError("the benchmark client could not subscribe")

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        now = time.perf_counter()
        body = json.loads(msg.payload)
        with self.cond:
            self.answers[body["id"]] = (now, str(body.get("reply")))
            self.cond.notify_all()

    def set_state(self, state: str, attributes: int) -> float:
        """Publish as mqtt_statestream does: the state, then each attribute (JSON)."""
        sent = time.perf_counter()
        self.ha.publish(f"{ENTITY}/state", state, qos=1, retain=True)
        for name in ATTRIBUTES[:attributes]:
            value = 180 if state == "on" else None
            self.ha.publish(f"{ENTITY}/{name}", json.dumps(value), qos=1, retain=True)
        return sent

    def ask(self, request_id: str) -> tuple[float, str]:
        payload = {"text": QUESTION, "id": request_id, "reply_to": "bench/answers"}
        self.requester.publish("hub/request", json.dumps(payload), qos=0)
        with self.cond:
            if not self.cond.wait_for(lambda: request_id in self.answers, 30):
                raise RuntimeError("timed out waiting for the hub")
            return self.answers.pop(request_id)

    def close(self) -> None:
        for client in (self.ha, self.requester):
            client.disconnect()
            client.loop_stop()


def _client(port: int, client_id: str) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
    client.max_inflight_messages_set(1000)
    return client


def measure(
    probe: Probe, rounds: int, attributes: int, tag: str, gap: float = 0.0
) -> dict[str, list[float]]:
    """Per round: ms from publishing the new state to the first answer that names it, and how
    many requests it took."""
    visible: list[float] = []
    asks: list[float] = []
    for i in range(rounds):
        time.sleep(gap)
        state = "on" if i % 2 == 0 else "off"
        sent = probe.set_state(state, attributes)
        for n in range(1, 1000):
            at, reply = probe.ask(f"{tag}{i}.{n}")
            if reply == f"Bedside Lamp is {state}.":
                break
            if reply != f"Bedside Lamp is {'off' if state == 'on' else 'on'}.":
                raise RuntimeError(f"unexpected answer: {reply!r}")
        else:
            raise RuntimeError(f"the state {state!r} never showed")
        visible.append((at - sent) * 1000)
        asks.append(n)
    return {"visible_ms": visible, "asks": asks}


def probe_process(port: int, args: argparse.Namespace, conn: Connection) -> None:
    probe = Probe(port)
    try:
        measure(probe, 20, args.attributes, "w")  # warm up: first matches, first publishes
        conn.send(measure(probe, args.rounds, args.attributes, "r", args.gap))
    except Exception as exc:
        conn.send(exc)
    finally:
        probe.close()


def run(args: argparse.Namespace, port: int) -> dict[str, Any]:
    config = load_config(args.config)
    if config.mqtt is None:
        raise SystemExit(f"{args.config} has no mqtt: section")
    pipeline = build_pipeline(config, "template")
    pipeline.warm(llm=False)
    client_id = f"hub-bench-statestream-{os.getpid()}"
    settings = replace(config.mqtt, port=port, client_id=client_id, discovery=False)
    discovery = DiscoveryConfig(zigbee2mqtt=False, homeassistant=False, statestream=BASE)
    daemon = Daemon(pipeline, settings, discovery=discovery)
    daemon.start()
    if not daemon.link.wait_listening(10):
        raise SystemExit("the daemon could not subscribe")
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=probe_process, args=(port, args, theirs), daemon=True
    )
    child.start()
    try:
        result = receive(ours, 300)
    finally:
        child.join(10)
        daemon.stop(2)
    visible, asks = result["visible_ms"], result["asks"]
    return {
        "rounds": len(visible),
        "attributes_per_state": args.attributes,
        "gap_seconds": args.gap,
        "visible_p50_ms": round(statistics.median(visible), 2),
        "visible_p95_ms": round(pct(visible, 95), 2),
        "visible_max_ms": round(max(visible), 2),
        "asked_again": sum(1 for n in asks if n > 1),
        "within_100_ms": sum(1 for ms in visible if ms <= 100),
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(ROOT / "config.example.yaml"))
    parser.add_argument("--port", type=int, help="use a running broker on 127.0.0.1:PORT")
    parser.add_argument("--rounds", type=int, default=200, help="state changes measured")
    parser.add_argument(
        "--attributes", type=int, default=len(ATTRIBUTES), help="attribute messages per state"
    )
    parser.add_argument(
        "--gap", type=float, default=0.2, help="seconds between state changes (default 0.2)"
    )
    parser.add_argument(
        "--nodelay", action="store_true", help="own broker: set_tcp_nodelay true (no Nagle)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with mosquitto(nodelay=args.nodelay) if args.port is None else _given(args.port) as port:
        result = run(args, port)
    result["broker"] = (
        f"127.0.0.1:{args.port}"
        if args.port is not None
        else f"own Mosquitto, set_tcp_nodelay {'true' if args.nodelay else 'false'}"
    )
    if args.json:
        print(json.dumps(result))
        return
    r = result
    print(
        f"statestream: state published -> a request answered with it "
        f"({r['rounds']} state changes, {r['attributes_per_state']} attributes each; "
        f"{r['broker']})"
    )
    print(
        f"  p50 {r['visible_p50_ms']:.2f} ms  p95 {r['visible_p95_ms']:.2f} ms  "
        f"max {r['visible_max_ms']:.2f} ms  (target: within 100 ms)"
    )
    print(
        f"  {r['within_100_ms']}/{r['rounds']} within 100 ms; "
        f"{r['asked_again']} request(s) overtook their state and were asked again"
    )


@contextmanager
def _given(port: int) -> Iterator[int]:
    yield port


if __name__ == "__main__":
    main()
