"""The bot's voice under DAVE, end to end: the bot (real discord.py, real engine) speaks in a
channel where Discord asks for end-to-end encryption, and a member of the channel who is a real
DAVE client (`davey`) decrypts it and hears what the engine said, while members join and leave,
the bot is moved, and the channel falls back to transport encryption."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import davey
import numpy as np
import pytest

from tests.cogs.voice.conftest import WAIT_S, VoiceHarness
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_voice import (
    DaveGroup,
    DaveListener,
    FakeVoiceServer,
    ReceivedPacket,
    Utterance,
    waveform_match,
)
from tests.fakes.discord_voice._audio import SILENCE_RMS
from tts_engine import LocalEngine

LONG = "The quick brown fox jumps over the lazy dog, and then it runs far away."
MARK = "Done."
#: Bound for spoken utterances to finish: synthesis on two shared cores can lag far behind.
SPEECH_S = WAIT_S * 3


def loud(packet: ReceivedPacket) -> bool:
    """Whether a decoded frame has sound in it (not the silence a lagging source pads with)."""
    pcm = np.frombuffer(packet.pcm, "<i2").astype(np.float64)
    return len(pcm) > 0 and float(np.sqrt(np.mean(pcm ** 2))) > SILENCE_RMS


@pytest.fixture
async def fake_voice() -> AsyncIterator[FakeVoiceServer]:
    """A voice server that asks for DAVE v1 (overrides the plain one)."""
    server = FakeVoiceServer(dave_version=1)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def harness(make_voice_harness: Callable[..., Awaitable[VoiceHarness]]) -> VoiceHarness:
    """A connected bot with default voice settings."""
    return await make_voice_harness()


@pytest.fixture(autouse=True)
def _channels_from_discord(fake_discord: FakeDiscord, fake_voice: FakeVoiceServer) -> None:
    """The voice server learns each session's channel from the fake Discord's voice states."""
    fake_voice.channel_of = fake_discord.voice_channel


async def expected(engine: LocalEngine, text: str) -> np.ndarray:
    return (await engine.synthesize(engine.validate(text))).samples


async def settled(h: VoiceHarness, group: DaveGroup, epoch: int) -> None:
    """Wait until `group` reached `epoch` and its transition was executed."""
    try:
        await h.voice.wait_until(lambda: group.epoch == epoch and group.executed(
            group.commits[-1].transition_id), WAIT_S)
    except TimeoutError:
        raise AssertionError(
            f"channel {group.channel_id} at epoch {group.epoch}, not {epoch}: members "
            f"{list(group.members)}, leaves {group.leaves}, pending "
            f"{[(p.kind, p.user_id) for p in group.pending]}, commits {group.commits}, "
            f"ignored {group.ignored}, invalid {group.invalid}, errors {group.errors}, "
            f"transitions {group.transitions}; sessions "
            f"{[(s.ssrc, s.channel_id, s.ws.closed) for s in h.voice.sessions]}") from None


async def joined(h: VoiceHarness, commits: bool = True) -> tuple[DaveListener, DaveGroup]:
    """alice's DAVE client is in the voice channel; the bot joins it and the group forms."""
    alice = await h.voice.add_listener(h.alice, h.guild.voice_channel_id, commits=commits)
    await h.join()
    group = h.voice.group(h.guild.voice_channel_id)
    await settled(h, group, 1)
    return alice, group


def assert_private(h: VoiceHarness, *listeners: DaveListener) -> None:
    """Everything the bot sent reached the members end-to-end encrypted, and nothing failed."""
    for listener in listeners:
        assert not listener.plain, f"{len(listener.plain)} frames without E2EE to {listener}"
        assert not listener.errors
    for group in h.voice.groups.values():
        assert not group.errors and not group.invalid
    assert not h.voice.errors


