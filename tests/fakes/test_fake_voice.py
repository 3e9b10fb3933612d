"""The fake voice server against discord.py's real VoiceClient: what is played is what the fake
hears."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import aiohttp
import discord
import numpy as np
import pytest

from bot.client import bot_intents
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_voice import FakeVoiceServer, decrypt

WAIT_S = 30.0


def tone(seconds: float, freq: float = 440.0, rate: int = 48000) -> bytes:
    """A stereo s16le sine tone."""
    t = np.arange(int(seconds * rate)) / rate
    mono = (np.sin(2 * np.pi * freq * t) * 12000).astype("<i2")
    return np.repeat(mono, 2).tobytes()


@pytest.fixture
async def client(fake_discord: FakeDiscord, fake_voice: FakeVoiceServer
                 ) -> AsyncIterator[discord.Client]:
    bot = discord.Client(intents=bot_intents(),
                         connector=aiohttp.TCPConnector(ssl=fake_voice.client_ssl))
    await bot.login(fake_discord.token)
    task = asyncio.create_task(bot.connect(reconnect=False))
    await asyncio.wait_for(bot.wait_until_ready(), WAIT_S)
    yield bot
    await bot.close()
    await asyncio.gather(task, return_exceptions=True)


async def test_played_tone_arrives_decrypted_with_its_pitch_and_length(
        client: discord.Client, fake_voice: FakeVoiceServer, fake_discord: FakeDiscord) -> None:
    guild = client.guilds[0]
    channel = guild.voice_channels[0]
    vc = await channel.connect(timeout=WAIT_S)
    assert vc.is_connected()
    [session] = fake_voice.sessions
    assert session.mode == "aead_xchacha20_poly1305_rtpsize"
    assert session.identify["user_id"] == str(fake_discord.bot_user_id)
    assert session.identify["max_dave_protocol_version"] >= 1

    vc.play(discord.PCMAudio(io.BytesIO(tone(1.0))))
    [utt] = await fake_voice.wait_utterances(1, within=WAIT_S)
    assert not fake_voice.errors
    assert utt.duration == pytest.approx(1.0, abs=0.06)
    spectrum = np.abs(np.fft.rfft(utt.samples.astype(np.float64)))
    peak_hz = np.argmax(spectrum) * 48000 / len(utt.samples)
    assert peak_hz == pytest.approx(440, abs=5)
    sequences = [p.sequence for p in utt.packets]
    assert sequences == sorted(sequences)
    await vc.disconnect()


def test_decrypt_rejects_a_tampered_packet() -> None:
    import nacl.secret

    key = bytes(range(32))
    header = bytes([0x80, 0x78]) + bytes(10)
    nonce = (7).to_bytes(4, "big") + bytes(20)
    body = nacl.secret.Aead(key).encrypt(b"opus", header, nonce).ciphertext
    packet = header + body + nonce[:4]
    assert decrypt(packet, key) == (b"opus", 7)
    tampered = bytes([0x80, 0x78, 1]) + packet[3:]
    with pytest.raises(nacl.exceptions.CryptoError):
        decrypt(tampered, key)
