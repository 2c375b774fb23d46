"""Announcing the service over mDNS, so Home Assistant discovers it.

Home Assistant's Wyoming integration listens for ``_wyoming._tcp.local.`` (its manifest's
zeroconf entry). From an announcement it takes the host and port, connects, asks ``Describe``,
and offers the service under the name of its first program; the announcement's instance name
(here ``<wyoming.name>-<hostname>``) becomes part of the config entry's unique id, so it stays
the same across restarts. This is what ``wyoming.zeroconf.HomeAssistantZeroconf`` announces too;
it is written out here so the address can be chosen and the service info tested, and so a
failure (no network, a name taken) is logged instead of stopping the hub.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

_LOGGER = logging.getLogger(__name__)

SERVICE_TYPE = "_wyoming._tcp.local."
MDNS_GROUP = "224.0.0.251"
_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")


def instance_name(name: str, hostname: str | None = None) -> str:
    """``<name>-<hostname>`` (the host's short name, DNS-safe), at most 63 bytes."""
    host = _short_host(hostname)
    full = f"{name}-{host}" if host else name
    return full.encode("utf-8")[:63].decode("utf-8", "ignore")


def service_info(
    name: str, address: str, port: int, *, hostname: str | None = None
) -> AsyncServiceInfo:
    """The service record for the hub listening on ``address``:``port``."""
    from zeroconf.asyncio import AsyncServiceInfo

    return AsyncServiceInfo(
        SERVICE_TYPE,
        f"{instance_name(name, hostname)}.{SERVICE_TYPE}",
        addresses=[ipaddress.ip_address(address).packed],
        port=port,
        server=f"{_short_host(hostname) or 'hub'}.local.",
    )


def _short_host(hostname: str | None) -> str:
    return _UNSAFE.sub("-", (hostname or socket.gethostname()).split(".")[0]).strip("-")


def announce_address(host: str) -> str | None:
    """The address to announce for a service bound to ``host``: the LAN address when it binds
    to all interfaces; None when it is only reachable from this machine (or not resolvable)."""
    if host in ("", "0.0.0.0", "::"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect((MDNS_GROUP, 1))  # UDP: no packet is sent, only a route chosen
                address = str(probe.getsockname()[0])
        except OSError:
            return None
    else:
        try:
            address = socket.gethostbyname(host)
        except OSError:
            return None
    ip = ipaddress.ip_address(address)
    if ip.is_loopback or ip.is_unspecified:
        return None
    return address


class Announcer:
    """Registers the service while the hub serves; every failure is logged, never raised."""

    def __init__(self, name: str, host: str, port: int) -> None:
        self.name = name
        self.host = host
        self.port = port
        self._zeroconf: AsyncZeroconf | None = None
        self._info: AsyncServiceInfo | None = None

    async def start(self) -> bool:
        address = announce_address(self.host)
        if address is None:
            _LOGGER.warning(
                "Not announcing the Wyoming service over zeroconf: %s is not reachable from "
                "the network (add it in Home Assistant by host and port)",
                self.host,
            )
            return False
        try:
            from zeroconf.asyncio import AsyncZeroconf

            info = service_info(self.name, address, self.port)
            zc = AsyncZeroconf()
            try:
                await zc.async_register_service(info, allow_name_change=True)
            except BaseException:
                await zc.async_close()
                raise
        except ImportError:
            _LOGGER.warning("Not announcing over zeroconf: pip install zeroconf")
            return False
        except Exception as exc:  # no multicast, a name conflict, ...: serve anyway
            _LOGGER.warning("Could not announce the Wyoming service over zeroconf: %s", exc)
            return False
        self._zeroconf, self._info = zc, info
        _LOGGER.info("Announced %s on %s:%d over zeroconf", info.name, address, self.port)
        return True

    async def stop(self) -> None:
        zc, info = self._zeroconf, self._info
        self._zeroconf = self._info = None
        if zc is None:
            return
        try:
            if info is not None:
                await zc.async_unregister_service(info)
            await zc.async_close()
        except Exception as exc:
            _LOGGER.warning("Could not withdraw the zeroconf announcement: %s", exc)
