"""The ``mqtt:`` section of the config: defaults, secrets, and errors that name key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import Config, MQTTConfig, parse_config
from hub.errors import ConfigError


def test_no_mqtt_section_means_nothing_is_published() -> None:
    assert parse_config("areas: []\n").mqtt is None


def test_an_empty_section_takes_the_defaults() -> None:
    settings = parse_config("mqtt:\n").mqtt
    assert settings == MQTTConfig()
    assert (settings.host, settings.port, settings.prefix, settings.protocol) == (
        "127.0.0.1",
        1883,
        "hub",
        "5",
    )


def test_the_session_is_kept_an_hour_and_reconnects_wait_5_s_at_most() -> None:
    settings = parse_config("mqtt:\n").mqtt
    assert settings is not None
    assert (settings.session_expiry, settings.reconnect_max_delay) == (3600, 5)
    off = parse_config("mqtt:\n  session_expiry: 0\n").mqtt
    assert off is not None and off.session_expiry == 0


def test_the_example_config_has_a_local_broker_and_bindings(example_config: Config) -> None:
    assert example_config.mqtt is not None
    assert example_config.mqtt.host == "127.0.0.1"
    kinds = {(d.binding or {}).get("type", "homeassistant") for d in example_config.devices}
    assert kinds == {"homeassistant", "zigbee2mqtt", "tasmota", "custom"}


def test_protocol_3_1_1_and_tls(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = parse_config(
        f"mqtt:\n  protocol: 3.1.1\n  port: 8883\n  tls:\n    ca_file: {ca}\n"
    ).mqtt
    assert settings is not None and settings.protocol == "3.1.1"
    assert settings.tls is not None and settings.tls.ca_file == ca


def test_the_password_comes_from_a_file_and_never_shows(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("hunter2\n")
    settings = parse_config(f"mqtt:\n  username: hub\n  password_file: {secret}\n").mqtt
    assert settings is not None and settings.password == "hunter2"
    assert "hunter2" not in repr(settings)


def test_the_password_comes_from_a_systemd_credential_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_MQTT_PASSWORD", "from-env")
    assert parse_config("mqtt: {username: hub}\n").mqtt.password == "from-env"  # type: ignore[union-attr]
    (tmp_path / "mqtt_password").write_text("from-credential\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert parse_config("mqtt: {username: hub}\n").mqtt.password == "from-credential"  # type: ignore[union-attr]
    inline = parse_config("mqtt: {username: hub, password: inline}\n").mqtt
    assert inline is not None and inline.password == "inline"


@pytest.mark.parametrize(
    ("text", "key", "line", "reason"),
    [
        ("mqtt:\n  port: 0\n", "mqtt.port", 2, "between 1 and 65535"),
        ("mqtt:\n  protocol: 4\n", "mqtt.protocol", 2, "must be 5 or 3.1.1"),
        ("mqtt:\n  prefix: hub/#\n", "mqtt.prefix", 2, "wildcard"),
        ("mqtt:\n  prefix: /hub\n", "mqtt.prefix", 2, "empty level"),
        ("mqtt:\n  broker: x\n", "mqtt.broker", 2, "unknown key"),
        ("mqtt:\n  password_file: /nonexistent/pw\n", "mqtt.password_file", 2, "cannot read"),
        ("mqtt:\n  password: a\n  password_file: b\n", "mqtt.password_file", 3, "not both"),
        ("mqtt:\n  tls:\n    ca_file: /nonexistent.pem\n", "mqtt.tls.ca_file", 3, "no such file"),
        ("mqtt:\n  discovery: maybe\n", "mqtt.discovery", 2, "true or false"),
        ("mqtt:\n  session_expiry: -1\n", "mqtt.session_expiry", 2, "between 0 and"),
        ("mqtt:\n  reconnect_max_delay: 0\n", "mqtt.reconnect_max_delay", 2, "between 1 and"),
        ("mqtt: 5\n", "mqtt", 1, "must be a mapping"),
    ],
)
def test_bad_mqtt_settings_name_key_line_and_reason(
    text: str, key: str, line: int, reason: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, file=Path("home.yaml"))
    assert (info.value.key, info.value.line) == (key, line)
    assert reason in info.value.reason
