"""systemd integration with the standard library only: sd_notify and the watchdog.

``notify("READY=1")`` sends a datagram to ``$NOTIFY_SOCKET`` (a path, or ``@name`` for the abstract
namespace) and does nothing outside systemd. ``Watchdog`` pings ``WATCHDOG=1`` at half of
``$WATCHDOG_USEC``, but only while the health check passes: a daemon that hangs stops pinging,
and systemd restarts it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)


def notify(state: str) -> bool:
    """Send ``state`` (e.g. ``"READY=1"``, ``"STATUS=..."``) to systemd; False when not under it."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    elif not address.startswith("/"):
        _LOGGER.debug("Unsupported NOTIFY_SOCKET %r", address)  # e.g. vsock: not for us
        return False
    # Non-blocking: when the reader's queue is full (10 datagrams by default) the message is
    # dropped, not waited for; a thread blocked here would not even see SIGTERM.
    kind = socket.SOCK_DGRAM | socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK
    try:
        with socket.socket(socket.AF_UNIX, kind) as sock:
            sock.connect(address)
            sock.sendall(state.encode("utf-8"))
    except OSError as exc:
        _LOGGER.debug("sd_notify(%r) failed: %s", state, exc)
        return False
    return True


def watchdog_interval() -> float | None:
    """Seconds between pings (half of ``WatchdogSec=``), or None when the watchdog is off."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 1e6 / 2 if value > 0 else None


class Watchdog:
    """Pings ``WATCHDOG=1`` every ``interval`` seconds while ``healthy()`` is true."""

    def __init__(
        self,
        healthy: Callable[[], bool],
        interval: float,
        *,
        send: Callable[[str], bool] = notify,
    ) -> None:
        self.healthy = healthy
        self.interval = interval
        self._send = send
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hub-watchdog", daemon=True)
        self._reported = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(self.interval + 1.0)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                ok = self.healthy()
            except Exception:
                _LOGGER.exception("The health check failed")
                ok = False
            if ok:
                self._send("WATCHDOG=1")
                self._reported = False
            elif not self._reported:
                _LOGGER.error("Unhealthy: not pinging the systemd watchdog")
                self._reported = True
            self._stop.wait(self.interval)
