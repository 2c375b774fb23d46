"""``hub summarize`` and ``hub summary list|show``: summaries of what happened, on demand."""

from __future__ import annotations

import json
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import click

from hub.app.build import find_config, make_writer
from hub.cli.options import config_option
from hub.config import Config, SummaryJob
from hub.config.summaries import parse_window
from hub.errors import HubError
from hub.store import Store
from hub.summaries import store as summary_store
from hub.summaries.render import facts_lines
from hub.summaries.service import SummaryService
from hub.summaries.sources import SourceSpec
from hub.summaries.summary import Summary

ADHOC = "adhoc"


def _window(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    seconds = parse_window(value)
    if seconds is None or seconds <= 0:
        raise click.BadParameter(f"expected a duration like 30m, 24h or 7d, not {value!r}")
    return seconds


def _source(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for value in values:
        spec = SourceSpec.parse(value)
        if spec.kind == "file":
            from pathlib import Path

            path = Path(spec.target).expanduser()
            if not path.is_file():
                raise click.BadParameter(f"no such file: {path}")
            spec = SourceSpec("file", str(path.resolve()))
        out.append(str(spec))
    return tuple(out)


def open_store(config: Config) -> Store:
    from hub.store.memory import database_path

    return Store.open(database_path(config))


def device_names(config: Config) -> dict[str, str]:
    return {d.entity_id: d.name for d in config.registry().devices}


@click.command("summarize")
@config_option
@click.option(
    "--since",
    "window",
    default=None,
    callback=_window,
    help="How far back: 30m, 12h, 24h, 7d (default: the job's window, else 24h).",
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    callback=_source,
    help="events, a log FILE, journal:UNIT or mqtt:TOPIC (repeatable; default: the job's "
    "sources, else events).",
)
@click.option("--job", "job_name", help="Run this configured job now (its sources, language).")
@click.option("--language", help="The language of the prose (default: the job's, else the first).")
@click.option("--no-llm", is_flag=True, help="Facts and a summary written by code; no model.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary with its facts as JSON.")
@click.option("--no-save", is_flag=True, help="Do not store the summary in the database.")
def summarize(
    config_path: str | None,
    window: float | None,
    sources: tuple[str, ...],
    job_name: str | None,
    language: str | None,
    no_llm: bool,
    as_json: bool,
    no_save: bool,
) -> None:
    """Summarize what happened now: exact facts, and a short text by the local model.

    The text is checked against the facts; a sentence that contradicts them is dropped. The
    summary is stored under the job's name (or "adhoc") and shown by `hub summary show`.

    \b
    Examples:
      hub summarize --since 24h
      hub summarize --since 7d --source events --source journal:hub --language de
      hub summarize --since 12h --source /var/log/syslog --no-llm
      hub summarize --job daily
    """
    config = find_config(config_path)
    settings = config.summaries
    job = settings.job(job_name) if job_name else None
    if job_name and job is None:
        known = ", ".join(j.name for j in settings.jobs) or "none configured"
        raise HubError(f"no summary job {job_name!r} (jobs: {known})", code="no_job")
    job = SummaryJob(
        name=job.name if job else ADHOC,
        cron=job.cron if job else "",
        window=window or (job.window if job else 86_400.0),
        language=language or (job.language if job else config.languages[0]),
        sources=sources or (job.sources if job else ("events",)),
        llm=not no_llm and (job.llm if job else True),
    )
    needs_events = any(s == "events" or s.startswith("mqtt:") for s in job.sources)
    store = open_store(config) if needs_events or not no_save else None
    service = SummaryService(
        settings,
        events=store,
        store=store,
        writer=(lambda: make_writer(config)) if job.llm else None,
        names=device_names(config),
    )
    try:
        summary = service.run(job, save=not no_save)
    finally:
        if store is not None:
            store.close()
    if as_json:
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=1))
    else:
        _show(summary, settings.tz)


@click.group("summary")
def summary_group() -> None:
    """Show stored summaries (written by `hub run`'s schedule or `hub summarize`)."""


@summary_group.command("list")
@config_option
def summary_list(config_path: str | None) -> None:
    """One line a job: when its last summary was written, how many are kept, its first words."""
    config = find_config(config_path)
    store = open_store(config)
    try:
        rows = summary_store.listing(store)
    finally:
        store.close()
    if not rows:
        click.echo("no summaries yet (hub summarize writes one now)")
        return
    tz = config.summaries.tz
    for row in rows:
        when = datetime.fromtimestamp(row["created"], tz).strftime("%Y-%m-%d %H:%M")
        text = str(row["text"] or "")
        text = text if len(text) <= 70 else text[:69] + "…"
        click.echo(f"{row['name']:<16} {when}  ({row['count']})  {text}")


@summary_group.command("show")
@click.argument("name")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary with its facts as JSON.")
def summary_show(name: str, config_path: str | None, as_json: bool) -> None:
    """Show the newest summary of job NAME, with its facts."""
    config = find_config(config_path)
    store = open_store(config)
    try:
        summary = summary_store.latest(store, name)
    finally:
        store.close()
    if summary is None:
        raise HubError(f"no summary named {name!r} yet (see `hub summary list`)", code="no_summary")
    if as_json:
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=1))
    else:
        _show(summary, config.summaries.tz)


def _show(summary: Summary, tz: ZoneInfo) -> None:
    start = datetime.fromtimestamp(summary.since, tz)
    end = datetime.fromtimestamp(summary.until, tz)
    click.echo(f"{summary.name}: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} ({tz})")
    click.echo("")
    click.echo(click.wrap_text(summary.text, 100))
    click.echo("")
    click.echo("Facts:")
    for line in facts_lines(summary.facts):
        click.echo(f"  {line}")
    made = {"model": "the model", "template": "code", "model+template": "the model and code"}
    note = f"written by {made.get(summary.prose, summary.prose)} in {summary.ms / 1000:.1f} s"
    if summary.dropped:
        note += f"; {len(summary.dropped)} sentence(s) dropped for contradicting the facts:"
    click.echo("")
    click.echo(note)
    for sentence, reason in summary.dropped:
        click.echo(f"  - {sentence}  [{reason}]")
    age = time.time() - summary.created
    if age > 60:
        click.echo(f"(written {age / 3600:.1f} h ago)")
