"""Synthesis runs a bounded margin ahead of playback: a server speaking a 5,000-character
text holds a few seconds of audio, not the whole text as 48 kHz stereo PCM."""

from __future__ import annotations

import asyncio

from bot.settings import VoiceSettings
from bot.voice.player import GuildPlayer
from tests.fakes.player import DrainingVoiceClient, InstantEngine
from tts_engine import SpeechRequest

TEXT_CHARS = 5000
SECONDS_PER_CHAR = 0.065  # real Kokoro at speed 1.0 (bot.voice.pacing)
CHUNK_S = 18.0  # a 250-phoneme chunk, the engine's longest
LIMIT_BYTES = 5 * 1024 * 1024


async def test_a_long_text_is_held_seconds_ahead_not_whole():
    peak = [0]
    client = DrainingVoiceClient(pace_s=0.001)  # playback at twenty times real time
    engine = InstantEngine(lambda req: len(req.text) * SECONDS_PER_CHAR, CHUNK_S)
    player = GuildPlayer(engine, client, VoiceSettings(read_ahead_s=10.0))  # type: ignore[arg-type]
    client.on_frame = lambda: peak.__setitem__(0, max(peak[0], player.buffered_bytes()))
    player.start()
    player.enqueue(SpeechRequest(text="x" * TEXT_CHARS, voice="af_heart", lang="a",
                                 speed=1.0))
    assert await asyncio.to_thread(client.finished.wait, 120)
    await player.close()
    assert client.frames * 0.02 >= TEXT_CHARS * SECONDS_PER_CHAR  # all of it was played
    assert peak[0] < LIMIT_BYTES, f"{peak[0] / 2**20:.1f} MB held"
