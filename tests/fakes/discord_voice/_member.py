"""A listener in the voice channel that is a real DAVE member (the `davey` package, the same
library discord.py uses), run in-process by the fake voice server.

It answers the gateway as a Discord client does (key package, commits when it is a committing
member, op 23 when ready, op 31 for a commit it cannot use) and hears what the server forwards
from the bot: DAVE frames are decrypted with its group keys and decoded; a frame sent without
end-to-end encryption while the protocol in force is DAVE is refused and recorded, as a DAVE
client's decryptor refuses it.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from typing import TYPE_CHECKING, Any

import davey
from discord.opus import OPUS_SILENCE, Decoder

from ._audio import Utterance, split_utterances
from ._dave import (
    ANNOUNCE_COMMIT,
    CLIENT_DISCONNECT,
    CLIENTS_CONNECT,
    EXECUTE_TRANSITION,
    EXTERNAL_SENDER,
    PREPARE_EPOCH,
    PREPARE_TRANSITION,
    PROPOSALS,
    WELCOME,
)
from ._rtp import ReceivedPacket, is_dave_frame

if TYPE_CHECKING:
    from ._dave import DaveGroup

log = logging.getLogger(__name__)


class DaveListener:
    """One channel member who listens: `packets` holds what it could decrypt and decode."""

    def __init__(self, group: DaveGroup, user_id: int, commits: bool = True) -> None:
        self.group = group
        self.user_id = user_id
        #: Whether it sends commits for proposals (DAVE v1 members all do; a test may switch
        #: it off so that the bot's commit is the one announced).
        self.commits = commits
        self.session = davey.DaveSession(max(group.version, 1), user_id, group.channel_id)
        #: The protocol version of the last executed transition (what frames must carry).
        self.protocol_version = group.version
        self.packets: list[ReceivedPacket] = []
        #: Frames sent without end-to-end encryption while DAVE was in force.
        self.plain: list[ReceivedPacket] = []
        #: DAVE frames that arrived before it had group keys (while still pending).
        self.missed = 0
        #: (time, error) of DAVE frames it could not decrypt although it had keys.
        self.undecryptable: list[tuple[float, str]] = []
        #: Protocol messages it could not process.
        self.errors: list[str] = []
        #: Users the gateway said are connected (op 11 / op 13).
        self.connected: set[int] = set()
        self._pending_transitions: dict[int, int] = {}
        self._decoders: dict[int, Decoder] = {}
        self._inbox: asyncio.Queue[tuple[str, int, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.left = False

    # --- the gateway's side ----------------------------------------------------------------
    async def send_json(self, op: int, data: Any) -> None:
        self._inbox.put_nowait(("json", op, data))

    async def send_binary(self, op: int, payload: bytes) -> None:
        self._inbox.put_nowait(("binary", op, payload))

    async def start(self) -> None:
        """Connect: join the channel and send the first key package, as after op 4."""
        self._task = asyncio.create_task(self._run(), name=f"dave-listener-{self.user_id}")
        await self.group.join(self)
        if self.group.version > 0:
            await self.group.key_package(self.user_id, self.session.get_serialized_key_package())

    async def leave(self) -> None:
        """Disconnect from the channel."""
        self.left = True
        await self.group.leave(self)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        # Messages are handled one at a time after the gateway's call returns, as a network
        # client's would be, so a reply never re-enters the gateway mid-broadcast.
        while True:
            kind, op, data = await self._inbox.get()
            try:
                if kind == "json":
                    await self._on_json(op, data)
                else:
                    await self._on_binary(op, data)
            except Exception as exc:  # recorded for the test to assert on
                self.errors.append(f"op {op}: {type(exc).__name__}: {exc}")

    async def _on_json(self, op: int, data: Any) -> None:
        if op == CLIENTS_CONNECT:
            self.connected.update(int(u) for u in data["user_ids"])
        elif op == CLIENT_DISCONNECT:
            self.connected.discard(int(data["user_id"]))
        elif op == PREPARE_EPOCH and data["epoch"] == 1:
            self.session.reinit(data["protocol_version"], self.user_id, self.group.channel_id)
            await self.group.key_package(self.user_id, self.session.get_serialized_key_package())
        elif op == PREPARE_TRANSITION:
            tid, version = data["transition_id"], data["protocol_version"]
            self._pending_transitions[tid] = version
            if tid == 0:
                self._execute(tid)
                return
            if version == 0:  # keep hearing the senders that have not switched yet
                self.session.set_passthrough_mode(True, 120)
            await self.group.ready(self.user_id, tid)
        elif op == EXECUTE_TRANSITION:
            self._execute(data["transition_id"])

    def _execute(self, tid: int) -> None:
        if tid in self._pending_transitions:
            self.protocol_version = self._pending_transitions.pop(tid)

    async def _on_binary(self, op: int, payload: bytes) -> None:
        if op == EXTERNAL_SENDER:
            self.session.set_external_sender(payload)
        elif op == PROPOSALS:
            kind = (davey.ProposalsOperationType.append if payload[0] == 0
                    else davey.ProposalsOperationType.revoke)
            result = self.session.process_proposals(kind, payload[1:])
            if result is not None and self.commits:
                await self.group.commit(self.user_id, result.commit + (result.welcome or b""))
        elif op in (ANNOUNCE_COMMIT, WELCOME):
            tid = struct.unpack_from(">H", payload)[0]
            try:
                if op == ANNOUNCE_COMMIT:
                    self.session.process_commit(payload[2:])
                else:
                    self.session.process_welcome(payload[2:])
            except ValueError as exc:
                self.errors.append(f"op {op}: {exc}")
                await self.group.report_invalid(self.user_id, tid)
                return
            if tid != 0:
                self._pending_transitions[tid] = self.session.protocol_version
                await self.group.ready(self.user_id, tid)

    # --- media -----------------------------------------------------------------------------
    def hear(self, sender: int, packet: ReceivedPacket) -> None:
        """A packet from `sender` forwarded by the server (transport encryption removed)."""
        opus = packet.opus
        if opus != OPUS_SILENCE and not is_dave_frame(opus):
            if self.protocol_version > 0:
                self.plain.append(packet)
                return
        elif opus != OPUS_SILENCE:
            if not self.session.ready:
                self.missed += 1
                return
            try:
                opus = self.session.decrypt(sender, davey.MediaType.audio, opus)
            except ValueError as exc:
                self.undecryptable.append((time.monotonic(), str(exc)))
                return
        decoder = self._decoders.setdefault(sender, Decoder())
        pcm = decoder.decode(opus, fec=False)
        self.packets.append(ReceivedPacket(packet.received_at, packet.ssrc, packet.sequence,
                                           packet.timestamp, opus, pcm))

    def utterances(self, start: int = 0) -> list[Utterance]:
        """What it heard since packet `start`, split where a played source ended."""
        return split_utterances(self.packets[start:])

    @property
    def epoch(self) -> int | None:
        return self.session.epoch
