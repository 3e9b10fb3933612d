"""Benchmark (not a test): time to first audio in a voice channel.

A 300-character message is written in a channel the bot reads aloud; the figure is the time from
dispatching that MESSAGE_CREATE to the first RTP packet (and the first one with sound in it)
reaching a loopback fake Discord voice server, through discord.py's real voice client, with a
full-size random-weight Kokoro checkpoint (cached under `.bench/`). It is compared with the time
the engine takes to synthesise the whole message.

    python -m benchmarks.voice [--trials 3]

Run from a checkout: it uses the fakes under `tests/fakes/`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

from bot.settings import JobSettings, Settings, VoiceSettings
from tts_engine import EngineConfig, TTSEngine

WAIT_S = 120.0
#: RMS (int16) above which a received 20 ms frame has sound in it.
SOUND_RMS = 30.0


@dataclass
class Trial:
    """One message read aloud."""

    first_packet_s: float
    first_sound_s: float
    full_synthesis_s: float
    audio_s: float
    #: The engine alone: `engine.stream`'s first chunk, measured just before.
    engine_first_s: float


def _fakes() -> tuple[Any, Any]:
    """The loopback fakes (`tests.fakes.discord`, `tests.fakes.discord_voice`): they live in the
    checkout's tests, not in the installed package."""
    return (importlib.import_module("tests.fakes.discord"),
            importlib.import_module("tests.fakes.discord_voice"))


@dataclass
class _Running:
    bot: Any
    task: asyncio.Task[None]
    jobs: Any


async def _connect(fake: Any, voice: Any, engine: TTSEngine, db_url: str,
                   tmp: Path) -> _Running:
    from bot.client import BotResources, create_bot
    from bot.jobs import JobService
    from storage.audio import LocalAudioStore

    settings = Settings(engine=engine.config, jobs=JobSettings(workers=0),
                        voice=VoiceSettings(max_message_chars=400))
    jobs = JobService(engine, LocalAudioStore(tmp / "audio", "http://files.test"),
                      settings.jobs, db_url, engine_ready=engine.start)
    await jobs.start()
    bot = create_bot(BotResources(settings, engine, jobs), guild_ready_timeout=0.1,
                     connector=aiohttp.TCPConnector(ssl=voice.client_ssl))
    await bot.login(fake.token)
    running = _Running(bot, asyncio.create_task(bot.connect(reconnect=False)), jobs)
    await asyncio.wait_for(bot.wait_until_ready(), WAIT_S)
    return running


def _first_sound(packets: list[Any]) -> Any:
    for packet in packets:
        pcm = np.frombuffer(packet.pcm, dtype="<i2").astype(np.float64)
        if len(pcm) and np.sqrt((pcm ** 2).mean()) > SOUND_RMS:
            return packet
    return None


async def _engine_first_chunk(engine: TTSEngine, text: str) -> float:
    began = time.perf_counter()
    stream = engine.stream(engine.validate(text))
    async for _ in stream:
        break
    elapsed = time.perf_counter() - began
    await stream.aclose()  # type: ignore[attr-defined]
    return elapsed


async def _trial(fake: Any, voice: Any, bot: Any, guild: Any, author: int, text: str) -> Trial:
    p = _fakes()[0].payloads
    engine_first = await _engine_first_chunk(bot.engine, text)
    start = len(voice.packets)
    user = p.user(author, "alice")
    member = p.member(user)
    del member["user"]
    message = p.message(p.snowflake(), guild.text_channel_id, user, text,
                        guild_id=str(guild.id), member=member)
    sent = time.monotonic()
    await fake.dispatch("MESSAGE_CREATE", message, guild.id)
    await voice.wait_until(lambda: _first_sound(voice.packets[start:]) is not None, WAIT_S)
    first = voice.packets[start]
    sound = _first_sound(voice.packets[start:])
    player = bot.voice_manager.player(guild.id)
    player.stop()  # the figure is taken; don't sit through 20 s of noise
    await voice.wait_until(lambda: any(pk.end_marker for pk in voice.packets[start:]), WAIT_S)
    request = bot.engine.validate(text)
    began = time.perf_counter()
    audio = await bot.engine.synthesize(request)
    full = time.perf_counter() - began
    return Trial(first.received_at - sent, sound.received_at - sent, full, audio.duration,
                 engine_first)


async def run(trials: int, model_dir: Path) -> list[Trial]:
    """Start the fakes and the bot, join voice, and time `trials` messages."""
    from benchmarks._model import TEXT_300
    from storage import db
    from storage.models import GuildSettings

    discord_fake, voice_fake = _fakes()

    engine = TTSEngine(EngineConfig(model_dir=model_dir, device="cpu", cache_entries=0))
    await engine.start()  # load + warm-up, as the bot does at start-up
    voice, fake = voice_fake.FakeVoiceServer(), discord_fake.FakeDiscord()
    guild = fake.add_guild()
    alice = int(fake.add_member(guild, "alice", voice_channel_id=guild.voice_channel_id)
                ["user"]["id"])
    await voice.start()
    fake.voice_endpoint = voice.endpoint
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp, fake.patched():
        await db.init_db(f"sqlite://{tmp}/bench.sqlite3")
        await GuildSettings.create(guild_id=guild.id, read_channel_ids=[guild.text_channel_id],
                                   announce_names=False)
        run = await _connect(fake, voice, engine, f"sqlite://{tmp}/bench.sqlite3", Path(tmp))
        try:
            channel = run.bot.get_guild(guild.id).get_channel(guild.voice_channel_id)
            await run.bot.voice_manager.join(channel)  # in voice before the clock starts
            return [await _trial(fake, voice, run.bot, guild, alice, TEXT_300)
                    for _ in range(trials)]
        finally:
            await run.bot.voice_manager.close()
            await run.bot.close()
            await asyncio.gather(run.task, return_exceptions=True)
            await run.jobs.stop()
            await db.close_db()
            await fake.stop()
            await voice.stop()
            engine.close()


def report(results: list[Trial]) -> None:
    """Print each trial and the medians."""
    print("trial  first RTP  first sound  engine 1st chunk  full synthesis  audio  sound/full")
    for n, t in enumerate(results, 1):
        share = t.first_sound_s / t.full_synthesis_s
        print(f"{n:>5}  {t.first_packet_s:8.3f}s  {t.first_sound_s:10.3f}s  "
              f"{t.engine_first_s:15.3f}s  {t.full_synthesis_s:13.2f}s  {t.audio_s:5.1f}s  "
              f"{share:9.1%}")
    med = statistics.median
    first = med(t.first_sound_s for t in results)
    full = med(t.full_synthesis_s for t in results)
    print(f"median time to first audio: {med(t.first_packet_s for t in results):.3f} s "
          f"(first RTP packet), {first:.3f} s (first packet with sound)")
    print(f"best time to first audio: {min(t.first_sound_s for t in results):.3f} s; "
          f"median engine-alone first chunk: {med(t.engine_first_s for t in results):.3f} s")
    print(f"median full synthesis: {full:.2f} s for {med(t.audio_s for t in results):.1f} s "
          f"of audio; first audio at {first / full:.1%} of it "
          f"(targets: < 1 s and < 25%)")


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks.voice`: build or reuse the checkpoint, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--bench-dir", type=Path, default=Path(".bench"))
    args = parser.parse_args(argv)
    from benchmarks._model import full_checkpoint

    model_dir = full_checkpoint(args.bench_dir)
    report(asyncio.run(run(args.trials, model_dir)))


if __name__ == "__main__":
    main()
