"""Running the front doors: binding, serving, and the handles that stop them."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web

from api._context import ApiContext
from api._net import is_loopback
from api.app import create_app
from api.errors import StartupFailed, UnsafeBind, UnsafeWyomingBind
from api.wyoming_tts import WyomingServer
from bot.settings import ApiSettings, WyomingSettings

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


def check_bind(api: ApiSettings) -> None:
    """Refuse (UnsafeBind) to serve a keyless API beyond loopback."""
    if not api.keys and not is_loopback(api.host):
        raise UnsafeBind(api.host)


def check_wyoming_bind(wyoming: WyomingSettings) -> None:
    """Refuse (UnsafeWyomingBind) Wyoming beyond loopback with neither an allow-list of
    clients nor an explicit `allow_unauthenticated`: the protocol has no authentication."""
    parsed = urlsplit(wyoming.uri)
    if not wyoming.enabled or parsed.scheme != "tcp" or not parsed.hostname:
        return
    if not (is_loopback(parsed.hostname) or wyoming.allowed_clients
            or wyoming.allow_unauthenticated):
        raise UnsafeWyomingBind(wyoming.uri)


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


def listen_socket(host: str, port: int) -> socket.socket:
    """A socket bound and listening on host:port, so a taken port fails before slow work.

    Raises `StartupFailed` with the reason (address in use, no such address, forbidden).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        raise StartupFailed(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


async def serve_app(app: web.Application, host: str, port: int,
                    sock: socket.socket | None = None) -> ApiServer:
    """Serve `app` on `sock` if given, else bind host:port (0: any free port)."""
    # A client that hangs up cancels its handler at once: a streamed synthesis stops at its
    # next chunk instead of running until a write fails. Writes that must finish are shielded.
    runner = web.AppRunner(app, shutdown_timeout=5.0, handler_cancellation=True)
    await runner.setup()
    site: web.BaseSite = (
        web.TCPSite(runner, host, port) if sock is None else web.SockSite(runner, sock)
    )
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    url = f"http://{bound_host if ':' not in bound_host else f'[{bound_host}]'}:{bound_port}"
    log.info("HTTP API listening on %s", url)
    return ApiServer(runner, url)


async def start_api(runtime: Runtime, sock: socket.socket | None = None) -> ApiServer:
    """Serve the HTTP API of a started runtime on settings.api.host/port (or on `sock`)."""
    api = runtime.settings.api
    check_bind(api)
    return await serve_app(create_app(context_for(runtime)), api.host, api.port, sock)


async def start_wyoming(runtime: Runtime, sock: socket.socket | None = None) -> WyomingServer:
    """Serve the Wyoming TTS server of a started runtime on settings.wyoming.uri (or `sock`)."""
    wyoming = runtime.settings.wyoming
    check_wyoming_bind(wyoming)
    server = WyomingServer(
        wyoming.uri, runtime.engine, runtime.settings.engine.default_voice,
        dictionary_user=wyoming.dictionary_user, max_stream_chars=wyoming.max_stream_chars,
        allowed_clients=wyoming.allowed_clients,
        announce=wyoming.zeroconf_name if wyoming.zeroconf else None,
    )
    await server.start(sock)
    return server
