"""A server whose channel backs up: reading speeds up per queued message (a server setting),
and messages past the server's stale age are skipped with one short spoken summary."""

from __future__ import annotations

import asyncio

import pytest

from bot.settings import VoiceSettings
from bot.voice import Overload
from bot.voice.player import GuildPlayer
from tests.cogs.voice._readaloud_helpers import configure, read_until
from tests.fakes.player import DrainingVoiceClient, InstantEngine
from tts_engine import SpeechRequest


def _request(text: str) -> SpeechRequest:
    return SpeechRequest(text=text, voice="af_bella", lang="a", speed=1.0)


@pytest.fixture
def player() -> GuildPlayer:
    engine = InstantEngine(lambda req: 0.1, 0.1)
    return GuildPlayer(engine, DrainingVoiceClient(), VoiceSettings())  # type: ignore[arg-type]


async def _played(player: GuildPlayer, count: int) -> list[str]:
    async with asyncio.timeout(60):
        while len(player.played) < count:  # noqa: ASYNC110 (the player has no event for it)
            await asyncio.sleep(0.01)
    return [u.text for u in player.played]


async def test_stale_messages_are_skipped_with_one_summary(player):
    player.overload = Overload(stale_after_s=30.0)
    for n in range(4):
        old = player.enqueue(_request(f"Old message {n}."), skippable=True)
        old.queued_at -= 45.0  # they waited 45 s behind a long story
    player.enqueue(_request("A fresh message."), skippable=True)
    player.start()
    texts = await _played(player, 2)
    await player.close()
    assert texts == ["And 4 more messages.", "A fresh message."]
    assert player.played[0].request.voice == "af_bella"


async def test_commands_and_fresh_messages_are_never_skipped(player):
    player.overload = Overload(stale_after_s=30.0)
    said = player.enqueue(_request("Said with /say."))  # not a channel message
    said.queued_at -= 45.0
    player.enqueue(_request("A fresh message."), skippable=True)
    player.start()
    texts = await _played(player, 2)
    await player.close()
    assert texts == ["Said with /say.", "A fresh message."]


async def test_skipping_off_reads_everything(player):
    player.overload = Overload(stale_after_s=0.0)
    old = player.enqueue(_request("Old."), skippable=True)
    old.queued_at -= 3600.0
    player.start()
    assert await _played(player, 1) == ["Old."]
    await player.close()


@pytest.mark.parametrize(("step", "waiting", "expected"), [
    (0.2, 4, 1.0), (0.2, 5, 1.2), (0.2, 7, 1.6), (0.2, 20, 1.8), (0.0, 20, 1.0),
])
def test_reading_speeds_up_by_the_servers_step_up_to_its_cap(step, waiting, expected):
    overload = Overload(threshold=5, step=step, max_speedup=1.8)
    assert overload.speed(1.0, waiting) == pytest.approx(expected)


async def test_readaloud_sets_the_servers_overload_behaviour(make_voice_harness):
    h = await make_voice_harness()
    await h.server_settings(read_channel_ids=[h.guild.text_channel_id],
                               announce_names=False)
    await h.join()
    default = await configure(h)
    assert "+10% speed per message queued from 3 on, up to 1.5x" in default
    assert "over 60 s are skipped with a summary" in default
    answer = await configure(h, speedup_after=5, speedup_step=0.2, max_speedup=1.8,
                             skip_after_s=30.0)
    assert "+20% speed per message queued from 5 on, up to 1.8x" in answer
    await h.message(h.alice, "hello there", name="alice")
    await read_until(h, "hello there")
    assert h.player.overload == Overload(threshold=5, step=0.2, max_speedup=1.8,
                                         stale_after_s=30.0)