async def wait_heard(h: VoiceHarness, listener: DaveListener, count: int, start: int = 0,
                     within: float = SPEECH_S) -> list[Utterance]:
    """The first `count` complete utterances `listener` heard (since its packet `start`)."""
    def done() -> bool:
        return sum(u.complete for u in listener.utterances(start)) >= count
    try:
        await h.voice.wait_until(done, within)
    except TimeoutError:
        raise AssertionError(
            f"{listener.user_id} heard {len(listener.packets)} packets, plain "
            f"{len(listener.plain)}, missed {listener.missed}, undecryptable "
            f"{listener.undecryptable[:3]} ({len(listener.undecryptable)}), errors "
            f"{listener.errors}; server {len(h.voice.packets)} {h.voice.errors}; groups "
            f"{[(g.epoch, g.errors, g.ignored, g.invalid) for g in h.voice.groups.values()]}"
        ) from None
    return [u for u in listener.utterances(start) if u.complete][:count]


async def test_bot_joining_a_dave_channel_is_heard_by_a_member(
        harness: VoiceHarness, engine: LocalEngine) -> None:
    h = harness
    alice, group = await joined(h)
    bot = h.fake.bot_user_id
    # alice was there first: her commit added the bot, who joined by the welcome.
    assert group.commits[0].user_id == h.alice and group.commits[0].added == [bot]
    assert sorted(group.in_group) == sorted([h.alice, bot])

    await h.slash(h.alice, "say", text=LONG)
    [heard] = await wait_heard(h, alice, 1)
    [sent] = await h.voice.wait_utterances(1, within=SPEECH_S)
    assert all(p.e2ee for p in sent.packets)  # the voice server heard none of it
    assert len(heard.packets) == len(sent.packets) and not alice.undecryptable
    assert waveform_match(heard.samples, await expected(engine, LONG)) > 0.5
    assert_private(h, alice)


async def test_member_joining_and_leaving_mid_utterance_moves_the_epoch_on(
        harness: VoiceHarness, engine: LocalEngine) -> None:
    h = harness
    alice, group = await joined(h, commits=False)  # the bot's commits are the ones announced
    bot = h.fake.bot_user_id
    await h.slash(h.alice, "say", text=LONG)
    await h.slash(h.alice, "say", text=MARK)
    await h.voice.wait_until(lambda: len(alice.packets) >= 25, WAIT_S)
    assert not alice.utterances()[0].complete  # still speaking

    await h.move(h.bob, "bob", h.guild.voice_channel_id)
    bob = await h.voice.add_listener(h.bob, h.guild.voice_channel_id, commits=False)
    await settled(h, group, 2)
    assert group.commits[-1].user_id == bot and group.commits[-1].added == [h.bob]
    await h.voice.wait_until(lambda: any(loud(p) for p in bob.packets), SPEECH_S)

    await h.voice.remove_listener(bob)
    await h.move(h.bob, "bob", None)
    await settled(h, group, 3)
    assert group.commits[-1].user_id == bot and group.commits[-1].removed == [h.bob]
    after_leave = len(h.voice.packets)

    heard = await wait_heard(h, alice, 2)
    sent = await h.voice.wait_utterances(2, within=SPEECH_S)
    # alice heard every frame through both epoch changes, and it is what the engine said.
    assert [len(u.packets) for u in heard] == [len(u.packets) for u in sent]
    assert not alice.undecryptable
    assert waveform_match(heard[0].samples, await expected(engine, LONG)) > 0.5
    assert waveform_match(heard[1].samples, await expected(engine, MARK)) > 0.5
    # The keys bob kept open none of what the bot sent after he left.
    later = [p for p in h.voice.packets[after_leave:] if p.e2ee]
    assert later
    for packet in later:
        with pytest.raises(ValueError):
            bob.session.decrypt(bot, davey.MediaType.audio, packet.opus)
    assert_private(h, alice, bob)


