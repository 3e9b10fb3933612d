"""What a message costs a bot in thousands of servers: database queries (none where it does
not read, none for a read message once its lookups are cached), a compiled dictionary built
once per change, and per-server state that goes when the bot leaves."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any

import pytest

from bot import dictionary, lookups
from bot.voice.pcm import DiscordPCM
from tests.queries import counting_queries

from ._readaloud_helpers import configure, read_until
from .conftest import WAIT_S, VoiceHarness

WORDS = ("one", "two", "three", "four", "five", "six")


async def _handled(h: VoiceHarness, message_id: str) -> None:
    """Wait until the bot has received message `message_id` and finished every on_message."""
    await h.bot.wait_for("message", check=lambda m: str(m.id) == message_id, timeout=WAIT_S)
    tasks = [t for t in asyncio.all_tasks() if t.get_name() == "discord.py: on_message"]
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), WAIT_S)


async def test_messages_where_the_bot_does_not_read_cost_no_query(harness: VoiceHarness
                                                                  ) -> None:
    h = harness
    with counting_queries() as queries:
        await lookups.warm()  # read at READY already (or being read): no new query
    assert queries == []
    with counting_queries() as queries:
        for n in range(20):
            data = await h.message(h.alice if n % 2 else h.bob, f"just chatting {n}")
            await _handled(h, data["id"])
    # The settings table was read at READY: nothing is read per message.
    assert queries == []
    assert len(h.bot.cogs["VoiceCog"]._read_order) == 0  # type: ignore[attr-defined]


async def test_a_read_message_costs_no_query_once_its_lookups_are_cached(
        make_voice_harness: Any) -> None:
    h = await make_voice_harness(name_repeat_s=0)
    await h.server_settings(read_channel_ids=[h.guild.text_channel_id])
    await h.join()
    await h.message(h.alice, "first", name="alice")
    assert (await read_until(h, "first"))[-1] == "alice said, first"
    with counting_queries() as queries:
        for n in WORDS[:5]:  # numbers in words: digits would be read (and queued) as words
            await h.message(h.alice, f"again {n}", name="alice")
            await read_until(h, f"again {n}")
    assert queries == []
    # A new author: one query for their settings, name and dictionary and the server's.
    await dictionary.put(dictionary.Owner.user(h.bob), "gg", "good game")
    await dictionary.put(dictionary.Owner.guild(h.guild.id), "wp", "well played")
    await h.slash(h.bob, "nickname", name="Robert")
    with counting_queries() as queries:
        await h.message(h.bob, "gg wp", name="bob")
        assert (await read_until(h, "well played"))[-1] == "Robert said, good game well played"
    assert len(queries) == 1, queries
    # A change through a command is heard on the next message.
    await h.slash(h.alice, "nickname", name="Ally")
    await h.message(h.alice, "renamed", name="alice")
    assert (await read_until(h, "renamed"))[-1] == "Ally said, renamed"


async def test_each_dictionary_is_compiled_once_per_change(
        harness: VoiceHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness
    built: list[int] = []
    real = dictionary.layered

    def counting(*layers: Any) -> Any:
        built.append(len(layers))
        return real(*layers)
    monkeypatch.setattr(dictionary, "layered", counting)
    await h.server_settings(read_channel_ids=[h.guild.text_channel_id],
                               announce_names=False)
    await h.join()
    await dictionary.put(dictionary.Owner.guild(h.guild.id), "gg", "good game")
    for n in WORDS:
        await h.message(h.alice, f"gg {n}", name="alice")
    await read_until(h, "good game six")
    before = len(built)
    assert before <= 2  # the user's (empty) and the server's, once each
    await dictionary.put(dictionary.Owner.guild(h.guild.id), "gg", "get good")
    for n in WORDS:
        await h.message(h.alice, f"gg {n} again", name="alice")
    await read_until(h, "get good six again")
    assert len(built) - before == 1  # the changed one only


async def test_a_dictionary_entry_cannot_read_past_the_servers_limit(
        harness: VoiceHarness, caplog: pytest.LogCaptureFixture) -> None:
    h = harness
    caplog.set_level(logging.INFO)
    await h.server_settings(read_channel_ids=[h.guild.text_channel_id],
                               announce_names=False)
    await configure(h, max_seconds=20.0)
    await h.join()
    await dictionary.put(dictionary.Owner.user(h.alice), "x", "y" * 10 + " " + "z" * 189)
    await h.message(h.alice, " ".join(["x"] * 24) + " end", name="alice")
    await h.message(h.alice, " ".join(["x"] * 60) + " end", name="alice")  # 12,000 once replaced
    await h.message(h.alice, "marker", name="alice")
    said = await read_until(h, "marker")
    limit = 20 * 15  # max_seconds at 15 characters a second
    assert [len(t) <= limit for t in said] == [True, True, True]
    assert said[0].startswith("yyyyyyyyyy ") and said[0].endswith("and so on.")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_played_utterances_keep_no_resampler(make_voice_harness: Any) -> None:
    # The player keeps its last utterances (with their buffers) for a while; the native
    # resampler state of each (about 100 KB) must not stay with them: 50 servers speaking
    # held some 100 MB of it.
    h = await make_voice_harness()
    await h.server_settings(read_channel_ids=[h.guild.text_channel_id])
    await h.join()
    for n in WORDS[:3]:
        await h.message(h.alice, f"say {n}", name="alice")
    played = await h.played(3)
    assert [u.buffer is not None and u.buffer.finished for u in played] == [True] * 3
    assert [o for o in gc.get_objects() if type(o) is DiscordPCM] == []


async def test_leaving_forgets_the_server(make_voice_harness: Any) -> None:
    h = await make_voice_harness(idle_timeout_s=2.0)
    await h.server_settings(read_channel_ids=[h.guild.text_channel_id],
                               announce_names=True)
    for way in ("leave", "idle"):
        await h.join()
        await h.message(h.alice, f"hello before {way}", name="alice")
        await read_until(h, f"before {way}")
        manager, cog = h.manager, h.bot.cogs["VoiceCog"]
        if way == "leave":
            await h.slash(h.alice, "leave")
        await manager.wait_until(lambda m=manager: h.guild.id not in m.players, WAIT_S)
        await asyncio.sleep(0)  # the idle player's own clean-up finishes after it is dropped
        gid = h.guild.id
        assert gid not in manager._locks
        assert gid not in manager._leave_timers
        assert gid not in manager.content_notices
        assert not manager.voice_status
        assert not [k for k in manager.announcer._last if k[0] == gid]
        assert gid not in cog._read_order  # type: ignore[attr-defined]
