"""Running the front doors: inside the bot process, or alone with `python -m bot api`."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from api._context import ApiContext
from api.app import create_app
from api.errors import UnsafeBind
from api.wyoming_tts import WyomingServer
from bot.settings import ApiSettings, Settings
from tts_engine.errors import TTSError

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(api: ApiSettings) -> None:
    """Refuse (UnsafeBind) to serve a keyless API beyond loopback."""
    if not api.keys and not is_loopback(api.host):
        raise UnsafeBind(api.host)


@dataclass
class ApiServer:
    """A running HTTP API."""

    runner: web.AppRunner
    url: str

    async def stop(self) -> None:
        """Stop accepting requests and finish the open ones."""
        await self.runner.cleanup()


def context_for(runtime: Runtime) -> ApiContext:
    """The API's view of a started runtime."""
    return ApiContext(engine=runtime.engine, jobs=runtime.jobs, settings=runtime.settings)


async def serve_app(app: web.Application, host: str, port: int) -> ApiServer:
    """Bind `app` on host:port (0: any free port) and start serving."""
    # A client that hangs up cancels its handler at once: a streamed synthesis stops at its
    # next chunk instead of running until a write fails. Writes that must finish are shielded.
    runner = web.AppRunner(app, shutdown_timeout=5.0, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    url = f"http://{bound_host if ':' not in bound_host else f'[{bound_host}]'}:{bound_port}"
    log.info("HTTP API listening on %s", url)
    return ApiServer(runner, url)


async def start_api(runtime: Runtime) -> ApiServer:
    """Serve the HTTP API of a started runtime on settings.api.host/port."""
    api = runtime.settings.api
    check_bind(api)
    return await serve_app(create_app(context_for(runtime)), api.host, api.port)


async def start_wyoming(runtime: Runtime) -> WyomingServer:
    """Serve the Wyoming TTS server of a started runtime on settings.wyoming.uri."""
    server = WyomingServer(
        runtime.settings.wyoming.uri, runtime.engine, runtime.settings.engine.default_voice
    )
    await server.start()
    return server


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _serve(settings: Settings) -> None:
    from bot.runtime import open_runtime  # the bot's wiring; imported late to keep `api` light

    # The runtime's workers (settings.jobs.workers) run here too, so an API alone finishes its
    # jobs; set workers = 0 when `python -m bot worker` processes do that instead.
    async with open_runtime(settings) as runtime:
        servers: list[ApiServer | WyomingServer] = []
        try:
            servers.append(await start_api(runtime))
            if settings.wyoming.enabled:
                servers.append(await start_wyoming(runtime))
            await _until_stopped()
        finally:
            for server in reversed(servers):
                await server.stop()


def main(settings: Settings) -> int:
    """`python -m bot api`: the HTTP API (and Wyoming when enabled) until SIGINT/SIGTERM."""
    try:
        check_bind(settings.api)
        asyncio.run(_serve(settings))
    except TTSError as err:
        log.error("%s", err)
        return 2
    return 0
