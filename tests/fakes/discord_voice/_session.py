"""One voice websocket connection of the bot, as the fake voice server tracks it."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ._dave import DaveGroup
from ._rtp import VoiceReceiver


@dataclass
class VoiceSession:
    """One voice websocket connection of the bot (a new one after every reconnect)."""

    ws: web.WebSocketResponse
    identify: dict[str, Any]
    ssrc: int
    secret_key: bytes
    mode: str | None = None
    #: The address the client announced in SELECT PROTOCOL (learnt by IP discovery).
    client_address: tuple[str, int] | None = None
    speaking: list[tuple[float, int]] = field(default_factory=list)
    receiver: VoiceReceiver | None = None
    #: The voice channel the session is in (from the fake Discord's voice states).
    channel_id: int | None = None
    group: DaveGroup | None = None
    seq: int = 0

    @property
    def user_id(self) -> int:
        return int(self.identify["user_id"])

    async def send_json(self, op: int, data: Any) -> None:
        """A numbered JSON message (the DAVE opcodes carry a sequence number)."""
        self.seq += 1
        await self.ws.send_json({"op": op, "d": data, "seq": self.seq})

    async def send_binary(self, op: int, payload: bytes) -> None:
        """A binary message: sequence number (uint16), opcode, payload."""
        self.seq += 1
        await self.ws.send_bytes(struct.pack(">HB", self.seq & 0xFFFF, op) + payload)

    @property
    def ready(self) -> bool:
        """Whether SESSION DESCRIPTION went out: audio may flow."""
        return self.receiver is not None
