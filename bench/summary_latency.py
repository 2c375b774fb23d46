"""Request latency while a summary is being written, against the same requests when idle.

    .venv/bin/python bench/summary_latency.py            # the example home, the real model
    .venv/bin/python bench/summary_latency.py --json

The request path is the hub's own pipeline on the LLM tier only (every request reaches the
model: the hardest case), on config.example.yaml and the installed GGUF. The summary is the
day fixture of tests/summaries (about 5,900 events) written by a LlamaWriter on the same GGUF,
in a loop on a background thread, as a scheduled job would. Both use the process's shared gate
(hub.llm.gate.SHARED): requests mark themselves busy, the writer waits between its steps.

Idle and busy passes over the requests alternate (--rounds times each), so that other load on
the machine hits both alike; in an idle pass the bench itself holds the gate, which parks the
writer. Reported: each request's wall time idle and while the summary runs (median, p95, max),
their ratio, how often the writer yielded, and how long a summary took with and without
requests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REQUESTS = [
    "turn on the kitchen light",
    "switch off the reading lamp",
    "dim the living room light to 40 percent",
    "open the garage door",
    "turn off the lights in the bathroom",
    "set the hallway light to 20%",
    "lock the front door",
    "turn the office light on",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "config.example.yaml"))
    parser.add_argument("--rounds", type=int, default=2, help="times each request is asked")
    parser.add_argument("--gap", type=float, default=0.7, help="seconds between requests")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from hub.app.build import build_pipeline
    from hub.config import load_config
    from hub.llm.gate import SHARED
    from hub.llm.writer import LlamaWriter
    from hub.modelstore import resolve_model_path
    from hub.pipeline import make_request
    from hub.summaries.sources import MemoryEvents
    from hub.summaries.summary import Inputs, Summarizer
    from tests.summaries.dayfixture import DAY, DAY_START, NAMES, day_events

    config = load_config(args.config)
    pipeline = build_pipeline(config, "llm")
    pipeline.warm()
    writer = LlamaWriter(resolve_model_path(config.model.path, config.data_dir))
    events = MemoryEvents(day_events())

    def summarize() -> float:
        start = time.perf_counter()
        Summarizer(writer).summarize(
            "daily", Inputs(names=NAMES), events, DAY_START, DAY_START + DAY,
            tz=ZoneInfo("Europe/Berlin"),
        )  # fmt: skip
        return time.perf_counter() - start

    def ask_all() -> list[float]:
        out = []
        for text in REQUESTS:
            start = time.perf_counter()
            reply = pipeline.ask(make_request(pipeline.registry, text))
            out.append((time.perf_counter() - start) * 1000)
            if reply.tier != "llm":
                print(f"note: {text!r} was answered by {reply.tier}", file=sys.stderr)
            time.sleep(args.gap)
        return out

    for text in REQUESTS:  # first calls: grammar and prompt caches
        pipeline.ask(make_request(pipeline.registry, text))
    alone = summarize()

    stop = threading.Event()
    durations: list[float] = []

    def loop() -> None:
        while not stop.is_set():
            durations.append(summarize())

    yields = SHARED.yields
    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    time.sleep(3.0)  # the summary is under way
    idle: list[float] = []
    busy: list[float] = []
    parked = 0
    for _ in range(args.rounds):
        # Idle and busy passes alternate, so that other load on the machine hits both alike.
        # Idle: the bench holds the gate, which parks the writer (after at most one step).
        with SHARED.request():
            time.sleep(0.5)
            parked += 1
            idle += ask_all()
        busy += ask_all()
    stop.set()
    thread.join()
    result: dict[str, Any] = {
        "requests": len(idle),
        "idle_ms": _stats(idle),
        "during_summary_ms": _stats(busy),
        "ratio_median": round(statistics.median(busy) / statistics.median(idle), 2),
        "ratio_p95": round(_p95(busy) / _p95(idle), 2),
        "per_request_ratio_max": round(max(b / i for b, i in zip(busy, idle, strict=True)), 2),
        "writer_yields": SHARED.yields - yields - parked,
        "summary_alone_s": round(alone, 1),
        "summary_with_requests_s": [round(d, 1) for d in durations],
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 1),
        "p95": round(_p95(values), 1),
        "max": round(max(values), 1),
    }


if __name__ == "__main__":
    main()
