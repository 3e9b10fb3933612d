"""Announcing the Wyoming server over zeroconf (mDNS), so Home Assistant offers it unasked.

Home Assistant's Wyoming integration browses `_wyoming._tcp.local.`; a service found there
shows up under Settings → Devices & services, ready to add without typing an address.
"""

from __future__ import annotations

import ipaddress
import logging
import re

import ifaddr
from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from api._net import is_loopback

log = logging.getLogger(__name__)

SERVICE_TYPE = "_wyoming._tcp.local."
_ANY = ("", "0.0.0.0", "::")


def announced_host(bound: str) -> str:
    """The address to announce for a server bound to `bound`: itself, or for a wildcard bind
    this machine's first address beyond loopback (loopback when it has none)."""
    if bound not in _ANY:
        return bound
    outside = [
        ip.ip for adapter in ifaddr.get_adapters() for ip in adapter.ips
        if isinstance(ip.ip, str) and not ipaddress.ip_address(ip.ip).is_loopback
    ]
    return outside[0] if outside else "127.0.0.1"


def _label(name: str) -> str:
    # A DNS label: what Home Assistant shows, without the characters mDNS names can't carry.
    cleaned = re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-")[:63]
    return cleaned or "kokoro"


class ZeroconfAnnouncer:
    """Registers one `_wyoming._tcp` service on the interface of `host`, until `stop()`."""

    def __init__(self, name: str, host: str, port: int) -> None:
        self.name = _label(name)
        self.host, self.port = host, port
        self._zeroconf: AsyncZeroconf | None = None
        self._info: AsyncServiceInfo | None = None

    async def start(self) -> None:
        """Announce (returns once registered; the name gets a suffix if already taken)."""
        address = ipaddress.ip_address(self.host)
        if address.is_loopback:
            log.warning("zeroconf: announcing the loopback address %s; only Home Assistant on "
                        "this machine can use it (set [wyoming] uri to a network address)",
                        self.host)
        version = IPVersion.V6Only if address.version == 6 else IPVersion.V4Only
        # Only the interface the server listens on: nothing is announced where it can't be
        # reached.
        self._zeroconf = AsyncZeroconf(interfaces=[self.host], ip_version=version)
        self._info = AsyncServiceInfo(
            SERVICE_TYPE,
            f"{self.name}.{SERVICE_TYPE}",
            addresses=[address.packed],
            port=self.port,
            server=f"{self.name}.local.",
        )
        # Registering returns the task that sends the announcements: wait for them too.
        await (await self._zeroconf.async_register_service(self._info, allow_name_change=True))
        log.info("zeroconf: announced %s at %s:%d", self._info.name, self.host, self.port)

    async def stop(self) -> None:
        """Withdraw the announcement (Home Assistant sees the service go) and close."""
        zeroconf, self._zeroconf = self._zeroconf, None
        if zeroconf is None:
            return
        if self._info is not None:
            # The goodbye packets must leave before the sockets close, or browsers keep a
            # stale entry until its TTL runs out.
            await (await zeroconf.async_unregister_service(self._info))
        await zeroconf.async_close()


def announcer_for(name: str, address: str) -> ZeroconfAnnouncer | None:
    """An announcer for a server bound at `tcp://host:port` (None for a unix socket)."""
    match = re.fullmatch(r"tcp://\[?([^\]]*)\]?:(\d+)", address)
    if match is None:
        log.warning("zeroconf: %s is not a TCP address; nothing announced", address)
        return None
    host = announced_host(match[1])
    if not is_loopback(host) and match[1] in _ANY:
        log.info("zeroconf: the server listens on every address; announcing %s", host)
    return ZeroconfAnnouncer(name, host, int(match[2]))
