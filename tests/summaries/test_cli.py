"""``hub summarize`` and ``hub summary list|show`` on a real SQLite file."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import cli
from hub.store import Store
from tests.summaries.dayfixture import DAY, day_events, home_yaml


@pytest.fixture
def config(tmp_path: Path) -> Path:
    db = tmp_path / "hub.db"
    store = Store.open(db)
    store.record(*day_events(start=time.time() - DAY + 60))
    store.close()
    path = tmp_path / "config.yaml"
    path.write_text(
        home_yaml()
        + f"store: {{path: {db}}}\n"
        + "summaries:\n  timezone: Europe/Berlin\n  jobs:\n"
        + "    - {name: daily, cron: '0 21 * * *', window: 24h, language: de, llm: false}\n"
    )
    return path


def _hub(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_summarize_stores_a_summary_that_list_and_show_find(config: Path) -> None:
    code, out, err = _hub("summarize", "-c", str(config), "--since", "24h", "--no-llm", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["name"] == "adhoc" and summary["prose"] == "template"
    assert summary["facts"]["requests"] == 2600
    assert summary["text"].startswith("The hub handled 2600 requests")

    code, out, _ = _hub("summary", "list", "-c", str(config))
    assert code == 0 and out.startswith("adhoc ") and "(1)" in out

    code, out, _ = _hub("summary", "show", "adhoc", "-c", str(config))
    assert code == 0
    assert "The hub handled 2600 requests" in out
    assert "requests: 2600" in out and "busiest devices (actions): Kitchen light" in out
    assert "written by code" in out


def test_a_job_runs_with_its_language_and_window(config: Path) -> None:
    code, out, err = _hub("summarize", "-c", str(config), "--job", "daily", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["name"] == "daily" and summary["language"] == "de"
    assert summary["text"].startswith("Der Hub hat 2600 Anfragen")
    assert summary["until"] - summary["since"] == DAY
    code, out, _ = _hub("summary", "show", "daily", "-c", str(config), "--json")
    assert json.loads(out)["text"] == summary["text"]


def test_a_log_file_source(config: Path, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() - 600))
    log.write_text(f"{stamp}Z ERROR app: disk full\n{stamp}Z INFO app: ok\n")
    code, out, err = _hub(
        "summarize", "-c", str(config), "--source", str(log), "--no-llm", "--no-save", "--json"
    )
    assert code == 0, err
    (facts,) = json.loads(out)["facts"]["logs"]
    assert facts["lines"] == 2 and dict(facts["by_level"]) == {"error": 1, "info": 1}
    assert json.loads(out)["text"] == f"The log {log} had 2 lines with 1 errors."
    _, listed, _ = _hub("summary", "list", "-c", str(config))
    assert "no summaries yet" in listed


def test_errors_are_one_line(config: Path, tmp_path: Path) -> None:
    code, _, err = _hub("summarize", "-c", str(config), "--job", "weekly", "--no-llm")
    assert code == 2 and "no summary job 'weekly' (jobs: daily)" in err
    code, _, err = _hub("summary", "show", "nothing", "-c", str(config))
    assert code == 2 and "no summary named 'nothing'" in err
    code, _, err = _hub("summarize", "-c", str(config), "--since", "soon")
    assert code == 2 and "expected a duration" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("summaries:\n  jobs:\n    - {name: daily, cron: '0 25 * * *'}\n")
    code, _, err = _hub("summarize", "-c", str(bad), "--no-llm")
    assert code == 2
    assert f"{bad}:3: summaries.jobs[0].cron: not a valid cron expression '0 25 * * *'" in err
