"""Receiving Discord voice over UDP: IP discovery, RTP parsing, transport decryption, Opus."""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass

import nacl.secret
from discord.opus import OPUS_SILENCE, Decoder

RTP_HEADER = 12
DISCOVERY_SIZE = 74
DISCOVERY_REQUEST, DISCOVERY_RESPONSE = 1, 2
#: The transport mode the fake offers first (discord.py picks the first one it supports).
MODE = "aead_xchacha20_poly1305_rtpsize"
#: The last two bytes of every DAVE protocol frame (the "magic marker").
DAVE_MARKER = b"\xfa\xfa"


def is_dave_frame(opus: bytes) -> bool:
    """Whether a frame is end-to-end encrypted (DAVE): it ends with the magic marker after a
    plausible supplemental-data size (the protocol frame check, without parsing the ranges)."""
    if len(opus) < 13 or opus[-2:] != DAVE_MARKER:
        return False
    size = opus[-3]
    return 11 < size < len(opus)


@dataclass
class ReceivedPacket:
    """One voice packet as the fake received and decoded it."""

    received_at: float  # time.monotonic()
    ssrc: int
    sequence: int
    timestamp: int
    opus: bytes
    #: 48 kHz stereo s16le, 20 ms (3840 bytes) for a normal frame; empty for an end-to-end
    #: encrypted frame the voice server cannot hear.
    pcm: bytes

    @property
    def end_marker(self) -> bool:
        """discord.py sends five of these after each played source ends."""
        return self.opus == OPUS_SILENCE

    @property
    def e2ee(self) -> bool:
        """Whether the payload was a DAVE protocol frame (end-to-end encrypted)."""
        return is_dave_frame(self.opus)


def discovery_response(request: bytes, ip: str, port: int) -> bytes | None:
    """The 74-byte answer to an IP discovery request, or None when `request` is not one."""
    if len(request) != DISCOVERY_SIZE:
        return None
    kind, length, ssrc = struct.unpack_from(">HHI", request, 0)
    if kind != DISCOVERY_REQUEST or length != 70:
        return None
    answer = bytearray(DISCOVERY_SIZE)
    struct.pack_into(">HHI", answer, 0, DISCOVERY_RESPONSE, 70, ssrc)
    address = ip.encode("ascii")
    answer[8:8 + len(address)] = address
    struct.pack_into(">H", answer, DISCOVERY_SIZE - 2, port)
    return bytes(answer)


def header_size(packet: bytes) -> int:
    """The RTP header length the `*_rtpsize` modes authenticate: fixed part, CSRCs and the
    extension's 4-byte preamble (its body is encrypted with the payload)."""
    size = RTP_HEADER + 4 * (packet[0] & 0x0F)
    if packet[0] & 0x10:
        size += 4
    return size


def decrypt(packet: bytes, secret_key: bytes) -> tuple[bytes, int]:
    """The Opus payload of an `aead_xchacha20_poly1305_rtpsize` packet, and the nonce counter.

    Layout: header (associated data) | ciphertext+tag | 4-byte big-endian counter, which padded
    with zeros to 24 bytes is the nonce.
    """
    size = header_size(packet)
    header, body, counter = packet[:size], packet[size:-4], packet[-4:]
    nonce = counter + bytes(20)
    plain = nacl.secret.Aead(secret_key).decrypt(body, header, nonce)
    if packet[0] & 0x10:  # skip the (decrypted) header extension body
        words = struct.unpack_from(">H", packet, size - 2)[0]
        plain = plain[4 * words:]
    return plain, struct.unpack(">I", counter)[0]


class VoiceReceiver:
    """Decrypts and decodes the packets of one SSRC (one voice websocket session)."""

    def __init__(self, ssrc: int, secret_key: bytes) -> None:
        self.ssrc = ssrc
        self.secret_key = secret_key
        self.decoder = Decoder()
        self.last_counter = -1

    def receive(self, packet: bytes) -> ReceivedPacket:
        """Decode one RTP packet; raises on a bad key, a replayed nonce or a foreign SSRC."""
        if packet[1] & 0x7F != 0x78:
            raise ValueError(f"unexpected RTP payload type {packet[1] & 0x7F}")
        sequence, timestamp, ssrc = struct.unpack_from(">HII", packet, 2)
        if ssrc != self.ssrc:
            raise ValueError(f"packet for ssrc {ssrc}, expected {self.ssrc}")
        opus, counter = decrypt(packet, self.secret_key)
        if counter <= self.last_counter:
            raise ValueError(f"nonce counter went back ({counter} after {self.last_counter})")
        self.last_counter = counter
        pcm = b"" if is_dave_frame(opus) else self.decoder.decode(opus, fec=False)
        return ReceivedPacket(time.monotonic(), ssrc, sequence, timestamp, opus, pcm)
