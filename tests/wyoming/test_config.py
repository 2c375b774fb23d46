"""The wyoming: section: defaults, errors that name the key, and the example's commented
section (uncommented here, so it cannot go stale)."""

from __future__ import annotations

import re

import pytest

from hub.config import WyomingConfig, parse_config
from hub.config.wyoming import uri_problem
from hub.errors import ConfigError
from tests.conftest import EXAMPLE_CONFIG

HOME = "areas: [{id: kitchen, name: Kitchen}]\ndevices: [{id: light.k, name: K, area: kitchen}]\n"


def test_no_section_no_service() -> None:
    assert parse_config(HOME).wyoming is None


def test_an_empty_section_takes_the_defaults() -> None:
    assert parse_config(HOME + "wyoming:\n").wyoming == WyomingConfig()
    assert parse_config(HOME + "wyoming: {}\n").wyoming == WyomingConfig(
        uri="tcp://0.0.0.0:10700", zeroconf=True, name="hub", asr=False
    )


def test_asr_follows_the_speech_section_unless_set() -> None:
    speech = "speech: {model: ko}\n"
    assert parse_config(HOME + speech + "wyoming: {}\n").wyoming == WyomingConfig(asr=True)
    off = parse_config(HOME + speech + "wyoming: {asr: false}\n").wyoming
    assert off is not None and not off.asr
    on = parse_config(HOME + "wyoming: {asr: true}\n").wyoming
    assert on is not None and on.asr


def test_every_setting() -> None:
    config = parse_config(
        HOME + "wyoming: {uri: 'tcp://127.0.0.1:10800', zeroconf: false, name: kitchen-hub}\n"
    )
    assert config.wyoming == WyomingConfig("tcp://127.0.0.1:10800", False, "kitchen-hub", False)
    unix = parse_config(HOME + "wyoming: {uri: 'unix:///run/hub/wyoming.sock'}\n").wyoming
    assert unix is not None and unix.uri == "unix:///run/hub/wyoming.sock"


@pytest.mark.parametrize(
    ("section", "key", "reason"),
    [
        ("{uri: 'http://x:1'}", "wyoming.uri", "must be tcp://HOST:PORT or unix://PATH"),
        ("{uri: 'tcp://0.0.0.0'}", "wyoming.uri", "needs a host and a port"),
        ("{uri: 'tcp://0.0.0.0:99999'}", "wyoming.uri", "not a number from 1 to 65535"),
        ("{uri: 'tcp://0.0.0.0:0'}", "wyoming.uri", "from 1 to 65535"),
        ("{uri: 'unix://'}", "wyoming.uri", "no socket path"),
        ("{zeroconf: 'yes'}", "wyoming.zeroconf", "must be true or false"),
        ("{name: 'hub.local'}", "wyoming.name", "must not contain dots"),
        ("{name: '" + "x" * 64 + "'}", "wyoming.name", "at most 63 bytes"),
        ("{port: 10700}", "wyoming.port", "unknown key"),
        ("[1, 2]", "wyoming", "must be a mapping"),
    ],
)
def test_errors_name_the_key(section: str, key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(HOME + f"wyoming: {section}\n")
    assert caught.value.key == key
    assert reason in caught.value.reason
    assert caught.value.line == 3


def test_the_example_config_has_a_commented_wyoming_section_that_parses() -> None:
    text = EXAMPLE_CONFIG.read_text()
    block = re.search(r"^# wyoming:\n(?:#.*\n)+", text, re.MULTILINE)
    assert block is not None, "config.example.yaml: no commented '# wyoming:' section"
    uncommented = re.sub(r"^# ?", "", block.group(0), flags=re.MULTILINE)
    config = parse_config(text.replace(block.group(0), uncommented))
    assert config.wyoming is not None
    assert config.wyoming.uri == "tcp://0.0.0.0:10700"
    assert config.wyoming.zeroconf and config.wyoming.name == "hub"
    assert parse_config(text).wyoming is None  # as shipped: off


@pytest.mark.parametrize(
    "uri", ["tcp://0.0.0.0:10700", "tcp://[::]:10700", "tcp://hub.lan:1", "unix:///tmp/s"]
)
def test_usable_uris(uri: str) -> None:
    assert uri_problem(uri) is None
