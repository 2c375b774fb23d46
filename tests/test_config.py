from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.actions import DOMAINS
from hub.config import Config, config_from_data, load_config, parse_config
from hub.config.home import FEATURES
from hub.errors import ConfigError, ConfigProblem
from hub.registry import IMPLIED_FEATURES
from tests.conftest import EXAMPLE_CONFIG, SHARED_BENCH


def test_example_config_describes_a_believable_home(example_config: Config) -> None:
    registry = example_config.registry()
    assert len(registry.devices) >= 15
    assert len(registry.areas) >= 5
    assert len({a.floor for a in registry.areas if a.floor}) >= 2
    missing = DOMAINS - {d.domain for d in registry.devices}
    assert not missing, f"config.example.yaml has no device of domain(s) {sorted(missing)}"
    assert example_config.source == EXAMPLE_CONFIG


def test_every_example_device_area_and_floor_resolves(example_config: Config) -> None:
    registry = example_config.registry()
    for device in registry.devices:
        if device.area:
            assert registry.area(device.area) is not None
    for area in registry.areas:
        assert area.floor is None or registry.floor(area.floor) is not None


@pytest.mark.skipif(not SHARED_BENCH.is_dir(), reason="shared/bench not present")
def test_bench_home_is_a_valid_config() -> None:
    config = load_config(SHARED_BENCH / "intents-en" / "home.yaml")
    assert len(config.devices) > 100
    # Areas that only name their floor create it (FORMAT.md shape).
    assert {f.name for f in config.floors} >= {"First Floor", "Second Floor"}


def _error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text, file=Path("home.yaml"))
    return info.value


@pytest.mark.parametrize(
    ("text", "key", "line", "reason"),
    [
        ("colour: red\n", "colour", 1, "unknown key"),
        (
            "areas:\n  - id: kitchen\ndevices:\n  - id: light.k\n    area: kitchn\n",
            "devices[0].area",
            5,
            "unknown area 'kitchn'",
        ),
        ("devices:\n  - id: kitchen light\n", "devices[0].id", 2, "not an entity id"),
        ("devices:\n  - id: light.a\n  - id: light.a\n", "devices[1].id", 3, "duplicate device id"),
        ("devices:\n  - name: Lamp\n", "devices[0].id", 2, "is required"),
        ("language: xx\n", "language", 1, "unknown language 'xx'"),
        ("languages: [en, klingon]\n", "languages[1]", 1, "unknown language 'klingon'"),
        ("languages_on_demand: sometimes\n", "languages_on_demand", 1, "must be"),
        ("llm:\n  backend: magic\n", "llm.backend", 2, "must be one of"),
        ("llm:\n  backend: remote\n", "llm.url", 1, "is required when backend is 'remote'"),
        ("llm:\n  timeout: soon\n", "llm.timeout", 2, "must be a number"),
        ("model:\n  threads: -1\n", "model.threads", 2, "between 0 and 64"),
        ("model:\n  name: qwen-1.5\n", "model.name", 2, "one of qwen2.5-coder-0.5b"),
        ("model:\n  name: qwen2.5-coder-1.5b\n  path: /m.gguf\n", "model.name", 2, "not both"),
        ("areas: {kitchen: 1}\n", "areas", 1, "must be a list"),
        (
            "areas:\n  - id: a\n    floor: attic\nfloors:\n  - id: ground\n",
            "areas[0].floor",
            3,
            "unknown floor",
        ),
        (
            "devices:\n  - id: light.a\n    features: brightness\n    state: {state: on, colour: 1}\n",
            "devices[0].state.colour",
            4,
            "unknown key",
        ),
    ],
)
def test_bad_config_names_key_line_and_reason(text: str, key: str, line: int, reason: str) -> None:
    error = _error(text)
    assert error.key == key
    assert error.line == line
    assert reason in error.reason
    assert str(error).startswith(f"home.yaml:{line}: {key}: ")


def test_invalid_yaml_reports_the_line() -> None:
    error = _error("areas:\n  - id: a\n    name: [unclosed\n")
    assert "not valid YAML" in error.reason
    assert error.line is not None and error.line >= 3


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.yaml")


def test_config_is_frozen(example_config: Config) -> None:
    with pytest.raises(AttributeError):
        example_config.languages = ("de",)  # type: ignore[misc]


