"""Repeated questions and requests: from the cache versus from the model, side by side.

For each FAQ question of the example config (and a few requests only the model resolves), the
first ask goes to the model (FAQ phrasing by the writer, or the LLM tier's decision); the cache
is cleared and it is asked again, ``--rounds`` times, for the model's time. Then the same
question is asked ``--repeat`` times with the cache in place. Prints p50/p95 of both.

    python bench/memory.py --config config.example.yaml
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

from hub.app.build import build_pipeline
from hub.config import StoreConfig, load_config
from hub.pipeline import make_request
from hub.store.memory import Memory

QUESTIONS = ("what's the wifi password?", "When are the bins collected?", "guest wifi name")
REQUESTS = ("switch the telly off", "the garage should be shut")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, default=Path("config.example.yaml"))
    parser.add_argument("--rounds", type=int, default=3, help="model answers per question")
    parser.add_argument("--repeat", type=int, default=200, help="cached answers per question")
    args = parser.parse_args()
    config = load_config(args.config)
    with tempfile.TemporaryDirectory() as tmp:
        config = dataclasses.replace(config, store=StoreConfig(path=Path(tmp) / "hub.db"))
        memory = Memory.open(config, config.registry())
        pipeline = build_pipeline(config, memory=memory)
        pipeline.warm()
        print(f"{'request':40} {'tier':>6} {'model p50':>10} {'cache p50':>10} {'cache p95':>10}")
        for text in (*QUESTIONS, *REQUESTS):
            model_ms: list[float] = []
            tier = ""
            for _ in range(args.rounds):
                memory.answers.clear()
                if memory.decisions is not None:
                    memory.decisions.clear()
                reply = pipeline.ask(make_request(pipeline.registry, text))
                model_ms.append(reply.ms)
                tier = reply.tier
            cached: list[float] = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                reply = pipeline.ask(make_request(pipeline.registry, text))
                cached.append((time.perf_counter() - started) * 1000)
                if reply.tier != "cache":  # the model asked or refused: nothing to cache
                    break
            if reply.tier != "cache":
                print(f"{text[:40]:40} {tier:>6} not cached ({reply.outcome})")
                continue
            print(
                f"{text[:40]:40} {tier:>6} {statistics.median(model_ms):>8.1f}ms "
                f"{statistics.median(cached):>8.2f}ms {_pct(cached, 0.95):>8.2f}ms"
            )
        memory.close()


if __name__ == "__main__":
    main()
