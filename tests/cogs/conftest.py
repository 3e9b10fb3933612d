"""A running bot against the fake Discord: real discord.py client, real job service and engine
(tiny random-weight checkpoint), a fresh database per test."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.client import BotResources, TTSBot, create_bot
from bot.jobs import JobService
from bot.settings import JobSettings, Settings
from storage.audio import LocalAudioStore
from tests.fakes.discord import FakeDiscord, FakeGuild
from tts_engine import Audio, EngineConfig, LocalEngine, SpeechRequest

WAIT_S = 60.0  # bound for anything a test waits on (2 shared CPU cores)
INTERVAL_S = 0.2  # progress edit interval (the settings' minimum)


def bot_settings(model_dir: Path, **jobs: Any) -> Settings:
    """Settings with short intervals; the engine on the test checkpoint."""
    job_values: dict[str, Any] = dict(workers=1, heartbeat_s=0.2, lease_s=2.0,
                                      poll_interval_s=0.1, retry_backoff_s=0.05,
                                      shutdown_grace_s=5.0, per_user_cap=5, global_cap=50)
    job_values.update(jobs)
    return Settings(
        discord={"progress_edit_interval_s": INTERVAL_S},
        engine=EngineConfig(model_dir=model_dir, device="cpu", load="lazy"),
        jobs=JobSettings(**job_values),
    )


class GatedEngine:
    """The real engine, except that synthesis waits for `gate` (or cancellation) first, so a
    test can hold a job mid-synthesis without sleeping."""

    def __init__(self, inner: LocalEngine) -> None:
        self.inner = inner
        self.gate = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def synthesize(self, req: SpeechRequest, cancel: threading.Event | None = None,
                         on_progress: Any = None, **_: Any) -> Audio:
        stop = cancel or threading.Event()

        def run() -> Audio:
            while not (self.gate.wait(0.05) or stop.is_set()):
                pass
            return self.inner.synthesize_sync(req, stop, on_progress)

        return await asyncio.to_thread(run)


async def _no_wait() -> None:
    return None


@dataclass
class Harness:
    """The fake Discord, its guild and users, and the bot connected to it."""

    fake: FakeDiscord
    guild: FakeGuild
    bot: TTSBot
    jobs: JobService
    alice: int
    bob: int
    carol: int  # sits in the guild's voice channel
    task: asyncio.Task[None] | None = None

    async def stop_bot(self) -> None:
        """Close the client and the job service (like a shutdown)."""
        await self.bot.close()
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)
        await self.jobs.stop()


async def connect(fake: FakeDiscord, settings: Settings, engine: Any, jobs: JobService
                  ) -> tuple[TTSBot, asyncio.Task[None]]:
    """Build the bot, log in to the fake, and wait until it is ready."""
    bot = create_bot(BotResources(settings, engine, jobs), guild_ready_timeout=0.1)
    await bot.login(fake.token)
    task = asyncio.create_task(bot.connect(reconnect=False))
    await asyncio.wait_for(bot.wait_until_ready(), WAIT_S)
    return bot, task


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started fake Discord that discord.py points at."""
    fake = FakeDiscord()
    fake.add_guild()
    await fake.start()
    with fake.patched():
        yield fake
    await fake.stop()


@pytest.fixture
async def make_harness(database: str, tmp_path: Path, model_dir: Path, engine: LocalEngine,
                       fake_discord: FakeDiscord) -> AsyncIterator[Any]:
    """`await make_harness(engine, store=..., **job_settings)` -> a connected `Harness`."""
    harnesses: list[Harness] = []
    fake = fake_discord
    guild_id = next(iter(fake.guilds))
    text_id = int(fake.guilds[guild_id]["channels"][0]["id"])
    voice_id = int(fake.guilds[guild_id]["channels"][1]["id"])
    guild = FakeGuild(guild_id, text_id, voice_id, int(fake.guilds[guild_id]["owner_id"]))
    alice = int(fake.add_member(guild, "alice")["user"]["id"])
    bob = int(fake.add_member(guild, "bob")["user"]["id"])
    carol = int(fake.add_member(guild, "carol", voice_channel_id=voice_id)["user"]["id"])

    async def make(engine_: Any = None, *, store: Any = None, **jobs: Any) -> Harness:
        settings = bot_settings(model_dir, **jobs)
        store = store or LocalAudioStore(tmp_path / "audio", "http://files.test")
        service = JobService(engine_ or engine, store, settings.jobs, database,
                             engine_ready=_no_wait)
        await service.start()
        bot, task = await connect(fake, settings, engine_ or engine, service)
        h = Harness(fake, guild, bot, service, alice, bob, carol, task)
        harnesses.append(h)
        return h

    yield make
    for h in harnesses:
        await h.stop_bot()


@pytest.fixture
async def harness(make_harness: Any) -> Harness:
    """A connected bot with a ready engine."""
    h: Harness = await make_harness()
    return h
