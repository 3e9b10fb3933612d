"""The fake gateway: one websocket session per connected shard."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from ._server import FakeDiscord

log = logging.getLogger(__name__)

HELLO, HEARTBEAT, HEARTBEAT_ACK, IDENTIFY, DISPATCH = 10, 1, 11, 2, 0
VOICE_STATE_UPDATE, RESUME, REQUEST_MEMBERS = 4, 6, 8

#: An opcode hook: `await hook(session, data)`; replaces the default handling of that opcode.
OpHook = Callable[["GatewaySession", Any], Awaitable[None]]


@dataclass
class GatewayFrame:
    """One frame the client sent: its opcode and data, and the shard that sent it."""

    op: int
    d: Any
    shard_id: int


@dataclass
class GatewaySession:
    """One connected client websocket (one shard)."""

    fake: FakeDiscord
    ws: web.WebSocketResponse
    shard_id: int = 0
    shard_count: int = 1
    seq: int = 0
    identify: dict[str, Any] = field(default_factory=dict)

    def owns_guild(self, guild_id: int) -> bool:
        """Whether Discord would route this guild's events to this shard."""
        return (guild_id >> 22) % self.shard_count == self.shard_id

    async def send(self, op: int, d: Any, t: str | None = None) -> None:
        """Send one frame (DISPATCH frames get the next sequence number)."""
        frame: dict[str, Any] = {"op": op, "d": d, "s": None, "t": t}
        if op == DISPATCH:
            self.seq += 1
            frame["s"] = self.seq
        if not self.ws.closed:
            await self.ws.send_str(json.dumps(frame))

    async def dispatch(self, event: str, data: Any) -> None:
        """Send a DISPATCH event (`MESSAGE_CREATE`, `VOICE_STATE_UPDATE`, ...)."""
        await self.send(DISPATCH, data, event)


async def handle_gateway(fake: FakeDiscord, request: web.Request) -> web.WebSocketResponse:
    """Serve one gateway connection: HELLO, then the client's frames until it closes."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    session = GatewaySession(fake, ws)
    fake.sessions.append(session)
    await session.send(HELLO, {"heartbeat_interval": 41250})
    try:
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op, data = frame.get("op"), frame.get("d")
            if op == IDENTIFY and isinstance(data, dict) and data.get("shard"):
                session.shard_id, session.shard_count = data["shard"]
            await fake._record_frame(GatewayFrame(op, data, session.shard_id))
            hook = fake.op_hooks.get(op) or _DEFAULT_HOOKS.get(op)
            if hook is not None:
                await hook(session, data)
    finally:
        fake.sessions.remove(session)
    return ws


async def _heartbeat(session: GatewaySession, data: Any) -> None:
    await session.send(HEARTBEAT_ACK, None)


async def _identify(session: GatewaySession, data: Any) -> None:
    fake = session.fake
    session.identify = data
    guilds = [g for g in fake.guilds.values() if session.owns_guild(int(g["id"]))]
    ready: dict[str, Any] = {
        "v": 10, "user": fake.bot_user, "guilds": [
            {"id": g["id"], "unavailable": True} for g in guilds
        ],
        "session_id": f"fake-session-{session.shard_id}", "resume_gateway_url": fake.gateway_url,
        "application": {"id": str(fake.application_id), "flags": 0},
        "shard": [session.shard_id, session.shard_count],
    }
    await session.dispatch("READY", ready)
    for guild in guilds:
        await session.dispatch("GUILD_CREATE", guild)


async def _resume(session: GatewaySession, data: Any) -> None:
    await session.dispatch("RESUMED", {})


async def _request_members(session: GatewaySession, data: Any) -> None:
    guild = session.fake.guilds.get(int(data["guild_id"]))
    members = guild["members"] if guild else []
    await session.dispatch("GUILD_MEMBERS_CHUNK", {
        "guild_id": data["guild_id"], "members": members, "chunk_index": 0, "chunk_count": 1,
        "nonce": data.get("nonce"), "not_found": [], "presences": [],
    })


async def _voice_state_update(session: GatewaySession, data: Any) -> None:
    """Answer the bot joining/leaving a voice channel as Discord does."""
    await session.fake.answer_voice_state_update(session, data)


_DEFAULT_HOOKS: dict[int, OpHook] = {
    HEARTBEAT: _heartbeat, IDENTIFY: _identify, RESUME: _resume,
    REQUEST_MEMBERS: _request_members, VOICE_STATE_UPDATE: _voice_state_update,
}
