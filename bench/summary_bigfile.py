"""A big log file summarized within bounded memory: peak RSS and time by file size.

    .venv/bin/python bench/summary_bigfile.py                 # 5 MB and 50 MB, facts only
    .venv/bin/python bench/summary_bigfile.py --llm           # and the 50 MB one with the model
    .venv/bin/python bench/summary_bigfile.py --sizes 5,50,200 --json

Each file is a deterministic day of mixed log lines (ISO-stamped application lines and syslog
lines of several units, about 3% errors and 6% warnings with varying numbers in them), written
to a temporary folder. Each summary runs as its own process, `hub summarize --source FILE
--no-save --json`, and its peak RSS is that process's own (wait4's ru_maxrss). Bounded memory
shows as a peak that does not grow with the file.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HUB = ROOT / ".venv" / "bin" / "hub"
UNITS = ["hub", "zigbee2mqtt", "mosquitto", "kernel", "systemd", "homeassistant"]
MESSAGES = [
    ("INFO", "request {n} handled in {ms} ms by the template tier"),
    ("INFO", "published {n} commands to zigbee2mqtt/Kitchen/Ceiling/set"),
    ("DEBUG", "state of light.kitchen_ceiling is now on (brightness {n})"),
    ("WARNING", "the broker answered after {ms} ms; retrying"),
    ("ERROR", "device 0x{hex} did not answer within {ms} ms"),
    ("ERROR", "lost the broker after {n} s: connection refused"),
]
WEIGHTS = [60, 20, 11, 6, 2, 1]


def write_log(path: Path, size: int, seed: int = 1) -> int:
    rng = random.Random(seed)
    start = datetime.now(UTC).timestamp() - 86_000
    written = lines = 0
    with path.open("w", encoding="utf-8") as out:
        while written < size:
            ts = start + 86_000 * written / size
            level, text = rng.choices(MESSAGES, WEIGHTS)[0]
            text = text.format(
                n=rng.randrange(10_000), ms=rng.randrange(2000), hex=f"{rng.randrange(1 << 24):06x}"
            )
            if rng.random() < 0.5:
                stamp = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
                line = f"{stamp}Z {level} hub.{rng.choice(['mqtt', 'app', 'store'])}: {text}\n"
            else:
                stamp = datetime.fromtimestamp(ts, UTC).strftime("%b %d %H:%M:%S")
                unit = rng.choice(UNITS)
                line = f"{stamp} pi {unit}[{rng.randrange(100, 999)}]: {level.lower()}: {text}\n"
            out.write(line)
            written += len(line)
            lines += 1
    return lines


def run(config: Path, log: Path, llm: bool) -> dict[str, Any]:
    command = [str(HUB), "summarize", "-c", str(config), "--source", str(log), "--since", "25h"]
    command += ["--no-save", "--json"] + ([] if llm else ["--no-llm"])
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=_env())
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise SystemExit(f"hub summarize failed: {stderr.strip()}")
    summary = json.loads(stdout)
    (facts,) = summary["facts"]["logs"]
    return {
        "file_mb": round(log.stat().st_size / 1e6, 1),
        "llm": llm,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "lines": facts["lines"],
        "errors": sum(n for level, n in facts["by_level"] if level == "error"),
        "prose": summary["prose"],
        "text": summary["text"][:300],
    }


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("HUB_DATA_DIR", tempfile.gettempdir() + "/hub-bench-data")
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5,50", help="file sizes in MB, comma-separated")
    parser.add_argument("--llm", action="store_true", help="also write the prose with the model")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = folder / "config.yaml"
        model = ""
        if args.llm:  # the installed model (the data folder below is a temporary one)
            from hub.modelstore import resolve_model_path

            model = f"model: {{path: {resolve_model_path(None, None)}}}\n"
        config.write_text(f"store: {{path: {folder / 'hub.db'}}}\n{model}")
        sizes = [float(s) for s in args.sizes.split(",")]
        for size in sizes:
            log = folder / f"day-{size:g}mb.log"
            lines = write_log(log, int(size * 1e6))
            print(f"wrote {log.name}: {lines} lines", file=sys.stderr)
            results.append(run(config, log, False))
            print(json.dumps(results[-1]), file=sys.stderr)
        if args.llm:
            results.append(run(config, log, True))
    if args.json:
        print(json.dumps(results))
    else:
        for r in results:
            print(
                f"{r['file_mb']:>7} MB  llm={r['llm']!s:5}  {r['seconds']:>6} s  "
                f"peak RSS {r['peak_rss_mb']} MB  {r['lines']} lines, {r['errors']} errors"
            )
        if args.llm:
            print(f"\nprose ({results[-1]['prose']}): {results[-1]['text']}")


if __name__ == "__main__":
    main()
