"""FakeVoiceServer: Discord's voice gateway (TLS websocket) and voice UDP server on loopback."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
import time
from collections.abc import Callable
from typing import Any

import trustme
from aiohttp import WSMsgType, web

from ._audio import Utterance, split_utterances
from ._dave import (
    COMMIT_WELCOME,
    INVALID_COMMIT_WELCOME,
    KEY_PACKAGE,
    READY_FOR_TRANSITION,
    DaveGroup,
)
from ._member import DaveListener
from ._mls import ExternalSender
from ._rtp import MODE, ReceivedPacket, VoiceReceiver, discovery_response
from ._session import VoiceSession

log = logging.getLogger(__name__)

IDENTIFY, SELECT_PROTOCOL, READY, HEARTBEAT, SESSION_DESCRIPTION = 0, 1, 2, 3, 4
SPEAKING, HEARTBEAT_ACK, RESUME, HELLO, RESUMED = 5, 6, 7, 8, 9
MODES = [MODE, "xsalsa20_poly1305_lite"]
#: Where the voice server looks up a user's voice channel: (guild id, user id) -> channel id.
ChannelLookup = Callable[[int, int], "int | None"]


class _UDP(asyncio.DatagramProtocol):
    def __init__(self, server: FakeVoiceServer) -> None:
        self.server = server
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.server._datagram(data, addr)


class FakeVoiceServer:
    """A loopback Discord voice server that decodes what the bot says.

    The voice gateway speaks TLS with a certificate made at start-up; clients must trust
    `client_ssl` (pass `aiohttp.TCPConnector(ssl=server.client_ssl)` as the bot's `connector`).
    """

    def __init__(self, token: str = "fake-voice-token", *, dave_version: int = 0,
                 channel_of: ChannelLookup | None = None) -> None:
        self.token = token
        #: The DAVE protocol version the server asks for (0: transport encryption only). Above
        #: 0, clients announcing less are refused with close code 4017, as Discord does.
        self.dave_version = dave_version
        #: How the server learns a session's channel (the fake Discord's `voice_channel`).
        self.channel_of = channel_of
        #: DAVE groups by voice channel id.
        self.groups: dict[int, DaveGroup] = {}
        self.listeners: list[DaveListener] = []
        self._external_sender: ExternalSender | None = None
        self._tid = 0
        self.sessions: list[VoiceSession] = []
        self.packets: list[ReceivedPacket] = []
        #: (client address, ssrc) of every IP discovery request answered.
        self.discoveries: list[tuple[tuple[str, int], int]] = []
        #: Packets that failed to decrypt or decode, as messages (a test expects none).
        self.errors: list[str] = []
        #: Every JSON frame the client sent, as (ssrc of its session or None, op, data).
        self.frames: list[tuple[int | None, int, Any]] = []
        self._ca = trustme.CA()
        self.client_ssl = ssl.create_default_context()
        self._ca.configure_trust(self.client_ssl)
        self._server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert("127.0.0.1").configure_cert(self._server_ssl)
        self._runner: web.AppRunner | None = None
        self._udp: _UDP | None = None
        self._changed = asyncio.Event()
        self.ws_port = 0
        self.udp_port = 0

    @property
    def ca_pem(self) -> str:
        """The certificate (PEM) a client trusts to reach this server from another process:
        `ssl.create_default_context(cadata=server.ca_pem)`."""
        return self._ca.cert_pem.bytes().decode()

    # --- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Listen on free loopback ports (TLS websocket and UDP)."""
        app = web.Application()
        app.router.add_get("/", self._handle_ws)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._server_ssl)
        await site.start()
        self.ws_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: _UDP(self), local_addr=("127.0.0.1", 0))
        self._udp = protocol
        self.udp_port = transport.get_extra_info("sockname")[1]

    async def stop(self) -> None:
        """Close every session and stop listening."""
        for listener in list(self.listeners):
            await listener.leave()
        for session in self.sessions:
            await session.ws.close()
        if self._udp is not None and self._udp.transport is not None:
            self._udp.transport.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def endpoint(self) -> str:
        """What VOICE_SERVER_UPDATE's `endpoint` should say."""
        return f"127.0.0.1:{self.ws_port}"

    # --- observing -------------------------------------------------------------------------
    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, pred: Callable[[], bool], within: float = 30.0) -> None:
        """Wait until `pred()` holds, re-checked on every packet and frame."""
        deadline = time.monotonic() + within
        while not pred():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"condition not met within {within}s")
            await asyncio.wait_for(self._changed.wait(), left)

    def utterances(self, start: int = 0) -> list[Utterance]:
        """The audio received since packet `start`, split where a played source ended."""
        return split_utterances(self.packets[start:])

    async def wait_utterances(self, count: int, start: int = 0,
                              within: float = 60.0) -> list[Utterance]:
        """Wait until `count` complete utterances have arrived (since packet `start`)."""
        def done() -> bool:
            return sum(u.complete for u in self.utterances(start)) >= count
        await self.wait_until(done, within)
        return [u for u in self.utterances(start) if u.complete]

    @property
    def live(self) -> list[VoiceSession]:
        """Sessions whose websocket is still open."""
        return [s for s in self.sessions if not s.ws.closed]

    async def drop(self, code: int) -> None:
        """Close every open voice websocket with `code` (4014: disconnected, 4006: session
        invalid, forcing a fresh reconnect)."""
        for session in self.live:
            await session.ws.close(code=code)

    # --- DAVE ------------------------------------------------------------------------------
    def group(self, channel_id: int) -> DaveGroup:
        """The DAVE group of a voice channel (made on first use)."""
        if channel_id not in self.groups:
            if self._external_sender is None:
                self._external_sender = ExternalSender()
            self.groups[channel_id] = DaveGroup(channel_id, self._external_sender,
                                                self.dave_version, self._next_tid)
        return self.groups[channel_id]

    def _next_tid(self) -> int:
        self._tid += 1
        return self._tid

    async def add_listener(self, user_id: int, channel_id: int,
                           commits: bool = True) -> DaveListener:
        """A member who joins `channel_id` and listens (a DAVE member when DAVE is on)."""
        listener = DaveListener(self.group(channel_id), user_id, commits)
        self.listeners.append(listener)
        await listener.start()
        self._notify()
        return listener

    async def remove_listener(self, listener: DaveListener) -> None:
        """The member leaves its channel."""
        self.listeners.remove(listener)
        await listener.leave()
        self._notify()

    # --- websocket -------------------------------------------------------------------------
    async def _handle_ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        session: VoiceSession | None = None
        async for msg in ws:
            if msg.type is WSMsgType.BINARY and session is not None:
                self.frames.append((session.ssrc, msg.data[0], msg.data[1:]))
                await self._on_binary(session, msg.data[0], msg.data[1:])
                self._notify()
                continue
            if msg.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op, data = frame["op"], frame.get("d")
            self.frames.append((session.ssrc if session else None, op, data))
            if op == IDENTIFY:
                session = await self._identify(ws, data)
            elif session is None:
                await ws.close(code=4003, message=b"Not authenticated")
            else:
                await self._on_frame(session, op, data)
            self._notify()
        if session is not None and session.group is not None:
            await session.group.leave(session)
        self._notify()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]
                        ) -> VoiceSession | None:
        if data.get("token") != self.token or not data.get("session_id"):
            await ws.close(code=4004, message=b"Authentication failed")
            return None
        if data.get("max_dave_protocol_version", 0) < self.dave_version:
            await ws.close(code=4017, message=b"E2EE/DAVE protocol required")
            return None
        ssrc = 1000 + len(self.sessions)
        session = VoiceSession(ws, data, ssrc, os.urandom(32))
        if self.channel_of is not None:
            session.channel_id = self.channel_of(int(data["server_id"]), session.user_id)
        self.sessions.append(session)
        await ws.send_json({"op": HELLO, "d": {"heartbeat_interval": 13750.0, "v": 8}})
        await ws.send_json({"op": READY, "d": {
            "ssrc": ssrc, "ip": "127.0.0.1", "port": self.udp_port, "modes": MODES,
            "heartbeat_interval": 1}})
        return session

    async def _on_frame(self, session: VoiceSession, op: int, data: Any) -> None:
        if op == HEARTBEAT:
            await session.ws.send_json({"op": HEARTBEAT_ACK, "d": data})
        elif op == SELECT_PROTOCOL:
            mode = data["data"]["mode"]
            if mode not in MODES:
                await session.ws.close(code=4016, message=b"Unknown encryption mode")
                return
            session.mode = mode
            session.client_address = (data["data"]["address"], data["data"]["port"])
            session.receiver = VoiceReceiver(session.ssrc, session.secret_key)
            await self._describe(session, mode)
        elif op == SPEAKING:
            session.speaking.append((time.monotonic(), int(data["speaking"])))
        elif op == RESUME:
            await session.ws.send_json({"op": RESUMED, "d": None})
        elif op == READY_FOR_TRANSITION and session.group is not None:
            await session.group.ready(session.user_id, int(data["transition_id"]))
        elif op == INVALID_COMMIT_WELCOME and session.group is not None:
            await session.group.report_invalid(session.user_id, int(data["transition_id"]))

    async def _describe(self, session: VoiceSession, mode: str) -> None:
        """SESSION DESCRIPTION (op 4), then the session joins its channel's DAVE group."""
        group = None
        if self.dave_version > 0:
            if session.channel_id is None:
                raise RuntimeError("DAVE needs the session's channel: set channel_of")
            group = session.group = self.group(session.channel_id)
        await session.send_json(SESSION_DESCRIPTION, {
            "mode": mode, "secret_key": list(session.secret_key),
            "dave_protocol_version": group.version if group else 0, "audio_codec": "opus"})
        if group is not None:
            await group.join(session)

    async def _on_binary(self, session: VoiceSession, op: int, payload: bytes) -> None:
        if session.group is None:
            self.errors.append(f"binary op {op} from ssrc {session.ssrc} outside DAVE")
        elif op == KEY_PACKAGE:
            await session.group.key_package(session.user_id, payload)
        elif op == COMMIT_WELCOME:
            await session.group.commit(session.user_id, payload)
        else:
            self.errors.append(f"unexpected binary op {op} from ssrc {session.ssrc}")

    # --- UDP -------------------------------------------------------------------------------
    def _datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self._udp is not None and self._udp.transport is not None
        answer = discovery_response(data, addr[0], addr[1])
        if answer is not None:
            self.discoveries.append((addr, int.from_bytes(data[4:8], "big")))
            self._udp.transport.sendto(answer, addr)
            return
        if len(data) < 16:
            self.errors.append(f"short packet of {len(data)} bytes")
            return
        ssrc = int.from_bytes(data[8:12], "big")
        session = next((s for s in self.sessions if s.ssrc == ssrc), None)
        if session is None or session.receiver is None:
            self.errors.append(f"packet for unknown or unready ssrc {ssrc}")
            return
        if session.mode != MODE:
            self.errors.append(f"mode {session.mode} is not decoded by the fake")
            return
        try:
            packet = session.receiver.receive(data)
        except Exception as exc:  # recorded for the test to assert on
            self.errors.append(f"{type(exc).__name__}: {exc}")
        else:
            self.packets.append(packet)
            for listener in self.listeners:  # the SFU forwards to the others in the channel
                if listener.group.channel_id == session.channel_id:
                    listener.hear(session.user_id, packet)
        self._notify()
