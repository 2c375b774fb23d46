"""A broker with TLS and passwords: the daemon connects with the CA, user and password file from
its config, and a wrong password keeps it offline (and out of the logs)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from hub.config import Config, TLSConfig, parse_config
from hub.mqtt.daemon import Daemon
from hub.pipeline import Pipeline
from tests.mqtt.conftest import MOSQUITTO, Broker, mqtt_settings, wait_until

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None or shutil.which("mosquitto_passwd") is None,
    reason="needs openssl and mosquitto_passwd",
)


def _run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=60)


@pytest.fixture
def secure_broker(tmp_path: Path) -> Iterator[Broker]:
    if not os.access(MOSQUITTO, os.X_OK):
        pytest.skip("mosquitto is not installed")
    ca_key, ca, key, csr, cert = (
        tmp_path / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem")
    )
    _run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=hub test CA", "-keyout", str(ca_key), "-out", str(ca))  # fmt: skip
    _run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
         "-keyout", str(key), "-out", str(csr))  # fmt: skip
    ext = tmp_path / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1\n")
    _run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
         "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(cert))  # fmt: skip
    passwords = tmp_path / "passwords"
    _run("mosquitto_passwd", "-b", "-c", str(passwords), "hub", "s3cret")
    os.chmod(passwords, 0o600)
    for path in (key, passwords):
        os.chmod(path, 0o644)  # mosquitto may read them as another user
    broker = Broker(
        tmp_path,
        listener=f"cafile {ca}\ncertfile {cert}\nkeyfile {key}\n",
        settings=f"allow_anonymous false\npassword_file {passwords}",
    )
    broker.start()
    yield broker
    broker.kill()


def test_tls_and_a_password_file(
    secure_broker: Broker,
    tmp_path: Path,
    example_config: Config,
    warm_pipeline: Pipeline,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = tmp_path / "mqtt_password"
    secret.write_text("s3cret\n")
    loaded = parse_config(
        f"mqtt:\n  username: hub\n  password_file: {secret}\n"
        f"  tls: {{ca_file: {tmp_path / 'ca.pem'}}}\n"
    ).mqtt
    assert loaded is not None and loaded.tls == TLSConfig(ca_file=tmp_path / "ca.pem")
    settings = mqtt_settings(
        example_config,
        secure_broker.port,
        username=loaded.username,
        password=loaded.password,
        tls=loaded.tls,
    )
    daemon = Daemon(warm_pipeline, settings)
    daemon.start()
    try:
        wait_until(lambda: daemon.link.online, 10, "a TLS connection")
        assert "TLS, user hub" in daemon.link.where  # type: ignore[attr-defined]
    finally:
        daemon.stop(1)

    caplog.set_level(logging.INFO)
    wrong = Daemon(warm_pipeline, replace(settings, password="wrong", client_id="hub-wrong"))
    wrong.start()
    try:
        wait_until(lambda: "refused the connection" in caplog.text, 10, "the refusal")
        assert not wrong.link.online
        assert "wrong" not in caplog.text.replace("hub-wrong", "")
    finally:
        wrong.stop(1)
    assert "s3cret" not in repr(settings)