def test_defaults_for_an_areas_and_devices_only_home() -> None:
    config = parse_config(
        "areas: [{id: hall, name: Hall}]\ndevices: [{id: light.hall, area: hall}]\n"
    )
    assert config.languages == ("en",)
    assert config.llm.backend == "embedded"
    device = config.devices[0]
    assert device.name == "Hall"  # from the object id
    assert device.domain == "light"


def test_api_key_file_is_read(tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    config = parse_config(
        f"llm:\n  backend: remote\n  url: http://127.0.0.1:1\n  api_key_file: {secret}\n"
    )
    assert config.llm.api_key == "s3cret"


def test_a_config_error_prints_each_problem_on_its_own_line() -> None:
    one = ConfigError("a", "bad", line=3, file="home.yaml")
    assert one.problems == (ConfigProblem("a", "bad", 3, "home.yaml"),)
    assert str(one) == "home.yaml:3: a: bad"
    error = ConfigError.of(
        [ConfigProblem("a", "bad", 3, "home.yaml"), ConfigProblem("b.c", "worse", 7, "home.yaml")]
    )
    assert (error.key, error.reason, error.line, error.file) == ("a", "bad", 3, "home.yaml")
    assert str(error).splitlines() == ["home.yaml:3: a: bad", "home.yaml:7: b.c: worse"]


MANY_PROBLEMS = """\
languages: [en]
colour: red
areas:
  - {id: kitchen, name: Kitchen}
devices:
  - id: light.kitchen
    area: kitchen
    features: [brightnes]
  - id: light.hall
    area: hall
  - id: switch.garden
    binding: {type: tasmota, topic: garden/pump}
llm:
  timeout: soon
"""


def test_every_problem_is_reported_in_one_run() -> None:
    error = _error(MANY_PROBLEMS)
    assert [(p.key, p.line) for p in error.problems] == [
        ("colour", 2),
        ("devices[0].features[0]", 8),
        ("devices[1].area", 10),
        ("devices[2].binding.topic", 12),
        ("llm.timeout", 14),
    ]
    lines = str(error).splitlines()
    assert lines[0].startswith("home.yaml:2: colour: unknown key")
    assert lines[1].startswith(
        "home.yaml:8: devices[0].features[0]: unknown light feature 'brightnes' "
        "(did you mean 'brightness'?"
    )
    assert lines[2] == "home.yaml:10: devices[1].area: unknown area 'hall' (areas: kitchen)"
    assert lines[3].startswith("home.yaml:12: devices[2].binding.topic: ")
    assert lines[4] == "home.yaml:14: llm.timeout: must be a number, not a string"
    # the first problem is the error's own key and line, as with a single problem
    assert (error.key, error.line) == ("colour", 2)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # a list of the wrong shape: the references to its items are not reported too
        ("areas: {kitchen: 1}\ndevices:\n  - {id: light.a, area: kitchen}\n", "areas"),
        ("floors: 7\nareas:\n  - {id: a, floor: ground}\n", "floors"),
        ("areas:\n  - {id: [a]}\ndevices:\n  - {id: light.a, area: a}\n", "areas[0].id"),
        ("devices: {light.a: 1}\nsecurity: {devices: [light.a]}\n", "devices"),
        # a device without an id: nothing more about it
        ("devices:\n  - {name: Lamp, binding: {type: tasmota}}\n", "devices[0].id"),
        ("devices:\n  - {id: light.a, state: on}\n", "devices[0].state"),
        ("faq:\n  - {questions: 7, answer: a}\n", "faq[0].questions"),
        (
            "summaries:\n  timezone: Mars/Base\n  jobs: [{name: d, cron: '0 1 * * *'}]\n",
            "summaries.timezone",
        ),
        ("summaries:\n  jobs: [{cron: '0 1 * * *'}]\n", "summaries.jobs[0].name"),
        ("mqtt: {}\ndiscovery: {statestream: true}\n", "discovery.statestream"),
        ("mqtt: {}\ndiscovery: {command_topics: ['']}\n", "discovery.command_topics[0]"),
    ],
)
def test_a_mistake_is_one_problem_not_its_echoes(text: str, key: str) -> None:
    assert [p.key for p in _error(text).problems] == [key]