async def test_moved_bot_forms_a_new_group_and_is_heard_in_the_new_channel(
        harness: VoiceHarness, engine: LocalEngine) -> None:
    h = harness
    alice, old = await joined(h)
    await h.slash(h.alice, "say", text=LONG)
    await h.slash(h.alice, "say", text=MARK)
    await h.voice.wait_until(lambda: len(alice.packets) >= 10, WAIT_S)

    # alice's client leaves the channel: the bot, alone, resets to a group of its own (op 24
    # epoch 1, then a fresh key package)...
    bot = h.fake.bot_user_id
    await h.voice.remove_listener(alice)
    await h.voice.wait_until(lambda: bot in old.key_packages and old.epoch == 0, WAIT_S)
    # ...alice is in the other channel, and the bot is moved after her (within its grace).
    await h.move(h.alice, "alice", h.other_voice_id)
    await h.move(bot, "TTS Bot", h.other_voice_id)
    await h.fake.dispatch("VOICE_SERVER_UPDATE", {
        "token": h.voice.token, "guild_id": str(h.guild.id), "endpoint": h.voice.endpoint},
        h.guild.id)
    alice2 = await h.voice.add_listener(h.alice, h.other_voice_id)
    new = h.voice.group(h.other_voice_id)
    await settled(h, new, 1)
    assert sorted(new.in_group) == sorted([h.alice, bot])
    assert bot not in old.members and old.epoch == 0  # the old group was left behind

    heard = await wait_heard(h, alice2, 2)
    assert h.player.voice_client.channel.id == h.other_voice_id
    assert waveform_match(heard[-1].samples, await expected(engine, MARK)) > 0.5
    assert_private(h, alice2)


async def test_downgrade_to_protocol_0_keeps_the_bot_heard(
        harness: VoiceHarness, engine: LocalEngine) -> None:
    h = harness
    alice, group = await joined(h)
    await h.slash(h.alice, "say", text=LONG)
    await h.slash(h.alice, "say", text=MARK)
    await h.voice.wait_until(lambda: len(alice.packets) >= 25, WAIT_S)
    tid = await group.downgrade()
    await h.voice.wait_until(lambda: group.executed(tid) and alice.protocol_version == 0, WAIT_S)
    assert group.version == 0

    heard = await wait_heard(h, alice, 2)
    sent = await h.voice.wait_utterances(2, within=SPEECH_S)
    kinds = [p.e2ee for u in sent for p in u.packets]
    switch = kinds.index(False)
    assert switch >= 25 and not any(kinds[switch:])  # E2EE, then transport encryption only
    assert sent[1].audible > 0.2  # the server itself hears what came after
    assert [len(u.packets) for u in heard] == [len(u.packets) for u in sent]
    assert not alice.undecryptable
    assert waveform_match(heard[0].samples, await expected(engine, LONG)) > 0.5
    assert waveform_match(heard[1].samples, await expected(engine, MARK)) > 0.5
    assert_private(h, alice)


class PlainEncryptor:
    """A DAVE session whose encryptor lets frames out unencrypted (a broken library)."""

    def __init__(self, session: davey.DaveSession) -> None:
        self._session = session

    def encrypt_opus(self, packet: bytes) -> bytes:
        return packet

    def __getattr__(self, name: str) -> object:
        return getattr(self._session, name)


async def test_a_bot_sending_without_e2ee_fails_the_privacy_check(
        harness: VoiceHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness
    alice, _ = await joined(h)
    # What the suite must catch: the bot in the group, but its audio not end-to-end encrypted.
    state = h.player.voice_client._connection
    monkeypatch.setattr(state, "dave_session", PlainEncryptor(state.dave_session))
    await h.slash(h.alice, "say", text=MARK)
    await h.voice.wait_utterances(1, within=SPEECH_S)
    assert alice.plain and not [p for p in alice.packets if not p.end_marker]
    with pytest.raises(AssertionError, match="without E2EE"):
        assert_private(h, alice)
