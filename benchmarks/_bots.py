"""Benchmark fixtures: a bot in N servers' voice channels, against the loopback fakes.

Run from a checkout: the fakes live under `tests/fakes/`, not in the installed package.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

from bot.settings import JobSettings, Settings, VoiceSettings
from tts_engine import EngineConfig, LocalEngine

#: Seconds any one wait on the fakes or the bot may take.
WAIT_S = 120.0
#: RMS (int16) above which a received 20 ms frame has sound in it.
SOUND_RMS = 30.0

_ENGINES: list[LocalEngine] = []


def fakes() -> tuple[Any, Any]:
    """The loopback fakes (`tests.fakes.discord`, `tests.fakes.discord_voice`)."""
    return (importlib.import_module("tests.fakes.discord"),
            importlib.import_module("tests.fakes.discord_voice"))


def has_sound(packet: Any) -> bool:
    """Whether a received RTP packet's 20 ms of PCM is louder than `SOUND_RMS`."""
    pcm = np.frombuffer(packet.pcm, dtype="<i2").astype(np.float64)
    return bool(len(pcm) and np.sqrt((pcm ** 2).mean()) > SOUND_RMS)


def first_sound(packets: list[Any]) -> Any:
    """The first of `packets` with sound in it, or None."""
    return next((packet for packet in packets if has_sound(packet)), None)


@dataclass
class Running:
    """A bot logged in to the fake Discord, and what it runs on."""

    bot: Any
    task: asyncio.Task[None]
    jobs: Any


async def start_bot(fake: Any, voice: Any, engine: LocalEngine, db_url: str, tmp: Path
                    ) -> Running:
    """Create the bot on `engine` (jobs without workers), log in to `fake`, and wait until it
    is ready."""
    from bot.client import BotResources, create_bot
    from bot.jobs import JobService
    from storage.audio import LocalAudioStore

    settings = Settings(engine=engine.config, jobs=JobSettings(workers=0),
                        voice=VoiceSettings(max_message_chars=400, queue_limit=200,
                                            idle_timeout_s=600.0))
    jobs = JobService(engine, LocalAudioStore(tmp / "audio", "http://files.test"),
                      settings.jobs, db_url, engine_ready=engine.start)
    await jobs.start()
    bot = create_bot(BotResources(settings, engine, jobs), guild_ready_timeout=0.1,
                     connector=aiohttp.TCPConnector(ssl=voice.client_ssl))
    await bot.login(fake.token)
    running = Running(bot, asyncio.create_task(bot.connect(reconnect=False)), jobs)
    await asyncio.wait_for(bot.wait_until_ready(), WAIT_S)
    return running


async def post(fake: Any, guild: Any, author: int, text: str, name: str = "chatter") -> float:
    """Write `text` in `guild`'s text channel as member `author` (called `name`); returns the
    `time.monotonic()` of the MESSAGE_CREATE's dispatch."""
    p = fakes()[0].payloads
    user = p.user(author, name)
    member = p.member(user)
    del member["user"]
    message = p.message(p.snowflake(), guild.text_channel_id, user, text,
                        guild_id=str(guild.id), member=member)
    sent = time.monotonic()
    await fake.dispatch("MESSAGE_CREATE", message, guild.id)
    return sent


async def _read_aloud(guild: Any, author: int) -> None:
    from storage.models import GuildSettings

    await GuildSettings.create(guild_id=guild.id, read_channel_ids=[guild.text_channel_id],
                               announce_names=False)


@contextlib.asynccontextmanager
async def voice_bot(model_dir: Path, servers: int = 1, workers: int = 1, threads: int = 0, *,
                    member: str = "chatter", cache_entries: int = 0,
                    setup: Callable[[Any, int], Awaitable[None]] = _read_aloud,
                    ) -> AsyncIterator[tuple[Any, Any, Any, list[Any], list[int]]]:
    """(fake Discord, fake voice server, bot, guilds, one chatter per guild), the bot in voice
    in every guild and reading each guild's text channel.

    The engine runs on `model_dir` with `workers` executor workers and `threads` torch threads
    (0: the engine's default) and `cache_entries` cached clips; each chatter is a member
    called `member`, in the guild's voice channel. `setup(guild, chatter)` writes each
    guild's settings (by default: read the text channel aloud, no names announced) before
    the bot starts.
    """
    from storage import db

    discord_fake, voice_fake = fakes()
    engine = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu",
                                      cache_entries=cache_entries,
                                      executor_workers=workers, threads=threads))
    _ENGINES.append(engine)  # keeps the shared model alive between runs
    await engine.start()  # load + warm-up, as the bot does at start-up
    voice, fake = voice_fake.FakeVoiceServer(), discord_fake.FakeDiscord()
    guilds = [fake.add_guild(f"Server {i}") for i in range(servers)]
    authors = [int(fake.add_member(g, member, voice_channel_id=g.voice_channel_id)
                   ["user"]["id"]) for g in guilds]
    await voice.start()
    fake.voice_endpoint = voice.endpoint
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp, fake.patched():
        url = f"sqlite://{tmp}/bench.sqlite3"
        await db.init_db(url)
        for g, author in zip(guilds, authors, strict=True):
            await setup(g, author)
        running = await start_bot(fake, voice, engine, url, Path(tmp))
        bot = running.bot
        try:
            for g in guilds:
                channel = bot.get_guild(g.id).get_channel(g.voice_channel_id)
                await bot.voice_manager.join(channel)  # in voice before any clock starts
            yield fake, voice, bot, guilds, authors
        finally:
            await bot.voice_manager.close()
            await bot.close()
            await asyncio.gather(running.task, return_exceptions=True)
            await running.jobs.stop()
            await db.close_db()
            await fake.stop()
            await voice.stop()
            engine.close()
