"""``hub cache`` and ``hub log`` as a user runs them, with ``hub ask`` filling the database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import yaml

from tests.cli.test_ask_cli import EXAMPLE, hub

FAQ = [
    {
        "id": "wifi",
        "questions": ["what's the wifi password", "wifi name"],
        "answer": "The wifi is Hearth-5G; the password is on the fridge door.",
    }
]


def _config(tmp_path: Path) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text())
    data.update(llm={"backend": "off"}, store={"path": "hub.db"}, faq=FAQ)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True))
    return config


def _ask(config: Path, text: str) -> dict[str, object]:
    out = hub("ask", "-c", str(config), "--json", text)
    assert out.returncode == 0, out.stderr.decode()
    reply: dict[str, object] = json.loads(out.stdout)
    return reply


def test_a_question_is_answered_then_served_from_the_cache_and_logged(tmp_path: Path) -> None:
    config = _config(tmp_path)
    first = _ask(config, "What's the wifi password?")
    second = _ask(config, "what's the wifi password")
    assert first["tier"] == "faq" and second["tier"] == "cache"
    assert (
        first["reply"]
        == second["reply"]
        == ("The wifi is Hearth-5G; the password is on the fridge door.")
    )
    state = _ask(config, "is the garage door open")  # from the registry, never cached
    assert state["tier"] == "template"

    listed = hub("cache", "list", "-c", str(config), "--json")
    rows = [json.loads(line) for line in listed.stdout.decode().splitlines()]
    assert [(r["cache"], r["question"], r["hits"]) for r in rows] == [
        ("answer", "what's the wifi password", 1)
    ]

    log = hub("log", "-c", str(config), "--since", "1h", "--json")
    events = [json.loads(line) for line in log.stdout.decode().splitlines()]
    assert [(e["text"], e["tier"], e["source"]) for e in events] == [
        ("What's the wifi password?", "faq", "cli"),
        ("what's the wifi password", "cache", "cli"),
        ("is the garage door open", "template", "cli"),
    ]
    text = hub("log", "-c", str(config)).stdout.decode()
    assert "'is the garage door open'" in text and "[template, answered" in text

    cleared = hub("cache", "clear", "-c", str(config), "--answers")
    assert cleared.returncode == 0 and "Cleared 1 answer(s)" in cleared.stdout.decode()
    assert _ask(config, "what's the wifi password")["tier"] == "faq"


def test_no_memory_leaves_no_database(tmp_path: Path) -> None:
    config = _config(tmp_path)
    out = hub("ask", "-c", str(config), "--no-memory", "lock the front door")
    assert out.returncode == 0
    assert not (tmp_path / "hub.db").exists()


def test_log_rejects_a_bad_duration(tmp_path: Path) -> None:
    out = hub("log", "-c", str(_config(tmp_path)), "--since", "yesterday")
    assert out.returncode == 2
    assert "'yesterday' is not a duration like 90s, 15m, 1h" in out.stderr.decode()


def test_a_corrupt_database_is_moved_aside_and_the_hub_answers(tmp_path: Path) -> None:
    config = _config(tmp_path)
    (tmp_path / "hub.db").write_bytes(b"garbage " * 1000)
    out = hub("ask", "-c", str(config), "lock the front door")
    assert out.returncode == 0
    assert "is corrupt" in out.stderr.decode() and "moved it to" in out.stderr.decode()
    assert list(tmp_path.glob("hub.db.corrupt-*"))
    conn = sqlite3.connect(tmp_path / "hub.db")
    assert conn.execute("SELECT text FROM events").fetchall() == [("lock the front door",)]
