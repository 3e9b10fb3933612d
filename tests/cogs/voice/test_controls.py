"""Skip, stop, backlog speed-up, and reading a channel aloud, heard at the fake voice server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cogs.voice import _reader
from storage.models import GuildSettings, UserSettings
from tests.fakes.discord import payloads
from tts_engine import LocalEngine

from ._readaloud_helpers import texts
from .conftest import WAIT_S, VoiceHarness

#: Ten sentences: several engine chunks, so synthesis is still running when it is skipped
#: (numbers in words: digits would be read, and queued, as words).
STORY = " ".join(f"Sentence number {n} goes on for a little while." for n in (
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"))
MARK = "Done."


async def test_skip_cuts_the_current_utterance_and_its_synthesis(
        harness: VoiceHarness, engine: LocalEngine) -> None:
    h = harness
    await h.join()
    await h.slash(h.alice, "say", text=STORY)
    await h.voice.wait_until(lambda: len(h.voice.packets) >= 10, WAIT_S)
    story = h.player.current
    assert story is not None and story.buffer is not None
    skip = await h.slash(h.alice, "skip")
    assert skip.callbacks[0].json["data"]["content"] == "Skipped."
    await h.slash(h.alice, "say", text=MARK)
    cut, mark = await h.voice.wait_utterances(2, within=WAIT_S)
    one = await engine.synthesize(engine.validate(STORY.split(". ")[0] + "."))
    assert cut.duration < 2.0  # about when /skip arrived, not the ~10 sentences
    assert story.cancel.is_set() and story.task is not None and story.task.done()
    assert story.buffer.pushed * 0.02 < 5 * one.duration  # synthesis stopped early
    done = await engine.synthesize(engine.validate(MARK))
    assert (await h.speech_s(1, mark)) == pytest.approx(done.duration, abs=0.1)


async def test_stop_clears_the_queue(harness: VoiceHarness, engine: LocalEngine) -> None:
    h = harness
    await h.join()
    for text in (STORY, "First queued.", "Second queued."):
        await h.slash(h.alice, "say", text=text)
    await h.voice.wait_until(lambda: len(h.voice.packets) >= 10, WAIT_S)
    stop = await h.slash(h.alice, "stop")
    assert stop.callbacks[0].json["data"]["content"] == "Stopped; 3 cleared."
    await h.slash(h.alice, "say", text=MARK)
    heard = await h.voice.wait_utterances(2, within=WAIT_S)
    done = await engine.synthesize(engine.validate(MARK))
    # Only the cut story and the marker: the two queued texts never played.
    assert len(heard) == 2
    assert (await h.speech_s(1, heard[1])) == pytest.approx(done.duration, abs=0.1)
    assert [u.text for u in await h.played(2)] == [STORY, MARK]


async def test_a_backed_up_queue_is_read_faster(
        make_voice_harness: object, engine: LocalEngine) -> None:
    h: VoiceHarness = await make_voice_harness(backlog_threshold=1, max_speedup=1.15)  # type: ignore[operator]
    await h.join()
    first = " ".join(STORY.split(". ")[:2])
    # Queued all at once (as a burst of channel messages would be).
    for text in (first, *(f"Queued message {n}." for n in range(4))):
        h.manager.enqueue(h.guild.id, engine.validate(text))
    heard = await h.voice.wait_utterances(5, within=WAIT_S * 2)
    speeds = [u.speed for u in await h.played(5)]
    # The first started alone; the next had three behind it (capped); the last none.
    assert speeds[0] == 1.0
    assert speeds[1] == pytest.approx(1.15)
    assert speeds[-1] == 1.0
    assert len(heard) == 5
    # (The test checkpoint pins 3 frames per phoneme, so speed barely changes its durations.)


async def test_channel_messages_are_read_cleaned_in_each_members_voice(
        harness: VoiceHarness, engine: LocalEngine) -> None:
    h = harness
    await h.server_settings(read_channel_ids=[h.guild.text_channel_id])
    await UserSettings.create(user_id=str(h.alice), voice="am_adam")
    await h.join()
    await h.message(h.alice, f"hey <@{h.bob}> look https://example.com/x", name="alice",
                    mentions={h.bob: "bob"})
    await h.message(h.bob, "!not read", name="bob")
    await h.message(h.bob, "a bot wrote this", bot=True, name="robot")
    await h.message(h.alice, "again", name="alice")
    await h.message(h.bob, "me too", name="bob")
    heard = await h.voice.wait_utterances(3, within=WAIT_S)
    played = [(u.text, u.request.voice) for u in await h.played(3)]
    assert played == [("alice said, hey bob look a link", "am_adam"),
                      ("again", "am_adam"),
                      ("bob said, me too", "af_heart")]
    again = await engine.synthesize(engine.validate("again", voice="am_adam"))
    assert (await h.speech_s(1, heard[1])) == pytest.approx(again.duration, abs=0.1)
    assert len(heard) == 3


async def test_messages_are_queued_in_the_order_sent_when_lookups_finish_out_of_order(
        harness: VoiceHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness
    await h.server_settings(read_channel_ids=[h.guild.text_channel_id],
                               announce_names=False)
    await h.join()
    real = _reader.resolve_defaults

    async def slow_for_alice(user_id: int, *args: Any) -> Any:
        if user_id == h.alice:  # alice's settings take longer to load than bob's
            await asyncio.sleep(0.5)
        return await real(user_id, *args)

    monkeypatch.setattr(_reader, "resolve_defaults", slow_for_alice)
    await h.message(h.alice, "first", name="alice")
    await h.message(h.bob, "second", name="bob")
    await h.voice.wait_utterances(2, within=WAIT_S)
    assert [u.text for u in await h.played(2)] == ["first", "second"]


async def test_other_channels_are_not_read_and_auto_join_follows_the_writer(
        harness: VoiceHarness) -> None:
    h = harness
    await h.server_settings(read_channel_ids=[h.guild.text_channel_id],
                               auto_join=True, announce_names=False)
    await h.message(h.bob, "bob is not in voice", name="bob")  # no auto-join for him
    await h.message(h.alice, "read me", name="alice")
    [utt] = await h.voice.wait_utterances(1, within=WAIT_S)
    assert h.player.voice_client.channel.id == h.guild.voice_channel_id
    assert [u.text for u in await h.played(1)] == ["read me"]
    assert utt.audible > 0.2


async def test_readaloud_is_for_managers_and_turns_reading_on(harness: VoiceHarness) -> None:
    h = harness
    denied = await h.fake.slash(h.guild, h.alice, "readaloud", {})
    assert "Manage Server" in (await denied.response()).json["data"]["content"]
    assert await GuildSettings.get_or_none(guild_id=h.guild.id) is None
    text_id = str(h.guild.text_channel_id)
    channel = {"id": text_id, "type": 0, "name": "general", "guild_id": str(h.guild.id),
               "permissions": str(payloads.ALL_PERMISSIONS)}
    data = {"id": str(payloads.snowflake()), "name": "readaloud", "type": 1,
            "guild_id": str(h.guild.id), "resolved": {"channels": {text_id: channel}},
            "options": [{"name": "channel", "type": 7, "value": text_id},
                        {"name": "announce_names", "type": 5, "value": False}]}
    ia = await h.fake.send_interaction(
        h.guild, h.alice, 2, data, permissions=payloads.MANAGE_GUILD | payloads.MEMBER_PERMISSIONS)
    content = (await ia.response()).json["data"]["content"]
    assert f"<#{h.guild.text_channel_id}>" in content and "Announce names: off" in content
    await h.join()
    await h.message(h.alice, "now read", name="alice")
    await h.voice.wait_utterances(1, within=WAIT_S)
    assert [u.text for u in await h.played(1)] == ["now read"]


async def test_a_mention_is_read_as_sent_even_when_the_message_changes_meanwhile(
        harness: VoiceHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness
    await h.server_settings(read_channel_ids=[h.guild.text_channel_id],
                               announce_names=False)
    await h.join()
    lookups_done = asyncio.Event()
    real = _reader.resolve_defaults

    async def held(user_id: int, *args: Any) -> Any:
        await lookups_done.wait()  # the database answers late (as PostgreSQL may)
        return await real(user_id, *args)

    monkeypatch.setattr(_reader, "resolve_defaults", held)
    sent = await h.message(h.alice, f"hey <@{h.bob}>", name="alice", mentions={h.bob: "bob"})
    # Meanwhile Discord updates the message (an edit, an embed): a cached message would be
    # changed in place, its mentions included.
    updated = asyncio.ensure_future(h.bot.wait_for("raw_message_edit", timeout=WAIT_S))
    await h.fake.dispatch("MESSAGE_UPDATE", dict(sent, content="hey", mentions=[],
                                                 edited_timestamp=payloads.now_iso()),
                          h.guild.id)
    await updated
    lookups_done.set()
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not texts(h):
        assert asyncio.get_running_loop().time() < deadline, "nothing was queued"
        await asyncio.sleep(0.01)
    assert texts(h) == ["hey bob"]
