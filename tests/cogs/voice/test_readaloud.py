"""The read-aloud controls a server sets with /readaloud, each on and off, through discord.py's
real client against the fake Discord: who is read, how, the queue, and the channel status."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from storage.models import UserSettings
from tests.fakes.discord import payloads

from ._readaloud_helpers import (
    configure,
    configure_roles,
    nickname_for,
    read_until,
    voice_state,
)
from .conftest import WAIT_S, VoiceHarness

MakeHarness = Callable[..., Awaitable[VoiceHarness]]
MANAGE_NICKNAMES = payloads.MEMBER_PERMISSIONS | 1 << 27
LONG = " ".join(f"Sentence number {n} goes on for a little while."
                 for n in ("one", "two", "three", "four", "five", "six"))


async def _reading(h: VoiceHarness, announce: bool = False) -> None:
    await h.server_settings(read_channel_ids=[h.guild.text_channel_id],
                               announce_names=announce)
    await h.join()


async def test_who_is_read_bots_prefix_voice_chat_and_self_muted(harness: VoiceHarness) -> None:
    h = harness
    await _reading(h)
    await h.message(h.bob, "from a bot", bot=True, name="robot")
    await h.message(h.bob, "from a webhook", name="hook", webhook_id=str(payloads.snowflake()))
    await h.message(h.bob, "in the voice chat", channel_id=h.guild.voice_channel_id)
    await voice_state(h, h.alice, "alice", self_mute=True)
    await h.message(h.alice, "muted alice")
    await h.message(h.bob, "first mark")
    assert await read_until(h, "first mark") == ["in the voice chat", "muted alice",
                                                 "first mark"]
    answer = await configure(h, read_bots=True, required_prefix="tts:", voice_chat=False,
                             read_self_muted=False)
    assert "prefix: tts:" in answer and "voice channel chat: off" in answer
    await h.message(h.bob, "tts: robot here", bot=True, name="robot")
    await h.message(h.bob, "no prefix here")
    await h.message(h.bob, "tts: in the voice chat again", channel_id=h.guild.voice_channel_id)
    await h.message(h.alice, "tts: muted alice again")
    await h.message(h.bob, "tts: second mark")
    assert (await read_until(h, "second mark"))[3:] == ["robot here", "second mark"]
    assert h.fake.voice_statuses == {}  # the bot may not set the status in this server


async def test_a_role_gated_channel_and_a_priority_role(make_voice_harness: MakeHarness,
                                                        fake_discord: Any) -> None:
    guild_payload = fake_discord.guilds[next(iter(fake_discord.guilds))]
    readers = payloads.role(payloads.snowflake(), "Readers", 0, 1)
    vip = payloads.role(payloads.snowflake(), "VIP", 0, 2)
    guild_payload["roles"] += [readers, vip]
    h = await make_voice_harness()
    await _reading(h)
    answer = await configure_roles(h, required_role=readers, priority_role=vip)
    assert f"Who: <@&{readers['id']}>" in answer and f"priority role: <@&{vip['id']}>" in answer
    reader, both = [int(readers["id"])], [int(readers["id"]), int(vip["id"])]
    await h.message(h.bob, "no role", name="bob")
    await h.message(h.bob, LONG, name="bob", roles=reader)
    await h.message(h.bob, "ordinary one", name="bob", roles=reader)
    await h.message(h.bob, "ordinary two", name="bob", roles=reader)
    await h.message(h.alice, "important", name="alice", roles=both)
    assert await read_until(h, "important") == [LONG, "important", "ordinary one",
                                                "ordinary two"]
    cleared = await h.slash(h.alice, "clear")
    assert cleared.callbacks[0].json["data"]["content"] == "Cleared 3 waiting."
    assert h.player.current is not None and h.player.current.text == LONG
    everyone = payloads.role(h.guild.id, "@everyone", payloads.MEMBER_PERMISSIONS)
    assert "Who: anyone" in await configure_roles(h, required_role=everyone)
    await h.message(h.bob, "no role, now read", name="bob")
    assert (await read_until(h, "now read"))[-1] == "no role, now read"


async def test_how_messages_are_said(make_voice_harness: MakeHarness) -> None:
    h = await make_voice_harness(name_repeat_s=0)
    await _reading(h, announce=True)
    await UserSettings.create(user_id=str(h.alice), voice="am_adam")
    await h.message(h.alice, "soooooo good 👍 <:party_blob:123>", name="alice", nick="Ali")
    [first] = await read_until(h, "party blob")
    assert first == "Ali said, sooo good thumbs up party blob"
    answer = await configure(h, repeat_limit=0, emoji="skip", name_template="{name} says",
                             name_source="display", max_seconds=2.0,
                             allowed_voices="af_heart, bf_emma")
    assert 'emoji: skip; names: "{name} says" with the display name' in answer
    words = "soooooo good 👍 and then a great many more words that go on"
    await h.message(h.alice, words, name="alice", nick="Ali")
    said = (await read_until(h, "and so on."))[-1]
    assert said.startswith("alice says, soooooo good and") and "👍" not in said
    nick = await h.slash(h.alice, "nickname", name="Alice Liddell")
    assert "Alice Liddell" in nick.callbacks[0].json["data"]["content"]
    assert "Manage Nicknames" in await nickname_for(h, h.bob, "Nope", h.alice)
    assert "“Bobby”" in await nickname_for(h, h.alice, "Bobby", h.bob, MANAGE_NICKNAMES)
    await h.message(h.alice, "hello again", name="alice", nick="Ali")
    assert (await read_until(h, "hello again"))[-1] == "Alice Liddell says, hello again"
    played = [*h.player.played, *([h.player.current] if h.player.current else []),
              *h.player.queue]
    assert [u.request.voice for u in played] == ["am_adam", "af_heart", "af_heart"]


async def test_messages_read_the_way_people_write_them(make_voice_harness: MakeHarness) -> None:
    h = await make_voice_harness(name_repeat_s=0)
    await _reading(h, announce=True)
    channel = str(h.guild.text_channel_id)
    image = {"id": str(payloads.snowflake()), "filename": "cat.png", "size": 10, "url": "x",
             "proxy_url": "x", "content_type": "image/png"}
    original = await h.message(h.bob, "look ❤️", name="bob", attachments=[image])
    await read_until(h, "with an image")
    edited = dict(original, content="look again", edited_timestamp=payloads.now_iso())
    await h.fake.dispatch("MESSAGE_UPDATE", edited, h.guild.id)
    await h.message(h.bob, "", name="bob", sticker_items=[
        {"id": str(payloads.snowflake()), "name": "wave", "format_type": 1}])
    await h.message(h.alice, "sure", name="alice", type=19, referenced_message=original,
                    message_reference={"message_id": original["id"], "channel_id": channel})
    snapshot = {"type": 0, "content": "words from elsewhere", "embeds": [], "attachments": [],
                "timestamp": payloads.now_iso(), "edited_timestamp": None, "flags": 0,
                "mentions": [], "mention_roles": []}
    await h.message(h.alice, "", name="alice", message_snapshots=[{"message": snapshot}],
                    message_reference={"type": 1, "message_id": str(payloads.snowflake()),
                                       "channel_id": channel})
    await h.message(h.alice, "", name="alice", type=6)  # "alice pinned a message"
    await h.message(h.bob, "the end", name="bob")
    assert await read_until(h, "the end") == [
        "bob said, look red heart, with an image", "bob said, a sticker: wave",
        "alice replied, sure", "alice forwarded, words from elsewhere", "bob said, the end"]


async def test_without_the_message_content_intent(make_voice_harness: MakeHarness) -> None:
    h = await make_voice_harness(message_content=False)
    await _reading(h)
    answer = await configure(h, voice_chat=True)
    assert "without the message content intent" in answer
    # Discord sends the messages with empty content when the intent is missing.
    await h.message(h.bob, "", name="bob")
    await h.message(h.bob, "", name="bob")
    await h.slash(h.alice, "say", text="still here")
    assert await read_until(h, "still here") == ["still here"]
    notices = [r for r in h.fake.requests if r.method == "POST"
               and r.path == f"/channels/{h.guild.text_channel_id}/messages"]
    assert len(notices) == 1
    assert "message content intent" in notices[0].json["content"]
    assert "/say and /tts still work" in notices[0].json["content"]


async def test_the_voice_channel_status_shows_what_is_read(make_voice_harness: MakeHarness,
                                                          fake_discord: Any) -> None:
    guild_payload = fake_discord.guilds[next(iter(fake_discord.guilds))]
    status_role = payloads.role(payloads.snowflake(), "Status", 1 << 48 | 1 << 10, 1)
    guild_payload["roles"].append(status_role)
    guild_payload["members"][0]["roles"] = [status_role["id"]]  # the bot's member
    h = await make_voice_harness()
    await _reading(h)
    await configure(h, voice_status=False)
    await h.message(h.bob, "status off", name="bob")
    await read_until(h, "status off")
    assert h.fake.voice_statuses == {}
    await configure(h, voice_status=True)
    await h.message(h.bob, "status on", name="bob")
    await h.fake.wait_until(lambda: h.guild.voice_channel_id in h.fake.voice_statuses, WAIT_S)
    assert h.fake.voice_statuses == {h.guild.voice_channel_id: "Reading #general"}
    await h.message(h.bob, "same channel", name="bob")
    await read_until(h, "same channel")
    puts = [r for r in h.fake.requests if r.path.endswith("/voice-status")]
    assert len(puts) == 1  # set once, not again for every message
    await h.slash(h.alice, "leave")
    assert h.fake.voice_statuses == {h.guild.voice_channel_id: None}  # cleared on leaving


async def test_the_voice_channel_status_is_cleared_on_idle_and_kick_and_set_after_a_rejoin(
        make_voice_harness: MakeHarness, fake_discord: Any) -> None:
    guild_payload = fake_discord.guilds[next(iter(fake_discord.guilds))]
    status_role = payloads.role(payloads.snowflake(), "Status", 1 << 48 | 1 << 10, 1)
    guild_payload["roles"].append(status_role)
    guild_payload["members"][0]["roles"] = [status_role["id"]]  # the bot's member
    h = await make_voice_harness(idle_timeout_s=3.0)
    channel = h.guild.voice_channel_id
    await _reading(h)

    async def shown_after(text: str) -> None:
        await h.message(h.bob, text, name="bob")
        await h.fake.wait_until(lambda: h.fake.voice_statuses.get(channel) is not None, WAIT_S)
        assert h.fake.voice_statuses == {channel: "Reading #general"}

    await shown_after("before the idle timeout")
    await h.fake.wait_until(lambda: h.manager.player(h.guild.id) is None, WAIT_S)
    await h.fake.wait_until(lambda: h.fake.voice_statuses.get(channel) is None, WAIT_S)
    await h.join()
    await shown_after("after a rejoin")  # set again: the bot forgot what it had set
    await h.move(h.fake.bot_user_id, "TTS Bot", None)  # a moderator disconnects the bot
    await h.voice.drop(4014)
    await h.fake.wait_until(lambda: h.fake.voice_statuses.get(channel) is None, WAIT_S)
    await h.join()
    await shown_after("after the kick")


async def test_the_stage_audience_is_ignored_unless_the_server_says_otherwise(
        make_voice_harness: MakeHarness, fake_discord: Any) -> None:
    guild_id = next(iter(fake_discord.guilds))
    guild_payload = fake_discord.guilds[guild_id]
    stage_id, carol, dave = payloads.snowflake(), payloads.snowflake(), payloads.snowflake()
    stage = payloads.voice_channel(stage_id, guild_id, "Stage", 3)
    stage["type"] = 13
    guild_payload["channels"].append(stage)
    for uid, name, audience in ((carol, "carol", True), (dave, "dave", False)):
        guild_payload["members"].append(payloads.member(payloads.user(uid, name)))
        state = payloads.voice_state(guild_id, stage_id, uid)
        state["suppress"] = audience
        guild_payload["voice_states"].append(state)
    h = await make_voice_harness()
    await h.server_settings(announce_names=False)
    guild = h.bot.get_guild(h.guild.id)
    assert guild is not None
    await h.manager.join(guild.get_channel(stage_id))  # type: ignore[arg-type]
    await h.message(carol, "from the audience", name="carol", channel_id=stage_id)
    await h.message(dave, "from the stage", name="dave", channel_id=stage_id)
    assert await read_until(h, "from the stage") == ["from the stage"]
    assert "Stage audience ignored: off" in await configure(h, ignore_audience=False)
    await h.message(carol, "audience again", name="carol", channel_id=stage_id)
    assert (await read_until(h, "audience again"))[-1] == "audience again"
