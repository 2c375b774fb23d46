"""The mqtt section: the broker, credentials, TLS, topics and the daemon's limits."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hub.config.binding import topic_problem
from hub.config.reader import Reader

MQTT_PROTOCOLS = ("5", "3.1.1")
MQTT_PASSWORD_ENV = "HUB_MQTT_PASSWORD"
MQTT_CREDENTIAL = "mqtt_password"  # systemd: LoadCredential=mqtt_password:/etc/hub/mqtt_password


@dataclass(frozen=True)
class TLSConfig:
    ca_file: Path | None = None  # None: the system's CA certificates
    cert_file: Path | None = None  # client certificate, for brokers that require one
    key_file: Path | None = None
    insecure: bool = False  # skip certificate and host name checks (testing only)


@dataclass(frozen=True)
class MQTTConfig:
    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = ""  # "": hub-<hostname>, stable across restarts
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never logged
    tls: TLSConfig | None = None
    protocol: str = "5"  # 5 | 3.1.1
    prefix: str = "hub"  # <prefix>/request, /command, /response, /status, /action/<domain>
    keepalive: int = 60
    discovery: bool = True  # Home Assistant MQTT discovery
    discovery_prefix: str = "homeassistant"
    zigbee2mqtt_base: str = "zigbee2mqtt"
    max_payload: int = 4096  # bytes; larger requests are answered with an error
    queue_size: int = 64  # requests waiting for the worker; more are answered "busy"
    dedupe_seconds: float = 60.0  # a request id acted on is not acted on again within this
    message_expiry: int = 10  # seconds an action (and a reply) may wait in the broker
    request_timeout: float = 10.0  # a request older than this is answered "expired", not acted on
    reconnect_max_delay: int = 5  # seconds; reconnects back off from 1 s up to this (±20%)
    # seconds the broker keeps the hub's session (subscriptions, queued requests) while it is
    # away; 0: a clean session at every connection (nothing is queued for the hub)
    session_expiry: int = 3600


_MQTT_KEYS = (
    "host",
    "port",
    "client_id",
    "username",
    "password",
    "password_file",
    "tls",
    "protocol",
    "prefix",
    "keepalive",
    "discovery",
    "discovery_prefix",
    "zigbee2mqtt_base",
    "max_payload",
    "queue_size",
    "dedupe_seconds",
    "message_expiry",
    "request_timeout",
    "reconnect_max_delay",
    "session_expiry",
)


def parse_mqtt(r: Reader, base: Path) -> MQTTConfig:
    r.only(*_MQTT_KEYS)
    protocol = r.text("protocol", "5") or "5"
    if protocol in ("5.0", "v5"):
        protocol = "5"
    if protocol not in MQTT_PROTOCOLS:
        r.fail("protocol", f"must be 5 or 3.1.1, not {protocol!r}")
    topics = {
        key: _topic(r, key, default)
        for key, default in (
            ("prefix", "hub"),
            ("discovery_prefix", "homeassistant"),
            ("zigbee2mqtt_base", "zigbee2mqtt"),
        )
    }
    client_id = r.text("client_id", "") or ""
    if len(client_id.encode("utf-8")) > 65535:
        r.fail("client_id", "is too long")
    return MQTTConfig(
        host=r.required_text("host") if r.has("host") else "127.0.0.1",
        port=r.integer("port", 1883, 1, 65535),
        client_id=client_id,
        username=r.text("username"),
        password=_mqtt_password(r, base),
        tls=_tls(r.section("tls"), base) if "tls" in r.data else None,
        protocol=protocol,
        prefix=topics["prefix"],
        keepalive=r.integer("keepalive", 60, 5, 3600),
        discovery=r.get("discovery", bool, True),
        discovery_prefix=topics["discovery_prefix"],
        zigbee2mqtt_base=topics["zigbee2mqtt_base"],
        max_payload=r.integer("max_payload", 4096, 64, 1_048_576),
        queue_size=r.integer("queue_size", 64, 1, 100_000),
        dedupe_seconds=r.number("dedupe_seconds", 60.0, 0.0, 86_400.0),
        message_expiry=r.integer("message_expiry", 10, 1, 3600),
        request_timeout=r.number("request_timeout", 10.0, 0.1, 3600.0),
        reconnect_max_delay=r.integer("reconnect_max_delay", 5, 1, 3600),
        session_expiry=r.integer("session_expiry", 3600, 0, 2**32 - 1),
    )


def _topic(r: Reader, key: str, default: str) -> str:
    value = r.text(key, default) or default
    problem = topic_problem(value)
    if problem:
        r.fail(key, problem)
    return value


def _mqtt_password(r: Reader, base: Path) -> str | None:
    """password_file, or password, or the systemd credential, or $HUB_MQTT_PASSWORD."""
    if r.has("password") and r.has("password_file"):
        r.fail("password_file", "give either 'password' or 'password_file', not both")
    file = r.path_value("password_file", base)
    if file is not None:
        try:
            return file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            r.fail("password_file", f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}")
    if r.has("password"):
        return r.text("password")
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if credentials:
        credential = Path(credentials) / MQTT_CREDENTIAL
        try:
            return credential.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            pass
        except (OSError, UnicodeDecodeError) as exc:
            r.fail("password", f"cannot read the credential {credential}: {exc}")
    return os.environ.get(MQTT_PASSWORD_ENV) or None


def _tls(r: Reader, base: Path) -> TLSConfig:
    r.only("ca_file", "cert_file", "key_file", "insecure")
    files: dict[str, Path | None] = {}
    for key in ("ca_file", "cert_file", "key_file"):
        path = r.path_value(key, base)
        if path is not None and not path.is_file():
            r.fail(key, f"no such file: {path}")
        files[key] = path
    if files["key_file"] is not None and files["cert_file"] is None:
        r.fail("key_file", "needs cert_file too")
    return TLSConfig(
        ca_file=files["ca_file"],
        cert_file=files["cert_file"],
        key_file=files["key_file"],
        insecure=r.get("insecure", bool, False),
    )