ALL_SECTIONS = """\
languages: [en]
floors: [{id: ground, name: Ground, aliases: [down], level: 0}]
areas: [{id: kitchen, name: Kitchen, floor: ground, aliases: [cook]}]
devices:
  - {id: light.a, name: A, area: kitchen, aliases: [a], features: [brightness],
     state: {state: "on", attributes: {brightness: 1}}, device_class: x,
     binding: {type: zigbee2mqtt, friendly_name: A}}
  - {id: switch.b, binding: {type: custom, topic: b, payload: {turn_on: "1"}}}
model: {threads: 1}
llm: {backend: remote, url: "http://x", timeout: 1}
mqtt: {host: h, port: 1, prefix: hub, tls: {insecure: true}}
discovery: {areas: {"K/": kitchen}, devices: {x: {area: kitchen, hide: false}},
            command_topics: ["a/+"], statestream: ss, allow_security: [lock.x]}
store: {keep_days: 1}
faq: [{id: f, questions: [q], answer: a, private: true}]
summaries: {timezone: UTC, record_topics: [a/b],
            jobs: [{name: d, cron: "0 1 * * *", window: 1h, sources: [events]}]}
speech: {mode: wake, wake_phrase: hey, device: 1, speak: piper}
wyoming: {uri: "tcp://0.0.0.0:1", name: h}
security: {sources: [cli], areas: [kitchen], devices: [light.a], pin: 1234}
conversation_window: 60
"""


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every key and list item under ``node``."""
    if path:
        yield path
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in children:
        yield from _paths(child, (*path, key))


def test_no_wrong_value_anywhere_breaks_the_loader() -> None:
    """Going on after a problem must not trip over the value that was wrong: a wrong value at
    any key of any section is a ConfigError, never another exception."""
    base = yaml.safe_load(ALL_SECTIONS)
    config_from_data(base)
    for path in _paths(base):
        for wrong in (None, 7, "x", [1], {"zz": 1}):
            data = copy.deepcopy(base)
            parent = data
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = wrong
            with contextlib.suppress(ConfigError):
                config_from_data(data)


def test_the_known_features_are_the_action_tables() -> None:
    assert dict(FEATURES) == {
        domain: frozenset(
            {
                "light": {"brightness", "color", "color_temp"},
                "fan": {"set_speed", "oscillate"},
                "cover": {"position"},
                "valve": {"position"},
            }.get(domain, set())
        )
        for domain in DOMAINS
    }
    every = set().union(*FEATURES.values())
    assert set(IMPLIED_FEATURES) | set().union(*IMPLIED_FEATURES.values()) <= every


@pytest.mark.parametrize(
    ("device", "key", "reason"),
    [
        (
            "{id: light.a, features: [brightnes]}",
            "devices[0].features[0]",
            "unknown light feature 'brightnes' (did you mean 'brightness'? "
            "light features: brightness, color, color_temp)",
        ),
        (
            "{id: light.a, features: [color, rgb]}",
            "devices[0].features[1]",
            "unknown light feature 'rgb' (did you mean 'color'? "
            "light features: brightness, color, color_temp)",
        ),
        (
            "{id: cover.a, features: position_}",
            "devices[0].features",
            "unknown cover feature 'position_' (did you mean 'position'? cover features: position)",
        ),
        (
            "{id: light.a, features: [position]}",
            "devices[0].features[0]",
            "unknown light feature 'position' (light features: brightness, color, color_temp)",
        ),
        (
            "{id: media_player.tv, features: [volume_set]}",
            "devices[0].features[0]",
            "unknown media_player feature 'volume_set' "
            "(no media_player action needs a feature: leave features out)",
        ),
        (
            "{id: sensor.t, features: [temperature]}",
            "devices[0].features[0]",
            "unknown sensor feature 'temperature' "
            "(sensor devices have no actions, so no features: leave features out)",
        ),
    ],
)
def test_an_unknown_feature_names_the_known_ones(device: str, key: str, reason: str) -> None:
    error = _error(f"areas: []\ndevices:\n  - {device}\n")
    assert [(p.key, p.line, p.reason) for p in error.problems] == [(key, 3, reason)]


@pytest.mark.skipif(not SHARED_BENCH.is_dir(), reason="shared/bench not present")
def test_every_bench_home_is_a_valid_config() -> None:
    homes = sorted(SHARED_BENCH.rglob("home.yaml"))
    assert len(homes) >= 20
    for home in homes:
        load_config(home)


def test_config_check_prints_every_problem_and_exits_2(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from hub.cli import cli

    bad = tmp_path / "home.yaml"
    bad.write_text(MANY_PROBLEMS)
    result = CliRunner().invoke(cli, ["config", "check", str(bad)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 5
    for line, number in zip(lines, (2, 8, 10, 12, 14), strict=True):
        assert line.startswith(f"hub: error: {bad}:{number}: ")
