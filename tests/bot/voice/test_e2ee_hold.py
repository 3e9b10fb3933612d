"""The voice client never sends audio without end-to-end encryption where Discord asked for DAVE:
it holds a frame while the group forms, then drops frames until it has."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import discord
import pytest

from bot.voice import manager
from bot.voice.manager import TrackedVoiceClient


@dataclass
class State:
    """What the client reads of discord.py's connection state."""

    dave_protocol_version: int = 1
    can_encrypt: bool = False


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> tuple[TrackedVoiceClient, list[bytes]]:
    """The client over a stub connection; `sent` gets what reached discord.py's sender, which
    fails the test if a frame reaches it while DAVE is on and there are no keys yet."""
    sent: list[bytes] = []

    def send(self: TrackedVoiceClient, data: bytes, *, encode: bool = True) -> None:
        state = self._connection
        if state.dave_protocol_version and not state.can_encrypt and \
                data != discord.opus.OPUS_SILENCE:
            raise AssertionError(f"{data!r} sent without end-to-end encryption")
        sent.append(data)
    monkeypatch.setattr(discord.VoiceClient, "send_audio_packet", send)
    vc = TrackedVoiceClient.__new__(TrackedVoiceClient)
    vc._dave_held_since = None
    vc._connection = State()  # type: ignore[assignment]
    monkeypatch.setattr(TrackedVoiceClient, "guild", property(lambda self: discord.Object(1)))
    return vc, sent


def test_sends_when_encrypting_or_without_dave(client) -> None:
    vc, sent = client
    vc._connection.can_encrypt = True
    vc.send_audio_packet(b"a")
    vc._connection.can_encrypt, vc._connection.dave_protocol_version = False, 0
    vc.send_audio_packet(b"b")
    assert sent == [b"a", b"b"]


def test_holds_the_frame_until_the_group_is_ready(client) -> None:
    vc, sent = client
    ready = threading.Timer(0.1, lambda: setattr(vc._connection, "can_encrypt", True))
    ready.start()
    vc.send_audio_packet(b"speech")
    ready.join()
    assert sent == [b"speech"]


def test_drops_frames_when_the_group_never_forms_but_lets_the_end_marker_through(
        client, monkeypatch: pytest.MonkeyPatch) -> None:
    vc, sent = client
    monkeypatch.setattr(manager, "DAVE_HOLD_S", 0.05, raising=False)
    vc.send_audio_packet(b"one")  # held 50 ms, then dropped
    vc.send_audio_packet(b"two")  # dropped at once: the hold is spent
    vc.send_audio_packet(discord.opus.OPUS_SILENCE, encode=False)
    assert sent == [discord.opus.OPUS_SILENCE]
    vc._connection.can_encrypt = True
    vc.send_audio_packet(b"three")
    assert sent[-1] == b"three" and vc._dave_held_since is None
