"""How well the LLM tier's own certainty separates its right answers from its wrong ones.

For every case of the given case files, the LLM tier alone answers; the script prints, for
thresholds on coverage (the share of the model's belief on allowed tokens) and confidence, how
many right answers would be kept and how many wrong commands avoided. Use it to choose
``llm.min_coverage`` / ``llm.min_confidence``.

    python bench/llm_confidence.py ../shared/bench/intents-en/cases.yaml --every 4
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from hub.app.build import build_tiers
from hub.bench import atoms_equal, command_atoms, load_case_file
from hub.config import load_config
from hub.pipeline import make_request
from hub.tiers.llm import LLMTier
from hub.validator import validate_all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("case_files", nargs="+", type=Path)
    parser.add_argument("--every", type=int, default=1)
    args = parser.parse_args()
    rows: list[tuple[float, float, str]] = []  # coverage, confidence, verdict
    for path in args.case_files:
        case_file = load_case_file(path)
        config = load_config(case_file.config)
        (tier,) = [t for t in build_tiers(config, "llm") if isinstance(t, LLMTier)]
        registry = config.registry()
        tier.warm(registry)
        for case in case_file.cases[:: args.every]:
            request = make_request(registry, case.text, area=case.area, states=case.state)
            view = registry.with_states(request.states)
            started = time.perf_counter()
            result = tier.handle(request, view)
            ms = (time.perf_counter() - started) * 1000
            assert result is not None
            commands, _ = validate_all(result.commands, view)
            atoms = command_atoms(c.to_dict() for c in commands)
            ok = any(atoms_equal(atoms, alt) for alt in case.alternatives)
            verdict = "exact" if ok else ("wrong" if atoms else "missed")
            cover = float(re.search(r"cover=([0-9.]+)", result.detail).group(1))  # type: ignore[union-attr]
            conf = float(re.search(r"conf=([0-9.]+)", result.detail).group(1))  # type: ignore[union-attr]
            rows.append((cover, conf, verdict))
            print(
                f"{verdict:6} cover={cover:.3f} conf={conf:.2f} {ms:6.0f} ms  "
                f"{case.text!r} -> {result.detail}"
            )
    print()
    print(f"{'threshold':>22} {'kept right':>10} {'kept wrong':>10} {'asked':>6}")
    for name, index in (("coverage", 0), ("confidence", 1)):
        for threshold in (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5):
            kept = [r for r in rows if r[index] >= threshold or r[2] == "missed"]
            right = sum(1 for r in kept if r[2] == "exact")
            wrong = sum(1 for r in kept if r[2] == "wrong")
            print(
                f"{name + ' >= ' + str(threshold):>22} {right:>10} {wrong:>10} "
                f"{len(rows) - len(kept):>6}"
            )


if __name__ == "__main__":
    main()
