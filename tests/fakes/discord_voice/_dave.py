"""DAVE on the fake voice gateway: one MLS group per voice channel, run as Discord runs it.

The gateway is the group's delivery service and external sender. It keeps what Discord's keeps
(group id, epoch, each member's leaf index, key packages of pending members, proposals in flight)
and drives the protocol: op 25 (external sender), op 26 (key package, read here), op 27
(proposals), op 28 (commit + welcome, read here), op 29/30 (announce the winning commit, send
the welcome), op 21-24 (transitions). Members are the bot's voice websockets and in-process
DAVE listeners; both are reached through `DaveMember`.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass, field
from typing import Any, Protocol

from ._mls import CommitMessage, ExternalSender, MLSError, Proposal, proposals_payload

log = logging.getLogger(__name__)

CLIENTS_CONNECT, CLIENT_DISCONNECT = 11, 13
PREPARE_TRANSITION, EXECUTE_TRANSITION, READY_FOR_TRANSITION, PREPARE_EPOCH = 21, 22, 23, 24
EXTERNAL_SENDER, KEY_PACKAGE, PROPOSALS, COMMIT_WELCOME = 25, 26, 27, 28
ANNOUNCE_COMMIT, WELCOME, INVALID_COMMIT_WELCOME = 29, 30, 31


class DaveMember(Protocol):
    """A client of the gateway in one channel: the bot's websocket or an in-process listener."""

    @property
    def user_id(self) -> int: ...

    async def send_json(self, op: int, data: Any) -> None: ...

    async def send_binary(self, op: int, payload: bytes) -> None: ...


@dataclass
class Transition:
    """A protocol or epoch transition waiting for members' op 23."""

    tid: int
    version: int
    members: set[int]
    waiting: set[int]
    executed: bool = False


@dataclass
class CommitRecord:
    """A commit the gateway announced: who won the epoch."""

    user_id: int
    epoch: int
    transition_id: int
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)


