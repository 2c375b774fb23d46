"""``hub bench``: run benchmark case files (shared/bench/FORMAT.md) and report accuracy."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from hub.app.build import build_pipeline
from hub.bench import Outcome, Stats, by_tag, command_atoms, load_case_file, stats
from hub.cli.options import tier_option
from hub.config import Config, load_config
from hub.config.llm import MODEL_NAMES, MODEL_WEIGHTS
from hub.pipeline import Pipeline, make_request


@click.command("bench")
@click.argument("case_files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@tier_option
@click.option(
    "--failures", type=int, default=0, metavar="N", help="Show the first N failing cases."
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option(
    "--limit", type=int, default=0, metavar="N", help="Run only the first N cases of each file."
)
@click.option("--every", type=int, default=1, metavar="K", help="Run every K-th case (a sample).")
@click.option(
    "--model",
    "model_name",
    metavar="NAME",
    type=click.Choice(list(MODEL_NAMES), case_sensitive=False),
    help="Run the LLM tier on this installed model instead of the case files' own.",
)
@click.option(
    "--weights",
    type=click.Choice(MODEL_WEIGHTS),
    help="Load the model in these weights (model.weights; a copy `hub model install "
    "--weights` made) instead of the case files' own.",
)
def bench(
    case_files: tuple[str, ...],
    tier: str,
    failures: int,
    as_json: bool,
    limit: int,
    every: int,
    model_name: str | None = None,
    weights: str | None = None,
) -> None:
    """Run CASE_FILES and print, per file and per tag: n, exact accuracy, wrong-command rate,
    missed rate, the right answers doubted (missed, though "Did you mean ...?" offered exactly
    the expected commands), p50/p95 latency and the tier mix. Exits 0 even when cases fail."""
    results: dict[str, Any] = {"files": []}
    current: tuple[Path, Pipeline] | None = None  # one home's pipeline (and model) at a time
    for file_number, name in enumerate(case_files):
        case_file = load_case_file(Path(name))
        if current is None or current[0] != case_file.config:
            current = None  # the last home's model is freed before the next one loads
            # Commands are scored: no cache (each case is asked once, fresh), and no general
            # answers to the questions (they add seconds and never a command).
            config = _benched(load_config(case_file.config), model_name, weights)
            current = (case_file.config, build_pipeline(config, tier, answers=False))
            current[1].warm()
        pipeline = current[1]
        cases = case_file.cases[:: max(every, 1)]
        cases = cases[:limit] if limit else cases
        outcomes = []
        for number, case in enumerate(cases):
            request = make_request(
                pipeline.registry, case.text, area=case.area, states=case.state, source="bench"
            )
            # a conversation of its own: a question left open by one case (or by another file's
            # case on the same home) must not take the next case for its answer
            conversation = f"bench-{file_number}-{number}"
            reply = pipeline.ask(replace(request, conversation_id=conversation))
            commands, tier_name = reply.commands, reply.tier
            if reply.secure and reply.pending and reply.outcome == "asked":
                # a security action waits for its "yes": scored on what the "yes" would do
                commands, tier_name = reply.pending, f"{reply.tier}+confirm"
            atoms = command_atoms(c.to_dict() for c in commands)
            suggested = command_atoms(c.to_dict() for c in reply.pending) if not atoms else ()
            outcomes.append(Outcome(case, atoms, tier_name, reply.ms, reply.reply, suggested))
        total = stats(outcomes)
        tags = by_tag(outcomes)
        failed = [o for o in outcomes if o.verdict != "exact"]
        results["files"].append(
            {
                "file": name,
                "total": total.to_dict(),
                "tags": {t: s.to_dict() for t, s in tags.items()},
                "failures": [_failure(o) for o in failed[:failures]],
            }
        )
        if not as_json:
            _print_file(name, total, tags, failed[:failures])
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=1))


def _benched(config: Config, model_name: str | None = None, weights: str | None = None) -> Config:
    """The case file's home, with the bench allowed to ask for security actions (each case is
    a conversation of its own, so a security action asks to be confirmed; see bench()), and
    on the model called ``model_name`` and in ``weights`` when they are given."""
    if model_name is not None:
        config = replace(config, model=replace(config.model, name=model_name, path=None))
    if weights is not None:
        config = replace(config, model=replace(config.model, weights=weights))
    sources = (*config.security.sources, "bench")
    return replace(config, security=replace(config.security, sources=sources))


def _failure(outcome: Outcome) -> dict[str, Any]:
    return {
        "id": outcome.case.id,
        "text": outcome.case.text,
        "area": outcome.case.area,
        "verdict": outcome.verdict,
        "tier": outcome.tier,
        "expected": [[list(a[:2]), dict(a[2])] for a in outcome.case.alternatives[0]],
        "emitted": [[list(a[:2]), dict(a[2])] for a in outcome.emitted],
        "reply": outcome.reply,
    }


def _row(label: str, s: Stats) -> str:
    tiers = " ".join(f"{k}:{v}" for k, v in s.tiers.items())
    return (
        f"{label:<34} {s.n:>5} {s.exact:>7.1%} {s.wrong:>7.1%} {s.missed:>7.1%} "
        f"{s.asked_right:>7.1%} {s.p50_ms:>8.1f} {s.p95_ms:>8.1f}  {tiers}"
    )


def _print_file(name: str, total: Stats, tags: dict[str, Stats], failed: list[Outcome]) -> None:
    click.echo(f"== {name}")
    click.echo(
        f"{'':<34} {'n':>5} {'exact':>7} {'wrong':>7} {'missed':>7} {'doubted':>7} "
        f"{'p50 ms':>8} {'p95 ms':>8}  tiers"
    )
    click.echo(_row("TOTAL", total))
    for tag, s in tags.items():
        click.echo(_row(tag, s))
    for outcome in failed:
        f = _failure(outcome)
        click.echo(
            f"-- {f['verdict'].upper()} [{f['tier']}] {f['text']!r}"
            + (f" (area {f['area']})" if f["area"] else "")
        )
        click.echo(f"   expected: {f['expected']}")
        click.echo(f"   emitted:  {f['emitted']}  reply: {f['reply']}")
