"""Benchmark fixtures: a bot in N servers' voice channels, against the loopback fakes."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.voice import _fakes
from bot.settings import JobSettings, Settings, VoiceSettings
from tts_engine import EngineConfig, TTSEngine

_ENGINES: list[TTSEngine] = []


async def _bot(fake: Any, voice: Any, engine: TTSEngine, db_url: str, tmp: Path) -> Any:
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
    task = asyncio.create_task(bot.connect(reconnect=False))
    await asyncio.wait_for(bot.wait_until_ready(), 120)
    return bot, task, jobs


async def post(fake: Any, guild: Any, author: int, text: str) -> float:
    p = _fakes()[0].payloads
    user = p.user(author, "chatter")
    member = p.member(user)
    del member["user"]
    message = p.message(p.snowflake(), guild.text_channel_id, user, text,
                        guild_id=str(guild.id), member=member)
    sent = time.monotonic()
    await fake.dispatch("MESSAGE_CREATE", message, guild.id)
    return sent



@contextlib.asynccontextmanager
async def voice_bot(model_dir: Path, servers: int, workers: int, threads: int = 1
                    ) -> AsyncIterator[tuple[Any, Any, Any, list[Any], list[int]]]:
    """(fake Discord, fake voice server, bot, guilds, one chatter per guild), the bot in voice
    in every guild and reading each guild's text channel."""
    from storage import db
    from storage.models import GuildSettings

    discord_fake, voice_fake = _fakes()
    engine = TTSEngine(EngineConfig(model_dir=model_dir, device="cpu", cache_entries=0,
                                    executor_workers=workers, threads=threads))
    _ENGINES.append(engine)  # keeps the shared model alive between runs
    await engine.start()
    voice, fake = voice_fake.FakeVoiceServer(), discord_fake.FakeDiscord()
    guilds = [fake.add_guild(f"Server {i}") for i in range(servers)]
    authors = [int(fake.add_member(g, "chatter", voice_channel_id=g.voice_channel_id)
                   ["user"]["id"]) for g in guilds]
    await voice.start()
    fake.voice_endpoint = voice.endpoint
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp, fake.patched():
        url = f"sqlite://{tmp}/bench.sqlite3"
        await db.init_db(url)
        for g in guilds:
            await GuildSettings.create(guild_id=g.id, read_channel_ids=[g.text_channel_id],
                                       announce_names=False)
        bot, task, jobs = await _bot(fake, voice, engine, url, Path(tmp))
        try:
            for g in guilds:
                channel = bot.get_guild(g.id).get_channel(g.voice_channel_id)
                await bot.voice_manager.join(channel)
            yield fake, voice, bot, guilds, authors
        finally:
            await bot.voice_manager.close()
            await bot.close()
            await asyncio.gather(task, return_exceptions=True)
            await jobs.stop()
            await db.close_db()
            await fake.stop()
            await voice.stop()
            engine.close()
