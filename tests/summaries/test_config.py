"""The summaries section: jobs, cron, windows, sources; errors name the key and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import parse_config
from hub.errors import ConfigError


def test_a_full_section(tmp_path: Path) -> None:
    config = parse_config(
        """
languages: [de, en]
summaries:
  timezone: Europe/Berlin
  record_topics: [zigbee2mqtt/+/availability, sensors/#]
  keep: 10
  jobs:
    - name: daily
      cron: "0 21 * * *"
      window: 24h
      sources: [events, "journal:hub", "file:logs/hub.log", "mqtt:zigbee2mqtt/+/availability"]
    - {name: night, cron: "0 7 * * 1-5", window: 10h, language: en, llm: false}
""",
        file=tmp_path / "config.yaml",
    )
    s = config.summaries
    assert s.timezone == "Europe/Berlin" and str(s.tz) == "Europe/Berlin"
    assert s.record_topics == ("zigbee2mqtt/+/availability", "sensors/#") and s.keep == 10
    daily, night = s.jobs
    assert daily.language == "de"  # the first configured language
    assert daily.window == 86_400
    assert daily.sources == (
        "events",
        "journal:hub",
        f"file:{tmp_path / 'logs/hub.log'}",
        "mqtt:zigbee2mqtt/+/availability",
    )
    assert night.window == 36_000 and night.language == "en" and not night.llm
    assert s.job("night") is night and s.job("weekly") is None


def test_no_section_means_no_jobs() -> None:
    assert parse_config("languages: [en]\n").summaries.jobs == ()


@pytest.mark.parametrize(
    ("yaml", "key", "reason"),
    [
        ("  jobs:\n    - {name: d, cron: '61 * * * *'}", "summaries.jobs[0].cron", "not a valid cron"),
        ("  jobs:\n    - {name: d, cron: '0 21 * *'}", "summaries.jobs[0].cron", "five fields"),
        ("  jobs:\n    - {name: d}", "summaries.jobs[0].cron", "is required"),
        ("  jobs:\n    - {name: D y, cron: '0 1 * * *'}", "summaries.jobs[0].name", "lower-case"),
        ("  jobs:\n    - {name: d, cron: '0 1 * * *', window: soon}", "summaries.jobs[0].window", "duration"),
        ("  jobs:\n    - {name: d, cron: '0 1 * * *', sources: [web]}", "summaries.jobs[0].sources[0]", "expected events"),
        ("  jobs:\n    - {name: d, cron: '0 1 * * *'}\n    - {name: d, cron: '0 2 * * *'}", "summaries.jobs[1].name", "duplicate"),
        ("  timezone: Mars/Olympus", "summaries.timezone", "unknown time zone"),
        ("  colour: blue", "summaries.colour", "unknown key"),
    ],
)  # fmt: skip
def test_errors_name_the_key_and_the_reason(yaml: str, key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("summaries:\n" + yaml + "\n")
    assert caught.value.key == key
    assert reason in caught.value.reason
    assert caught.value.line is not None


def test_the_example_config_has_a_valid_summaries_section() -> None:
    from hub.config import load_config
    from tests.conftest import EXAMPLE_CONFIG

    config = load_config(EXAMPLE_CONFIG)
    assert config.summaries.jobs, "config.example.yaml shows a summaries: section"
