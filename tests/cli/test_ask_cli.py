"""``hub ask``, ``hub bench``, ``hub devices`` and ``hub config check`` as a user runs them:
the installed console script in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hub.config import Config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.yaml"


def hub(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    exe = shutil.which("hub", path=str(Path(sys.executable).parent)) or "hub"
    return subprocess.run(
        [exe, *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_ask_prints_a_validated_command() -> None:
    out = hub("ask", "--config", str(EXAMPLE), "dim the kitchen to 30%")
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert (
        "light.turn_on → light.kitchen_ceiling, light.kitchen_counter (brightness_pct=30)" in text
    )
    assert "[template," in text


def test_ask_json_follows_the_design_contract() -> None:
    out = hub("ask", "--config", str(EXAMPLE), "--area", "Bedroom", "--json", "turn on the lamp")
    reply = json.loads(out.stdout)
    assert set(reply) >= {"text", "commands", "reply", "tier", "ms"}
    assert reply["commands"] == [
        {"action": "light.turn_on", "target": {"entity_id": ["light.bedroom_reading"]}, "data": {}}
    ]
    assert reply["tier"] == "template"
    assert isinstance(reply["ms"], float | int)


def test_jsonl_answers_every_line_and_survives_garbage() -> None:
    lines = [
        b"lock the front door",
        json.dumps({"text": "turn on the lights", "area": "kitchen"}).encode(),
        json.dumps(
            {
                "text": "is the front door locked",
                "state": {"lock.front_door": {"state": "unlocked"}},
            }
        ).encode(),
        b"\xff\xfe\x00garbage\x80",
        b'{"text": "broken json',
        b'{"text": 42}',
        b'["a list"]',
        json.dumps({"text": "x" * 100_000}).encode(),
        json.dumps({"text": ""}).encode(),
        b"turn off the coffee machine",
    ]
    out = hub("ask", "--config", str(EXAMPLE), "--jsonl", stdin=b"\n".join(lines) + b"\n")
    assert out.returncode == 0, out.stderr
    replies = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert len(replies) == len(lines)
    assert replies[0]["commands"][0]["action"] == "lock.lock"
    assert {e for c in replies[1]["commands"] for e in c["target"]["entity_id"]} == {
        "light.kitchen_ceiling",
        "light.kitchen_counter",
    }
    assert "unlocked" in replies[2]["reply"]
    codes = [r.get("error", {}).get("code") for r in replies[3:9]]
    assert codes == [
        "bad_encoding",
        "bad_json",
        "bad_request",
        "bad_json",
        "too_long",
        "empty_request",
    ]
    for reply in replies[3:9]:
        assert reply["commands"] == [] and reply["error"]["message"]
    assert replies[9]["commands"][0]["action"] == "switch.turn_off"


def test_empty_and_huge_requests_are_clear_errors() -> None:
    out = hub("ask", "--config", str(EXAMPLE), "--json", "   ")
    assert out.returncode == 1
    assert json.loads(out.stdout)["error"]["code"] == "empty_request"
    out = hub("ask", "--config", str(EXAMPLE), "x" * 100_000)
    assert out.returncode == 1
    assert b"too_long" in out.stdout


def test_bad_config_is_one_line_naming_key_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("areas:\n  - id: kitchen\ndevices:\n  - id: light.k\n    area: kitchn\n")
    for args in (("config", "check", str(bad)), ("ask", "--config", str(bad), "hi")):
        out = hub(*args)
        assert out.returncode == 2
        assert out.stderr.decode().strip().splitlines() == [
            f"hub: error: {bad}:5: devices[0].area: unknown area 'kitchn' (areas: kitchen)"
        ]


def test_unknown_language_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "lang.yaml"
    bad.write_text("languages: [en, xx]\n")
    out = hub("ask", "--config", str(bad), "hello")
    assert out.returncode == 2
    assert b"languages[1]: unknown language 'xx'" in out.stderr


def test_config_is_found_through_hub_config(tmp_path: Path) -> None:
    out = hub("config", "check", env={"HUB_CONFIG": str(EXAMPLE)})
    assert out.returncode == 0, out.stderr
    assert b"OK: 34 devices" in out.stdout
    out = subprocess.run(
        [shutil.which("hub", path=str(Path(sys.executable).parent)) or "hub", "ask", "hi"],
        capture_output=True,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "HUB_CONFIG"} | {"HOME": str(tmp_path)},
        check=False,
    )
    assert out.returncode == 2
    assert b"no config file found" in out.stderr


def test_devices_table_lists_the_home() -> None:
    out = hub("devices", "--config", str(EXAMPLE))
    assert out.returncode == 0
    text = out.stdout.decode()
    assert "lock.front_door" in text and "Hallway" in text
    assert text.strip().endswith("34 devices in 9 areas on 2 floors")
    rows = json.loads(hub("devices", "--config", str(EXAMPLE), "--json").stdout)
    assert {r["entity_id"] for r in rows} >= {"light.kitchen_ceiling", "vacuum.robot"}


def test_bench_reports_per_file_and_tag(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        f"config: {EXAMPLE}\ncases:\n"
        "  - text: lock the front door\n    expect: [{action: lock.lock, target: lock.front_door}]\n    tags: [lock]\n"
        "  - text: unlock the front door\n    expect: [{action: lock.lock, target: lock.front_door}]\n    tags: [lock]\n"
        "  - text: what is the capital of France\n    expect: []\n    tags: [chat]\n"
        "  - text: open the garage door\n    expect: [{action: cover.open_cover, target: cover.garage_door}]\n"
    )
    out = hub("bench", "--tier", "template", "--json", "--failures", "5", str(cases))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)["files"][0]
    assert result["total"]["n"] == 4
    assert result["total"]["exact"] == 0.75 and result["total"]["wrong"] == 0.25
    assert result["tags"]["lock"]["wrong"] == 0.5
    assert result["tags"]["chat"]["exact"] == 1.0
    assert [f["text"] for f in result["failures"]] == ["unlock the front door"]
    text = hub("bench", "--tier", "template", str(cases)).stdout.decode()
    assert "TOTAL" in text and "lock" in text


def test_bench_can_run_the_llm_tier_on_another_model(example_config: Config) -> None:
    from hub.cli.bench import _benched

    benched = _benched(example_config, "qwen2.5-coder-1.5b")
    assert benched.model.name == "qwen2.5-coder-1.5b" and benched.model.path is None
    assert "bench" in benched.security.sources
    assert _benched(example_config).model == example_config.model
    assert _benched(example_config, None, "q4_0").model.weights == "q4_0"
    out = hub("bench", "--model", "gpt-4", str(EXAMPLE))
    assert out.returncode == 2 and b"'gpt-4' is not one of" in out.stderr


def test_help_lists_the_commands() -> None:
    out = hub("--help")
    for command in ("ask", "bench", "devices", "config", "model"):
        assert command in out.stdout.decode()


@pytest.mark.parametrize("args", [("ask",), ("ask", "--jsonl", "text")])
def test_usage_errors(args: tuple[str, ...]) -> None:
    out = hub(*args, "--config", str(EXAMPLE))
    assert out.returncode == 2
    assert b"Usage" in out.stderr or b"Error" in out.stderr
