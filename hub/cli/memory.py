"""``hub cache`` and ``hub log``: what the hub remembers."""

from __future__ import annotations

import json
import time
from datetime import datetime

import click

from hub.app.build import find_config
from hub.cli.options import DURATION, config_option
from hub.store import Event
from hub.store.memory import Memory, database_path

KINDS = ("request", "action", "error", "device", "message")


@click.group("cache")
def cache_group() -> None:
    """The cached answers to questions and decisions of the language model."""


def _which(answers: bool, decisions: bool) -> tuple[bool, bool]:
    return (True, True) if not answers and not decisions else (answers, decisions)


@cache_group.command("list")
@config_option
@click.option("--answers", is_flag=True, help="Only the cached answers to questions.")
@click.option("--decisions", is_flag=True, help="Only the cached decisions.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
def cache_list(config_path: str | None, answers: bool, decisions: bool, as_json: bool) -> None:
    """Show what is cached, newest first."""
    memory = _open(config_path)
    show_answers, show_decisions = _which(answers, decisions)
    rows: list[dict[str, object]] = []
    if show_answers:
        rows += [{"cache": "answer", **row} for row in memory.answers.rows()]
    if show_decisions and memory.decisions is not None:
        rows += [{"cache": "decision", **row} for row in memory.decisions.rows()]
    memory.close()
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        click.echo("The cache is empty.")
        return
    for row in rows:
        hits = f"{row['hits']} hit(s)"
        if row["cache"] == "answer":
            click.echo(
                f"answer   {row['question']!r} [{row['language']}] -> {row['answer']!r} ({hits})"
            )
        else:
            area = f" in {row['area']}" if row["area"] else ""
            commands = "; ".join(
                f"{c['action']} {','.join(c['target']['entity_id'])}"
                for c in json.loads(str(row["commands"]))
            )
            click.echo(f"decision {row['text']!r}{area} -> {commands} ({hits})")


@cache_group.command("clear")
@config_option
@click.option("--answers", is_flag=True, help="Only the cached answers to questions.")
@click.option("--decisions", is_flag=True, help="Only the cached decisions.")
def cache_clear(config_path: str | None, answers: bool, decisions: bool) -> None:
    """Forget cached answers and decisions (the event log stays)."""
    memory = _open(config_path)
    clear_answers, clear_decisions = _which(answers, decisions)
    gone = []
    if clear_answers:
        gone.append(f"{memory.answers.clear()} answer(s)")
    if clear_decisions and memory.decisions is not None:
        gone.append(f"{memory.decisions.clear()} decision(s)")
    memory.close()
    click.echo(f"Cleared {' and '.join(gone)}.")


@click.command("log")
@config_option
@click.option(
    "--since",
    type=DURATION,
    default="1h",
    show_default=True,
    help="How far back: 90s, 15m, 1h, 24h, 7d.",
)
@click.option("--kind", type=click.Choice(KINDS), multiple=True, help="Only these kinds.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
def log(config_path: str | None, since: float, kind: tuple[str, ...], as_json: bool) -> None:
    """Show what the hub did: requests, published actions, errors.

    \b
    Examples:
      hub log --since 24h
      hub log --kind request --json | jq .text
    """
    memory = _open(config_path)
    now = time.time()
    count = 0
    for event in memory.store.events(now - since, now + 1, kind or None):
        count += 1
        click.echo(json.dumps(event.to_dict(), ensure_ascii=False) if as_json else _line(event))
    memory.close()
    if not count and not as_json:
        click.echo("Nothing happened in that time.", err=True)


def _line(event: Event) -> str:
    when = datetime.fromtimestamp(event.ts).strftime("%Y-%m-%d %H:%M:%S")
    if event.kind == "request":
        what = "; ".join(
            f"{c['action']} {','.join(c['target']['entity_id'])}" for c in event.commands
        )
        ms = f", {event.ms:.0f} ms" if event.ms is not None else ""
        return (
            f"{when} {event.source:<8} {event.text!r} -> {what or event.reply!r} "
            f"[{event.tier}, {event.outcome}{ms}]"
        )
    target = f" {event.entity_id}" if event.entity_id else ""
    outcome = f" [{event.outcome}]" if event.outcome else ""
    return f"{when} {event.kind:<8}{target} {event.text}{outcome}"


def _open(config_path: str | None) -> Memory:
    config = find_config(config_path)
    memory = Memory.open(config)
    if memory.store.degraded:
        raise click.ClickException(
            f"cannot read the database {database_path(config)}: {memory.status()}"
        )
    return memory
