"""Benchmark the Wyoming service: what it adds between Home Assistant and the pipeline.

    .venv/bin/python bench/wyoming.py                 # the pipeline answers (no MQTT)
    .venv/bin/python bench/wyoming.py --mqtt          # through the daemon, own Mosquitto
    .venv/bin/python bench/wyoming.py --json          # one JSON object

The example home on the template tier (the language model off) serves Wyoming on a free
loopback port in this process. A client in a process of its own (so it does not share the
service's GIL) does what Home Assistant's conversation agent does for each sentence: connect,
send a ``Transcript``, read the ``Handled``/``NotHandled``, disconnect; ``--requests`` times,
one after another, over the sentences of ``bench/example-requests.txt``.

- "in the service": from the Transcript read to the answer written, minus the pipeline's own
  time (``Reply.ms``), measured inside the service;
- "end to end": what the client sees, connect to answer, minus the pipeline's time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# This file is bench/wyoming.py: without this, "import wyoming" would find it, not the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from wyoming.asr import Transcript  # noqa: E402
from wyoming.client import AsyncTcpClient  # noqa: E402

from bench.harness import receive as harness_receive  # noqa: E402
from hub.app.build import build_pipeline  # noqa: E402
from hub.bench import percentile  # noqa: E402
from hub.config import WyomingConfig, load_config  # noqa: E402
from hub.wyoming.agent import Agent, DaemonAgent, PipelineAgent  # noqa: E402
from hub.wyoming.runner import WyomingThread, make_service  # noqa: E402

REQUESTS = ROOT / "bench" / "example-requests.txt"
WARMUP = 20


def client_process(port: int, texts: list[str], conn: Connection) -> None:
    """The client side: one connection per sentence, as Home Assistant does."""

    async def one(text: str) -> tuple[float, str]:
        started = time.perf_counter()
        async with AsyncTcpClient("127.0.0.1", port) as client:
            await client.write_event(Transcript(text, language="en").event())
            event = await client.read_event()
        if event is None:
            raise RuntimeError(f"no answer to {text!r}")
        return (time.perf_counter() - started) * 1000, event.type

    async def all_of(batch: list[str]) -> list[tuple[float, str]]:
        return [await one(text) for text in batch]

    try:
        asyncio.run(all_of(texts[:WARMUP]))
        conn.send("ready")
        conn.recv()
        conn.send(asyncio.run(all_of(texts[WARMUP:])))
    except Exception as exc:
        conn.send(exc)


def run(args: argparse.Namespace, mqtt_port: int | None) -> dict[str, Any]:
    config = load_config(args.config)
    config = replace(config, llm=replace(config.llm, backend="off"))
    pipeline = build_pipeline(config, "template")
    pipeline.warm()  # as hub wyoming does: the template tier compiles its fast matcher
    daemon = None
    agent: Agent = PipelineAgent(pipeline)
    if mqtt_port is not None:
        from hub.mqtt.daemon import Daemon

        if config.mqtt is None:
            raise SystemExit(f"{args.config} has no mqtt: section")
        settings = replace(
            config.mqtt, port=mqtt_port, client_id=f"hub-bench-{os.getpid()}", discovery=False,
            dedupe_seconds=0,
        )  # fmt: skip
        daemon = Daemon(pipeline, settings)
        daemon.start()
        if not daemon.link.wait_listening(10):
            raise SystemExit("the daemon did not subscribe")
        agent = DaemonAgent(daemon)
    port = free_port()
    wyoming = WyomingConfig(uri=f"tcp://127.0.0.1:{port}", zeroconf=False)
    service = make_service(config, wyoming, agent, [t.name for t in pipeline.tiers])
    thread = WyomingThread(service)
    thread.start()
    lines = [x.strip() for x in REQUESTS.read_text().splitlines() if x.strip()]
    texts = [lines[i % len(lines)] for i in range(WARMUP + args.requests)]
    wait_listening(port)
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=client_process, args=(port, texts, theirs), daemon=True
    )
    child.start()

    def receive() -> Any:
        return harness_receive(ours, 600)

    try:
        receive()  # warmed up
        service.stats.overhead_ms.clear()
        service.stats.pipeline_ms.clear()
        ours.send("go")
        answers = receive()
        inside = list(service.stats.overhead_ms)
        tier = list(service.stats.pipeline_ms)
    finally:
        child.join(10)
        thread.stop()
        if daemon is not None:
            daemon.stop(2)
    e2e = [rtt - ms for (rtt, _), ms in zip(answers, tier, strict=True)]
    kinds = [kind for _, kind in answers]
    return {
        "mode": "daemon (MQTT)" if daemon is not None else "pipeline",
        "requests": len(answers),
        "handled": kinds.count("handled"),
        "not_handled": kinds.count("not-handled"),
        "service_p50_ms": round(statistics.median(inside), 3),
        "service_p95_ms": round(percentile(inside, 0.95), 3),
        "end_to_end_p50_ms": round(statistics.median(e2e), 3),
        "end_to_end_p95_ms": round(percentile(e2e, 0.95), 3),
        "pipeline_p50_ms": round(statistics.median(tier), 3),
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
    }


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, timeout: float = 60.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"the Wyoming service is not listening on {port}") from None
            time.sleep(0.05)


@contextmanager
def broker(wanted: bool) -> Iterator[int | None]:
    if not wanted:
        yield None
        return
    from bench.harness import mosquitto

    with mosquitto() as port:
        yield port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(ROOT / "config.example.yaml"))
    parser.add_argument("--requests", type=int, default=200, help="requests measured")
    parser.add_argument("--mqtt", action="store_true", help="through the daemon (own Mosquitto)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # one line per request would drown the figures
    with broker(args.mqtt) as port:
        result = run(args, port)
    if args.json:
        print(json.dumps(result))
        return
    r = result
    print(
        f"Wyoming overhead, Transcript in -> answer out, minus the pipeline "
        f"({r['requests']} requests through the {r['mode']}; {r['handled']} handled, "
        f"{r['not_handled']} not handled; pipeline p50 {r['pipeline_p50_ms']:.2f} ms)"
    )
    print(
        f"  in the service: p50 {r['service_p50_ms']:.3f} ms  p95 {r['service_p95_ms']:.3f} ms"
        "  (target: p50 <= 5)"
    )
    print(
        f"  end to end:     p50 {r['end_to_end_p50_ms']:.3f} ms  "
        f"p95 {r['end_to_end_p95_ms']:.3f} ms  (connect, send, answer, close)"
    )


if __name__ == "__main__":
    main()
