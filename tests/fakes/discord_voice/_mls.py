"""The voice gateway's side of DAVE's MLS: an external sender and the reading of what members send.

The MLS structures come from the `rfc9420` package: the gateway signs its Add and Remove
proposals with its own P-256 key as the group's one external sender (RFC 9420 §12.1.8), reads
members' key packages (checking their signature and that the basic credential is the user's
snowflake), and reads the public commits members send to learn their epoch and the proposals
they reference. It never holds group secrets, as Discord's gateway does not.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec
from rfc9420.backends.crypto import DefaultCryptoProvider
from rfc9420.codec.tls import write_opaque_varint, write_uint16
from rfc9420.crypto.ciphersuites import CipherSuiteId
from rfc9420.messages.data_structures import (
    AddProposal,
    Commit,
    ProposalOrRefType,
    RemoveProposal,
    SenderType,
)
from rfc9420.messages.key_packages import KeyPackage
from rfc9420.messages.messages import (
    AuthenticatedContent,
    ContentType,
    MLSMessage,
    WireFormat,
    sign_authenticated_content,
)
from rfc9420.messages.refs import make_proposal_ref

#: DAVE v1's MLS ciphersuite: DHKEMP256_AES128GCM_SHA256_P256.
CIPHERSUITE = CipherSuiteId.MLS_128_DHKEMP256_AES128GCM_SHA256_P256
BASIC_CREDENTIAL = 1
APPEND, REVOKE = 0, 1


class MLSError(ValueError):
    """A member sent an MLS message the gateway refuses."""


@dataclass(frozen=True)
class Proposal:
    """One external proposal in flight: the MLSMessage members receive, and its reference."""

    message: bytes
    ref: bytes
    kind: str  # "add" or "remove"
    user_id: int


@dataclass(frozen=True)
class CommitMessage:
    """What the gateway can read of a member's commit (op 28)."""

    commit: bytes  # the MLSMessage, forwarded unchanged in op 29
    welcome: bytes | None  # the Welcome that followed it, if any
    epoch: int
    sender_leaf: int
    refs: tuple[bytes, ...]
    inline_proposals: int


def group_id(channel_id: int) -> bytes:
    """DAVE's MLS group id: the channel snowflake, 8 bytes big-endian."""
    return channel_id.to_bytes(8, "big")


class ExternalSender:
    """The gateway's signing identity in every group it serves."""

    def __init__(self, identity: bytes = b"fake-voice-gateway") -> None:
        self.crypto = DefaultCryptoProvider(CIPHERSUITE)
        key = ec.generate_private_key(ec.SECP256R1())
        self._private = key.private_numbers().private_value.to_bytes(32, "big")
        self.public = self.crypto.signature_public_from_private(self._private)
        self.identity = identity

    @property
    def package(self) -> bytes:
        """The ExternalSender struct of op 25: signature key, then a basic credential."""
        return (write_opaque_varint(self.public) + write_uint16(BASIC_CREDENTIAL)
                + write_opaque_varint(self.identity))

    def add(self, channel_id: int, epoch: int, key_package: bytes, user_id: int) -> Proposal:
        """An external Add proposal of `key_package` for the group's `epoch`."""
        return self._propose(channel_id, epoch, AddProposal(key_package).serialize(), "add",
                             user_id)

    def remove(self, channel_id: int, epoch: int, leaf: int, user_id: int) -> Proposal:
        """An external Remove proposal of the member at `leaf`."""
        return self._propose(channel_id, epoch, RemoveProposal(leaf).serialize(), "remove",
                             user_id)

    def _propose(self, channel_id: int, epoch: int, body: bytes, kind: str,
                 user_id: int) -> Proposal:
        plain = sign_authenticated_content(
            group_id=group_id(channel_id), epoch=epoch, sender_leaf_index=0,
            authenticated_data=b"", content_type=ContentType.PROPOSAL, content=body,
            signing_private_key=self._private, crypto=self.crypto, group_context=None,
            wire_format=WireFormat.PUBLIC_MESSAGE, sender_type=SenderType.EXTERNAL)
        message = MLSMessage.from_public_message(plain.auth_content).serialize()
        # A ProposalRef hashes the AuthenticatedContent: the wire format and the PublicMessage
        # (an external sender's carries no membership tag), i.e. the MLSMessage less its version.
        ref = make_proposal_ref(self.crypto, message[2:])
        return Proposal(message, ref, kind, user_id)

    def read_key_package(self, data: bytes, user_id: int) -> bytes:
        """Check a member's key package (op 26) as the gateway does; returns it unchanged."""
        try:
            package = KeyPackage.deserialize(data)
            package.verify(self.crypto)
        except Exception as exc:
            raise MLSError(f"bad key package from {user_id}: {exc}") from exc
        credential = package.leaf_node.credential if package.leaf_node else None
        if credential is None or credential.identity != user_id.to_bytes(8, "big"):
            raise MLSError(f"key package of {user_id} names another user")
        return data

    @staticmethod
    def read_commit(data: bytes) -> CommitMessage:
        """Split op 28's payload into the commit MLSMessage and the Welcome after it."""
        try:
            _version, wire_format = struct.unpack_from(">HH", data, 0)
            if wire_format != WireFormat.PUBLIC_MESSAGE:
                raise MLSError(f"commit sent as wire format {wire_format}, not public")
            content = AuthenticatedContent.deserialize(data[4:])
            framed = content.tbs.framed_content
            if framed.content_type != ContentType.COMMIT:
                raise MLSError(f"op 28 carried content type {framed.content_type}")
            commit = Commit.deserialize(framed.content)
        except MLSError:
            raise
        except Exception as exc:
            raise MLSError(f"unreadable commit: {exc}") from exc
        size = 4 + len(content.serialize())
        refs = tuple(p.reference for p in commit.proposals
                     if p.typ == ProposalOrRefType.REFERENCE and p.reference is not None)
        return CommitMessage(data[:size], data[size:] or None, framed.epoch,
                             framed.sender.sender, refs, len(commit.proposals) - len(refs))


def proposals_payload(proposals: list[Proposal], revoke: bool = False) -> bytes:
    """Op 27's body: the operation type, then the MLSMessages (or, to revoke, their refs)."""
    if revoke:
        items = b"".join(write_opaque_varint(p.ref) for p in proposals)
        return bytes([REVOKE]) + write_opaque_varint(items)
    return bytes([APPEND]) + write_opaque_varint(b"".join(p.message for p in proposals))
