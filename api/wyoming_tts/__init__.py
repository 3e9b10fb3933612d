"""A Wyoming TTS server for Home Assistant, speaking straight from the engine (no jobs)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Sequence
from functools import partial
from typing import Any
from urllib.parse import urlparse

from wyoming.error import Error
from wyoming.event import async_write_event

from api._net import is_loopback
from api.wyoming_tts._handler import DEFAULT_MAX_STREAM_CHARS, KokoroEventHandler
from api.wyoming_tts._info import LANGUAGE_TAGS, build_info, lang_for_tag
from api.wyoming_tts._protocol import HEADER_LIMIT, ClientNotAllowed
from api.wyoming_tts._zeroconf import ZeroconfAnnouncer, announcer_for
from tts_engine import Engine

__all__ = ["LANGUAGE_TAGS", "WyomingServer", "build_info", "lang_for_tag"]

log = logging.getLogger(__name__)
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: How long a refused client has to read why before the connection is closed anyway.
_TURN_AWAY_S = 5.0


class WyomingServer:
    """Listens on a `tcp://host:port` or `unix:///path` URI; one handler task per client.

    With `announce` (a name), the server is announced over zeroconf while it listens.
    """

    def __init__(self, uri: str, engine: Engine, default_voice: str, *,
                 dictionary_user: str | None = None, max_chars: int | None = None,
                 max_stream_chars: int = DEFAULT_MAX_STREAM_CHARS,
                 allowed_clients: Sequence[IPNetwork] = (),
                 announce: str | None = None) -> None:
        self.uri = uri
        self.announce = announce
        self._announcer: ZeroconfAnnouncer | None = None
        self._factory = partial(KokoroEventHandler, engine, default_voice,
                                dictionary_user=dictionary_user, max_chars=max_chars,
                                max_stream_chars=max_stream_chars)
        #: Who may connect over TCP (empty: anyone who can reach the port).
        self.allowed_clients = list(allowed_clients)
        self._server: asyncio.Server | None = None
        self._handlers: dict[asyncio.Task[None], KokoroEventHandler] = {}

    async def start(self, sock: socket.socket | None = None) -> None:
        """Start listening (returns once bound); `sock`: a tcp socket bound beforehand."""
        parsed = urlparse(self.uri)
        if sock is not None:
            self._server = await asyncio.start_server(self._accept, sock=sock, limit=HEADER_LIMIT)
        elif parsed.scheme == "tcp":
            if parsed.hostname is None or parsed.port is None:
                raise ValueError(f"Wyoming URI {self.uri!r} needs a host and a port")
            self._server = await asyncio.start_server(
                self._accept, parsed.hostname, parsed.port, limit=HEADER_LIMIT
            )
        elif parsed.scheme == "unix":
            self._server = await asyncio.start_unix_server(
                self._accept, parsed.path, limit=HEADER_LIMIT
            )
        else:
            raise ValueError(f"Wyoming URI {self.uri!r}: use tcp://host:port or unix:///path")
        log.info("Wyoming TTS server listening on %s", self.address)
        host = parsed.hostname if parsed.scheme == "tcp" else None
        if host is not None and not is_loopback(host) and not self.allowed_clients:
            # Only with wyoming.allow_unauthenticated (start-up refuses it otherwise).
            log.warning("Wyoming has no authentication: anyone who can reach %s can use this "
                        "speech server", self.address)
        if self.announce is not None:
            self._announcer = announcer_for(self.announce, self.address)
            if self._announcer is not None:
                await self._announcer.start()

    @property
    def address(self) -> str:
        """The URI actually bound (a tcp port of 0 becomes the one the system chose)."""
        if self._server is None or not self._server.sockets:
            return self.uri
        bound = self._server.sockets[0].getsockname()
        if isinstance(bound, tuple):
            host = bound[0] if ":" not in bound[0] else f"[{bound[0]}]"
            return f"tcp://{host}:{bound[1]}"
        return f"unix://{bound}"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        refused = self._refusal(writer.get_extra_info("peername"))
        if refused is not None:
            log.warning("wyoming: refused %s (not in wyoming.allowed_clients)", refused)
            await _turn_away(reader, writer, ClientNotAllowed(refused))
            return
        # The connection runs in a task of our own, so stop() can end it however it is doing.
        handler = self._factory(reader, writer)
        task = asyncio.create_task(self._serve(handler), name="wyoming-connection")
        self._handlers[task] = handler
        task.add_done_callback(lambda done: self._handlers.pop(done, None))

    def _refusal(self, peer: Any) -> str | None:
        """The client's address when the allow-list leaves it out, else None."""
        if not self.allowed_clients or not isinstance(peer, tuple):
            return None  # no list, or a unix socket (the file's permissions decide)
        address = ipaddress.ip_address(peer[0].split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed_clients):
            return None
        return str(address)

    @staticmethod
    async def _serve(handler: KokoroEventHandler) -> None:
        # Nobody awaits this task: whatever it raises is logged here, never left unretrieved.
        try:
            await handler.run()
        except (ConnectionError, asyncio.IncompleteReadError):
            log.debug("wyoming: client went away")
        except Exception:
            log.exception("wyoming: a connection failed")

    async def stop(self) -> None:
        """Stop listening, and end every open connection (a running synthesis stops too)."""
        announcer, self._announcer = self._announcer, None
        if announcer is not None:
            await announcer.stop()
        if self._server is not None:
            self._server.close()
        for handler in list(self._handlers.values()):
            await handler.stop()
        tasks = list(self._handlers)
        if tasks:
            # Closed sockets end idle connections at once; one mid-synthesis is cancelled.
            _, pending = await asyncio.wait(tasks, timeout=5)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None


async def _turn_away(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     err: ClientNotAllowed) -> None:
    """Say why in a Wyoming error, then close once the client has (bounded): closing with its
    request unread would reset the connection and lose the error."""
    try:
        await async_write_event(Error(text=str(err), code=type(err).__name__).event(), writer)
        writer.write_eof()
        async with asyncio.timeout(_TURN_AWAY_S):
            while await reader.read(HEADER_LIMIT):
                pass
    except (ConnectionError, TimeoutError):
        pass
    finally:
        writer.close()
