from __future__ import annotations

from pathlib import Path

import pytest

from hub.actions import DOMAINS
from hub.config import Config, load_config, parse_config
from hub.errors import ConfigError, ConfigProblem
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
