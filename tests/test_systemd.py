"""sd_notify over a real datagram socket, the watchdog, and the unit file as systemd reads it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hub.systemd import Watchdog, notify, watchdog_interval

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "systemd" / "hub.service"


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    yield sock
    sock.close()


def test_notify_sends_one_datagram(notify_socket: socket.socket) -> None:
    assert notify("READY=1")
    assert notify("STATUS=connected")
    assert notify_socket.recv(4096) == b"READY=1"
    assert notify_socket.recv(4096) == b"STATUS=connected"


def test_a_reader_that_does_not_keep_up_never_blocks_the_hub(
    notify_socket: socket.socket,
) -> None:
    """systemd reads at once; a reader that lags fills its queue, and then notes are dropped
    (notify returns False) rather than waited for: a thread blocked there would miss SIGTERM."""
    sent = [notify(f"WATCHDOG=1 #{i}") for i in range(200)]  # nobody reads meanwhile
    assert sent[0] and not all(sent)
    assert notify_socket.recv(4096) == b"WATCHDOG=1 #0"


def test_notify_reaches_an_abstract_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"hub-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert notify("WATCHDOG=1")
        assert sock.recv(64) == b"WATCHDOG=1"


def test_outside_systemd_notify_does_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert not notify("READY=1")
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone.sock"))
    assert not notify("READY=1")  # a stale socket is not an error


def test_watchdog_interval_is_half_of_watchdog_sec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert watchdog_interval() is None
    monkeypatch.setenv("WATCHDOG_USEC", "60000000")
    assert watchdog_interval() == 30.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert watchdog_interval() is None  # meant for another process
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert watchdog_interval() == 30.0


def test_the_watchdog_pings_only_while_healthy() -> None:
    healthy = threading.Event()
    healthy.set()
    pings: list[str] = []
    checks = [0]
    changed = threading.Condition()

    def send(state: str) -> bool:
        with changed:
            pings.append(state)
            changed.notify_all()
        return True

    def health() -> bool:
        with changed:
            checks[0] += 1
            changed.notify_all()
        return healthy.is_set()

    def wait(condition: Callable[[], bool]) -> None:
        with changed:
            assert changed.wait_for(condition, 5)

    dog = Watchdog(health, 0.01, send=send)
    dog.start()
    wait(lambda: len(pings) >= 3)
    healthy.clear()
    with changed:
        first = checks[0]
    wait(lambda: checks[0] >= first + 2)  # every check from now on sees "unhealthy"
    with changed:
        count = len(pings)
    wait(lambda: checks[0] >= first + 6)
    assert len(pings) == count  # unhealthy: no ping
    healthy.set()
    wait(lambda: len(pings) > count)
    dog.stop()
    assert set(pings) == {"WATCHDOG=1"}


def test_the_unit_is_a_notify_service_with_a_watchdog_and_hardening() -> None:
    text = UNIT.read_text()
    for line in (
        "Type=notify",
        "Restart=on-failure",
        "StateDirectory=hub",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "NoNewPrivileges=yes",
        "DynamicUser=yes",
        "DeviceAllow=char-alsa rw",
        "SupplementaryGroups=audio",
        "ExecStart=/opt/hub/.venv/bin/hub run --config /etc/hub/config.yaml",
    ):
        assert line in text.splitlines(), line
    assert any(line.startswith("WatchdogSec=") for line in text.splitlines())
    assert "PrivateDevices=yes" not in text  # it would hide the microphone


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    # verify needs ExecStart to exist; the unit points at /opt/hub, so point it at this venv.
    hub = Path(sys.executable).with_name("hub")
    executable = hub if hub.exists() else Path(sys.executable)
    unit = tmp_path / "hub.service"
    unit.write_text(UNIT.read_text().replace("/opt/hub/.venv/bin/hub", str(executable)))
    out = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    problems = [line for line in (out.stdout + out.stderr).splitlines() if "hub.service" in line]
    assert out.returncode == 0 and not problems, out.stdout + out.stderr
