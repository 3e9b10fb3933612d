"""Joining, leaving and surviving Discord's doings: empty channels, idle time, dropped and
kicked connections, being moved, and the "Play in voice" button of a /tts result."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import pytest

from storage.models import ProjectStatus, TTSProject, request_key
from tests.fakes.discord import payloads
from tts_engine import LocalEngine

from .conftest import WAIT_S, VoiceHarness

VOICE_STATE_UPDATE = 4
STORY = " ".join(f"Part {n} of the story is read aloud now." for n in range(1, 5))
MARK = "Done."
MakeHarness = Callable[..., Awaitable[VoiceHarness]]


def left(h: VoiceHarness) -> Callable[[], bool]:
    """The bot asked Discord to leave voice, and no player is left behind."""
    def check() -> bool:
        guild = h.bot.get_guild(h.guild.id)
        return any(f.op == VOICE_STATE_UPDATE and f.d.get("channel_id") is None
                   for f in h.fake.frames) and not h.manager.players and \
            guild is not None and guild.voice_client is None
    return check


async def test_join_needs_the_caller_in_voice(harness: VoiceHarness) -> None:
    h = harness
    ia = await h.slash(h.bob, "join")
    assert ia.callbacks[0].json["data"]["content"] == "Join a voice channel first, then try again."
    assert h.manager.player(h.guild.id) is None


async def test_join_from_another_channel_does_not_take_the_bot_from_its_listeners(
        harness: VoiceHarness) -> None:
    h = harness
    await h.join()  # alice listens in the first voice channel
    await h.move(h.bob, "bob", h.other_voice_id)
    await h.until(lambda: any(
        m.id == h.bob for m in h.bot.get_channel(h.other_voice_id).members))  # type: ignore
    ia = await h.slash(h.bob, "join")
    answer = ia.callbacks[0].json["data"]["content"]
    assert answer.startswith(f"I'm already speaking in <#{h.guild.voice_channel_id}>")
    assert h.player.voice_client.channel.id == h.guild.voice_channel_id
    ia = await h.fake.slash(h.guild, h.bob, "join", {},  # a manager may move it anyway
                            permissions=payloads.MANAGE_GUILD | payloads.MEMBER_PERMISSIONS)
    await ia.response(within=WAIT_S)
    await h.fake.wait_until(lambda: bool(ia.followups), WAIT_S)
    assert ia.followups[0].json["content"] == f"Joined <#{h.other_voice_id}>."


async def test_bot_leaves_when_the_last_human_leaves(harness: VoiceHarness) -> None:
    h = harness
    await h.join()
    await h.move(h.alice, "alice", None)
    await h.until(left(h))


async def test_bot_leaves_after_the_idle_timeout(make_voice_harness: MakeHarness) -> None:
    h = await make_voice_harness(idle_timeout_s=0.5)
    await h.join()
    await h.until(left(h))


async def test_leave_command_disconnects_and_a_new_join_works(harness: VoiceHarness) -> None:
    h = harness
    await h.join()
    await h.slash(h.alice, "leave")
    await h.until(left(h))
    await h.join()
    await h.slash(h.alice, "say", text=MARK)
    [utt] = await h.voice.wait_utterances(1, within=WAIT_S)
    assert utt.audible > 0.2


async def test_dropped_connection_mid_utterance_reconnects_and_finishes_it(
        harness: VoiceHarness, engine: LocalEngine) -> None:
    h = harness
    await h.join()
    await h.slash(h.alice, "say", text=STORY)
    await h.slash(h.alice, "say", text=MARK)
    await h.voice.wait_until(lambda: len(h.voice.packets) >= 25, WAIT_S)
    await h.voice.drop(4006)  # session no longer valid: discord.py reconnects from scratch
    story, mark = await h.voice.wait_utterances(2, within=WAIT_S * 2)
    assert not h.voice.errors
    assert len(story.ssrcs) == 2  # the rest of it came over the new connection
    full = await engine.synthesize(engine.validate(STORY))
    # Nothing was cut: the player waited for the reconnect instead of dropping audio.
    assert (await h.speech_s(0, story)) == pytest.approx(full.duration, abs=0.1)
    done = await engine.synthesize(engine.validate(MARK))
    assert (await h.speech_s(1, mark)) == pytest.approx(done.duration, abs=0.1)
    assert len(h.manager.players) == 1


async def test_kicked_mid_utterance_leaves_no_zombie_and_can_rejoin(
        harness: VoiceHarness) -> None:
    h = harness
    await h.join()
    await h.slash(h.alice, "say", text=STORY)
    await h.voice.wait_until(lambda: len(h.voice.packets) >= 10, WAIT_S)
    story = h.player.current
    assert story is not None
    await h.move(h.fake.bot_user_id, "TTS Bot", None)  # a moderator disconnects the bot
    await h.voice.drop(4014)
    await h.until(left(h))
    assert story.cancel.is_set()
    await h.join()
    start = len(h.voice.packets)
    await h.slash(h.alice, "say", text=MARK)
    [utt] = await h.voice.wait_utterances(1, start=start, within=WAIT_S)
    assert utt.audible > 0.2


async def test_moved_bot_keeps_its_queue_in_the_new_channel(
        harness: VoiceHarness, engine: LocalEngine) -> None:
    h = harness
    await h.join()
    await h.slash(h.alice, "say", text=STORY)
    await h.slash(h.alice, "say", text=MARK)
    await h.voice.wait_until(lambda: len(h.voice.packets) >= 10, WAIT_S)
    player = h.player
    await h.move(h.alice, "alice", h.other_voice_id)
    await h.move(h.fake.bot_user_id, "TTS Bot", h.other_voice_id)
    await h.fake.dispatch("VOICE_SERVER_UPDATE", {
        "token": h.voice.token, "guild_id": str(h.guild.id), "endpoint": h.voice.endpoint},
        h.guild.id)
    story, mark = await h.voice.wait_utterances(2, within=WAIT_S * 2)
    assert h.player is player and len(h.manager.players) == 1
    assert player.voice_client.channel.id == h.other_voice_id
    assert len(h.voice.sessions) == 2 and story.ssrcs[-1] == mark.ssrcs[0]
    done = await engine.synthesize(engine.validate(MARK))
    assert (await h.speech_s(1, mark)) == pytest.approx(done.duration, abs=0.1)


async def test_play_in_voice_button_reads_a_finished_project(harness: VoiceHarness,
                                                             engine: LocalEngine) -> None:
    h = harness
    text, voice = "A finished project.", "bf_emma"
    project = await TTSProject.create(
        id=uuid.uuid4(), user_id=str(h.alice), text=text, voice=voice, speed=1.0,
        lang_code="b", request_key=request_key(text, voice, 1.0, "b"),
        status=ProjectStatus.COMPLETED, progress=100, guild_id=h.guild.id)
    message_id, custom_id = payloads.snowflake(), f"tts:play:{project.id.hex}"
    button = {"type": 2, "style": 2, "label": "Play in voice", "custom_id": custom_id}
    h.fake.messages[message_id] = payloads.message(  # the /tts reply, with its button
        message_id, h.guild.text_channel_id, h.fake.bot_user, "Done",
        guild_id=str(h.guild.id), components=[{"type": 1, "components": [button]}])
    ia = await h.fake.click(h.guild, h.alice, message_id, custom_id)
    await ia.response(within=WAIT_S)
    [utt] = await h.voice.wait_utterances(1, within=WAIT_S)
    expected = await engine.synthesize(engine.validate(text, voice=voice, lang="b"))
    assert (await h.speech_s(0, utt)) == pytest.approx(expected.duration, abs=0.1)
    assert (await h.played(1))[0].request.voice == voice
