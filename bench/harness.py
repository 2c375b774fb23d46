"""What the benchmarks share: a Mosquitto of their own on a free loopback port.

from bench.harness import Broker, free_port, mosquitto, wait_for
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class Broker:
    """Mosquitto on a fixed port; ``kill`` is a SIGKILL. With ``persistence`` (saved every
    second) ``start`` again comes back from its last save, as after a crash."""

    def __init__(
        self, workdir: Path, port: int, *, persistence: bool = True, nodelay: bool = False
    ) -> None:
        self.port = port
        self.conf = workdir / "mosquitto.conf"
        user = "user root\n" if os.geteuid() == 0 else ""
        saved = (
            f"persistence true\npersistence_location {workdir}/\nautosave_interval 1\n"
            if persistence
            else "persistence false\n"
        )
        nagle = "set_tcp_nodelay true\n" if nodelay else ""
        self.conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\n{saved}{nagle}"
            f"log_dest file {workdir}/mosquitto.log\n{user}"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen([binary, "-c", str(self.conf)], stderr=subprocess.DEVNULL)

        def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                return False

        wait_for(listening, 10, f"mosquitto on port {self.port}")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None


@contextmanager
def mosquitto(*, nodelay: bool = False) -> Iterator[int]:
    """A throwaway broker (no persistence) on a free loopback port; ``nodelay``:
    ``set_tcp_nodelay true`` (small messages go at once, not after the peer's delayed ACK)."""
    with tempfile.TemporaryDirectory() as tmp:
        broker = Broker(Path(tmp), free_port(), persistence=False, nodelay=nodelay)
        broker.start()
        try:
            yield broker.port
        finally:
            broker.kill()


def receive(conn: Connection, timeout: float) -> Any:
    """The next message of a benchmark's client process; an exception it sent is raised here."""
    if not conn.poll(timeout):
        raise SystemExit("the benchmark client stopped answering")
    message = conn.recv()
    if isinstance(message, Exception):
        raise message
    return message
