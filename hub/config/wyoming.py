"""The wyoming section: hub as a Wyoming service for Home Assistant (``hub wyoming``, and
``hub run`` when the section is there)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from hub.config.reader import Reader

DEFAULT_URI = "tcp://0.0.0.0:10700"
DEFAULT_NAME = "hub"
MAX_NAME = 63  # a DNS-SD instance name is one DNS label


@dataclass(frozen=True)
class WyomingConfig:
    uri: str = DEFAULT_URI  # tcp://HOST:PORT or unix://PATH
    zeroconf: bool = True  # announce _wyoming._tcp.local. so Home Assistant discovers the hub
    name: str = DEFAULT_NAME  # the service Home Assistant shows (and the zeroconf name's start)
    # Offer speech-to-text (speech.model with the home's grammar); default: true when the
    # config has a speech: section
    asr: bool = False


_KEYS = ("uri", "zeroconf", "name", "asr")


def parse_wyoming(r: Reader, *, speech: bool) -> WyomingConfig:
    """``speech``: whether the config has a speech: section (then ``asr`` defaults to true)."""
    r.only(*_KEYS)
    uri = r.text("uri", DEFAULT_URI) or DEFAULT_URI
    problem = uri_problem(uri)
    if problem:
        r.fail("uri", problem)
    name = r.text("name", DEFAULT_NAME) or DEFAULT_NAME
    problem = name_problem(name)
    if problem:
        r.fail("name", problem)
    return WyomingConfig(
        uri=uri,
        zeroconf=r.get("zeroconf", bool, True),
        name=name,
        asr=r.get("asr", bool, speech),
    )


def uri_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be listened on, or None: ``tcp://HOST:PORT`` or ``unix://PATH``."""
    parsed = urlparse(uri)
    if parsed.scheme == "unix":
        return None if parsed.path else f"{uri!r} names no socket path (unix:///run/hub.sock)"
    if parsed.scheme != "tcp":
        return f"must be tcp://HOST:PORT or unix://PATH, not {uri!r}"
    try:
        port = parsed.port
    except ValueError:
        return f"{uri!r} has a port that is not a number from 1 to 65535"
    if not parsed.hostname or port is None:
        return f"{uri!r} needs a host and a port, like tcp://0.0.0.0:10700"
    if port == 0:
        return f"{uri!r}: the port must be from 1 to 65535"
    return None


def name_problem(name: str) -> str | None:
    if len(name.encode("utf-8")) > MAX_NAME:
        return f"must be at most {MAX_NAME} bytes, not {len(name.encode('utf-8'))}"
    if "." in name or any(ord(ch) < 32 for ch in name):
        return "must not contain dots or control characters"
    return None
