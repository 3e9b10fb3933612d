"""Home Assistant's way in: browse `_wyoming._tcp` over zeroconf on loopback, connect to what
was found, and read the voices it offers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from wyoming.client import AsyncTcpClient
from wyoming.info import Describe, Info
from zeroconf import ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from api.wyoming_tts import WyomingServer
from api.wyoming_tts._zeroconf import SERVICE_TYPE, announced_host
from tests.conftest import TEST_VOICES
from tts_engine import LocalEngine


class Browser:
    """A zeroconf browser on loopback, as Home Assistant's runs on its network."""

    def __init__(self) -> None:
        self.zeroconf = AsyncZeroconf(interfaces=["127.0.0.1"])
        self.changes: asyncio.Queue[tuple[str, ServiceStateChange]] = asyncio.Queue()
        self._browser = AsyncServiceBrowser(self.zeroconf.zeroconf, [SERVICE_TYPE],
                                            handlers=[self._on_change])

    def _on_change(self, zeroconf: Zeroconf, service_type: str, name: str,
                   state_change: ServiceStateChange) -> None:
        self.changes.put_nowait((name, state_change))

    async def next_change(self, name: str) -> ServiceStateChange:
        """The next change of the service called `name` (others' are skipped)."""
        async with asyncio.timeout(15):
            while True:
                found, change = await self.changes.get()
                if found == name:
                    return change

    async def resolve(self, name: str) -> tuple[str, int]:
        info = AsyncServiceInfo(SERVICE_TYPE, name)
        assert await info.async_request(self.zeroconf.zeroconf, 5000), "no answer for " + name
        (address,) = info.parsed_addresses()
        assert info.port is not None
        return address, info.port

    async def close(self) -> None:
        await self._browser.async_cancel()
        await self.zeroconf.async_close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    found = Browser()
    try:
        yield found
    finally:
        await found.close()


async def test_home_assistant_finds_the_server_and_reads_its_voices(
    api_engine: LocalEngine, browser: Browser
) -> None:
    name = f"kokoro-test-{uuid.uuid4().hex[:8]}"
    server = WyomingServer("tcp://127.0.0.1:0", api_engine, "af_heart", announce=name)
    await server.start()
    service = f"{name}.{SERVICE_TYPE}"
    try:
        assert await browser.next_change(service) is ServiceStateChange.Added
        host, port = await browser.resolve(service)
        assert (host, port) == ("127.0.0.1", int(server.address.rsplit(":", 1)[1]))
        # What Home Assistant does next: connect to the address it found and ask for info.
        async with AsyncTcpClient(host, port, read_timeout=30) as client:
            await client.write_event(Describe().event())
            event = await client.read_event()
        assert event is not None
        (program,) = Info.from_event(event).tts
        assert {v.name for v in program.voices} == set(TEST_VOICES)
    finally:
        await server.stop()
    # Stopping withdraws the announcement: Home Assistant sees the service go.
    assert await browser.next_change(service) is ServiceStateChange.Removed


async def test_without_announce_nothing_is_announced(
    api_engine: LocalEngine, browser: Browser
) -> None:
    quiet = WyomingServer("tcp://127.0.0.1:0", api_engine, "af_heart")
    loud_name = f"kokoro-test-{uuid.uuid4().hex[:8]}"
    loud = WyomingServer("tcp://127.0.0.1:0", api_engine, "af_heart", announce=loud_name)
    await quiet.start()
    await loud.start()
    try:
        # The announced one shows up; by then the quiet one would have too, had it announced.
        assert await browser.next_change(f"{loud_name}.{SERVICE_TYPE}") is ServiceStateChange.Added
        seen = set()
        while not browser.changes.empty():
            seen.add(browser.changes.get_nowait()[0])
        quiet_port = quiet.address.rsplit(":", 1)[1]
        for name in seen:
            assert (await browser.resolve(name))[1] != int(quiet_port)
    finally:
        await loud.stop()
        await quiet.stop()


def test_a_specific_bind_address_is_announced_as_it_is() -> None:
    assert announced_host("127.0.0.1") == "127.0.0.1"
    assert announced_host("192.0.2.7") == "192.0.2.7"
    # A wildcard bind announces an address of this machine, never the wildcard itself.
    assert announced_host("0.0.0.0") not in ("0.0.0.0", "")
