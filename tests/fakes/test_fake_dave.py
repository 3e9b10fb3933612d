"""The fake voice server's DAVE against discord.py's real VoiceClient and a `davey` listener: the
group forms as on Discord, the listener decrypts what is played, and audio sent without
end-to-end encryption while DAVE is on is refused."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import aiohttp
import davey
import discord
import numpy as np
import pytest

from bot.client import bot_intents
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_voice import DaveListener, FakeVoiceServer
from tests.fakes.test_fake_voice import tone

WAIT_S = 30.0


@pytest.fixture
async def fake_voice() -> AsyncIterator[FakeVoiceServer]:
    """A voice server that asks for DAVE v1 (overrides the plain one)."""
    server = FakeVoiceServer(dave_version=1)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(fake_discord: FakeDiscord, fake_voice: FakeVoiceServer
                 ) -> AsyncIterator[discord.Client]:
    fake_voice.channel_of = fake_discord.voice_channel
    bot = discord.Client(intents=bot_intents(),
                         connector=aiohttp.TCPConnector(ssl=fake_voice.client_ssl))
    await bot.login(fake_discord.token)
    task = asyncio.create_task(bot.connect(reconnect=False))
    await asyncio.wait_for(bot.wait_until_ready(), WAIT_S)
    yield bot
    await bot.close()
    await asyncio.gather(task, return_exceptions=True)


def peak_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.argmax(spectrum) * 48000 / len(samples))


async def connect_with_listener(client: discord.Client, voice: FakeVoiceServer,
                                commits: bool = True
                                ) -> tuple[discord.VoiceClient, DaveListener]:
    channel = client.guilds[0].voice_channels[0]
    alice = await voice.add_listener(4242, channel.id, commits=commits)
    vc = await channel.connect(timeout=WAIT_S)
    group = voice.group(channel.id)
    try:
        await voice.wait_until(lambda: bool(group.commits) and group.executed(
            group.commits[-1].transition_id), WAIT_S)
    except TimeoutError:
        raise AssertionError(f"no group: {group.errors} {group.ignored} {group.invalid} "
                             f"{group.commits} {alice.errors} {voice.errors}") from None
    return vc, alice


async def test_a_dave_listener_decrypts_the_tone_the_server_cannot_hear(
        client: discord.Client, fake_voice: FakeVoiceServer) -> None:
    vc, alice = await connect_with_listener(client, fake_voice)
    group = fake_voice.group(vc.channel.id)
    assert group.epoch == 1 and sorted(group.in_group) == sorted([4242, client.user.id])
    assert group.leaves.index(client.user.id) == vc._connection.dave_session.own_leaf_index
    assert vc._connection.dave_session.ready and not group.errors and not group.invalid

    vc.play(discord.PCMAudio(io.BytesIO(tone(1.0))))
    await fake_voice.wait_until(lambda: any(u.complete for u in alice.utterances()), WAIT_S)
    [heard] = alice.utterances()
    assert heard.duration == pytest.approx(1.0, abs=0.06)
    assert peak_hz(heard.samples) == pytest.approx(440, abs=5)
    assert heard.audible > 0.9
    sent = [p for p in fake_voice.packets if not p.end_marker]
    assert sent and all(p.e2ee and not p.pcm for p in sent)  # the server heard nothing
    assert not alice.plain and not alice.undecryptable and not alice.errors
    assert not fake_voice.errors
    await vc.disconnect()


async def test_audio_without_end_to_end_encryption_is_refused_by_the_listener(
        client: discord.Client, fake_voice: FakeVoiceServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    vc, alice = await connect_with_listener(client, fake_voice)
    # A client that joined the group but sends transport-only audio (a broken encryptor).
    monkeypatch.setattr(type(vc._connection), "can_encrypt", property(lambda self: False))
    vc.play(discord.PCMAudio(io.BytesIO(tone(0.5))))
    await fake_voice.wait_until(lambda: len(alice.plain) >= 20, WAIT_S)
    assert not any(p.e2ee for p in fake_voice.packets)
    assert not [p for p in alice.packets if not p.end_marker]  # nothing of it was heard
    await vc.disconnect()


async def test_the_bot_commits_a_member_joining_and_leaving_and_the_leaver_is_locked_out(
        client: discord.Client, fake_voice: FakeVoiceServer) -> None:
    vc, alice = await connect_with_listener(client, fake_voice, commits=False)
    group = fake_voice.group(vc.channel.id)
    bob = await fake_voice.add_listener(4343, vc.channel.id, commits=False)
    await fake_voice.wait_until(lambda: group.epoch == 2 and group.executed(
        group.commits[-1].transition_id), WAIT_S)
    assert group.commits[-1].user_id == client.user.id and group.commits[-1].added == [4343]
    await fake_voice.remove_listener(bob)
    await fake_voice.wait_until(lambda: group.epoch == 3 and group.executed(
        group.commits[-1].transition_id), WAIT_S)
    assert group.commits[-1].removed == [4343] and 4343 not in group.in_group

    start = len(alice.packets)
    vc.play(discord.PCMAudio(io.BytesIO(tone(0.5))))
    await fake_voice.wait_until(lambda: any(u.complete for u in alice.utterances(start)), WAIT_S)
    frames = [p for p in fake_voice.packets if p.e2ee]
    for packet in frames:  # bob's keys are of epoch 2: epoch 3's frames stay closed to him
        with pytest.raises(ValueError):
            bob.session.decrypt(client.user.id, davey.MediaType.audio, packet.opus)
    assert alice.utterances(start)[0].audible > 0.4 and not alice.undecryptable
    await vc.disconnect()


async def test_a_client_without_dave_is_refused_with_4017(
        client: discord.Client, fake_voice: FakeVoiceServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discord.voice_state.VoiceConnectionState, "max_dave_protocol_version",
                        property(lambda self: 0))
    channel = client.guilds[0].voice_channels[0]
    with pytest.raises(discord.ConnectionClosed) as caught:
        await channel.connect(timeout=WAIT_S, reconnect=False)
    assert caught.value.code == 4017 and not fake_voice.sessions