class DaveGroup:
    """The gateway's view of one channel's MLS group (no secrets)."""

    def __init__(self, channel_id: int, sender: ExternalSender, version: int,
                 next_tid: Any) -> None:
        self.channel_id = channel_id
        self.sender = sender
        #: The DAVE protocol version in force (0 after an executed downgrade).
        self.version = version
        self.epoch = 0  # 0: no established group yet
        #: User id at each leaf index (None: a blank leaf).
        self.leaves: list[int | None] = []
        self.members: dict[int, DaveMember] = {}
        self.key_packages: dict[int, bytes] = {}
        self.pending: list[Proposal] = []
        self.transitions: dict[int, Transition] = {}
        self.commits: list[CommitRecord] = []
        #: (user, epoch) of commits that lost the race or came for another epoch: dropped.
        self.ignored: list[tuple[int, int]] = []
        #: (user, transition id) of op 31 reports: a member could not process a commit/welcome.
        self.invalid: list[tuple[int, int]] = []
        #: Refused MLS messages (bad key package, a commit not matching the proposals...).
        self.errors: list[str] = []
        self._next_tid = next_tid

    # --- state -----------------------------------------------------------------------------
    @property
    def established(self) -> bool:
        return self.epoch > 0

    @property
    def in_group(self) -> list[int]:
        """Users at a leaf of the current epoch."""
        return [u for u in self.leaves if u is not None]

    def executed(self, tid: int) -> bool:
        return tid in self.transitions and self.transitions[tid].executed

    # --- members ---------------------------------------------------------------------------
    async def join(self, member: DaveMember) -> None:
        """A client connected to the channel (after op 4 for the bot)."""
        others = [m for uid, m in self.members.items() if uid != member.user_id]
        self.members[member.user_id] = member
        for other in others:
            await other.send_json(CLIENTS_CONNECT, {"user_ids": [str(member.user_id)]})
        if others:
            await member.send_json(CLIENTS_CONNECT,
                                   {"user_ids": [str(m.user_id) for m in others]})
        if self.version > 0:
            await member.send_binary(EXTERNAL_SENDER, self.sender.package)
            adds = [p for p in self.pending if p.kind == "add"]
            if adds and not self.established:  # in-flight adds of the other pending members
                await member.send_binary(PROPOSALS, proposals_payload(adds))

    async def leave(self, member: DaveMember) -> None:
        """A client disconnected: revoke its pending add, or propose its removal."""
        uid = member.user_id
        if self.members.get(uid) is not member:
            return  # an older connection of a user who has already reconnected
        del self.members[uid]
        self.key_packages.pop(uid, None)
        for other in self.members.values():
            await other.send_json(CLIENT_DISCONNECT, {"user_id": str(uid)})
        stale = [p for p in self.pending if p.kind == "add" and p.user_id == uid]
        if stale:
            self.pending = [p for p in self.pending if p not in stale]
            await self._broadcast(PROPOSALS, proposals_payload(stale, revoke=True))
        for transition in list(self.transitions.values()):
            await self._ready(transition, uid)
        if uid in self.leaves and self.established:
            remaining = [u for u in self.in_group if u != uid and u in self.members]
            if len(remaining) <= 1:
                await self._reset(remaining)
            else:
                await self._propose(self.sender.remove(
                    self.channel_id, self.epoch, self.leaves.index(uid), uid))

    async def _reset(self, remaining: list[int]) -> None:
        """Sole member reset: no one keeps an established group to themselves."""
        self.epoch, self.leaves, self.pending = 0, [], []
        for uid in remaining:
            member = self.members[uid]
            await member.send_json(PREPARE_EPOCH, {"protocol_version": self.version, "epoch": 1})
            await member.send_json(PREPARE_TRANSITION,
                                   {"protocol_version": self.version, "transition_id": 0})

    # --- MLS -------------------------------------------------------------------------------
    async def key_package(self, uid: int, data: bytes) -> None:
        """Op 26: keep the pending member's key package and propose adding it."""
        try:
            self.key_packages[uid] = self.sender.read_key_package(data, uid)
        except MLSError as exc:
            self.errors.append(str(exc))
            return
        self.pending = [p for p in self.pending if not (p.kind == "add" and p.user_id == uid)]
        if uid in self.leaves and self.established:  # re-adding: its old leaf goes first
            await self._propose(self.sender.remove(
                self.channel_id, self.epoch, self.leaves.index(uid), uid))
        await self._propose(self.sender.add(self.channel_id, self.epoch,
                                            self.key_packages[uid], uid))

    async def _propose(self, proposal: Proposal) -> None:
        self.pending.append(proposal)
        if self.established:
            targets = [u for u in self.in_group if u in self.members]
        else:  # every other pending member may create the group
            targets = [u for u in self.members if u != proposal.user_id]
        for uid in targets:
            await self.members[uid].send_binary(PROPOSALS, proposals_payload([proposal]))

    async def commit(self, uid: int, data: bytes) -> None:
        """Op 28: announce the first valid commit of the epoch; drop the rest."""
        try:
            message = self.sender.read_commit(data)
        except MLSError as exc:
            self.errors.append(str(exc))
            return
        if message.epoch != self.epoch or not self._may_commit(uid, message):
            self.ignored.append((uid, message.epoch))
            return
        # Before the group exists, a committer cannot add itself: its own add stays behind.
        by_ref = {p.ref: p for p in self.pending
                  if self.established or not (p.kind == "add" and p.user_id == uid)}
        if message.inline_proposals or set(message.refs) != set(by_ref):
            self.errors.append(f"commit from {uid} does not reference exactly the "
                               f"{len(by_ref)} proposals in flight")
            return
        chosen = [by_ref[r] for r in message.refs]
        added = [p.user_id for p in chosen if p.kind == "add"]
        if added and message.welcome is None:
            self.errors.append(f"commit from {uid} adds members but has no welcome")
            return
        await self._apply(uid, message, chosen, added)

    def _may_commit(self, uid: int, message: CommitMessage) -> bool:
        if not self.established:
            return uid in self.members
        leaf = message.sender_leaf
        return leaf < len(self.leaves) and self.leaves[leaf] == uid

    async def _apply(self, uid: int, message: CommitMessage, chosen: list[Proposal],
                     added: list[int]) -> None:
        old = self.in_group if self.established else [uid]
        if not self.established:
            self.leaves = [uid]
        removed = [p.user_id for p in chosen if p.kind == "remove"]
        for user in removed:  # removes apply before adds (RFC 9420 §12.3)
            self.leaves[self.leaves.index(user)] = None
        while self.leaves and self.leaves[-1] is None:
            self.leaves.pop()
        for user in added:  # each add takes the leftmost blank leaf
            slot = self.leaves.index(None) if None in self.leaves else len(self.leaves)
            self.leaves[slot:slot + 1] = [user]
            self.key_packages.pop(user, None)
        self.epoch, self.pending = self.epoch + 1, []
        tid = self._next_tid()
        live = {u for u in self.in_group if u in self.members}
        self.transitions[tid] = Transition(tid, self.version, set(live), set(live))
        self.commits.append(CommitRecord(uid, self.epoch, tid, added, removed))
        log.debug("channel %s epoch %s: commit by %s", self.channel_id, self.epoch, uid)
        for user in old:
            if user in self.members and user not in removed:
                await self.members[user].send_binary(
                    ANNOUNCE_COMMIT, struct.pack(">H", tid) + message.commit)
        for user in added:
            if user in self.members and message.welcome is not None:
                await self.members[user].send_binary(
                    WELCOME, struct.pack(">H", tid) + message.welcome)
        for user in [u for u in self.key_packages if u in self.members and u not in live]:
            await self._propose(self.sender.add(self.channel_id, self.epoch,
                                                self.key_packages[user], user))

    # --- transitions -----------------------------------------------------------------------
    async def ready(self, uid: int, tid: int) -> None:
        """Op 23: a member is ready; execute once every member is."""
        if tid in self.transitions:
            await self._ready(self.transitions[tid], uid)

    async def _ready(self, transition: Transition, uid: int) -> None:
        transition.waiting.discard(uid)
        if transition.waiting or transition.executed:
            return
        transition.executed = True
        if transition.version != self.version:
            self.version = transition.version
        for user in transition.members:
            if user in self.members:
                await self.members[user].send_json(EXECUTE_TRANSITION,
                                                   {"transition_id": transition.tid})

    async def report_invalid(self, uid: int, tid: int) -> None:
        """Op 31: the member resets and will send a new key package (re-added then)."""
        self.invalid.append((uid, tid))

    async def downgrade(self) -> int:
        """Move the channel to protocol 0 (as when a client without DAVE joins); returns the
        transition id, executed once every member is ready."""
        tid = self._next_tid()
        users = set(self.members)
        self.transitions[tid] = Transition(tid, 0, set(users), set(users))
        for uid in users:
            await self.members[uid].send_json(PREPARE_TRANSITION,
                                              {"protocol_version": 0, "transition_id": tid})
        return tid

    async def _broadcast(self, op: int, payload: bytes) -> None:
        for member in self.members.values():
            await member.send_binary(op, payload)
