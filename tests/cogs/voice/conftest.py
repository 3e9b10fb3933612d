"""Fixtures for the voice tests: the fake Discord pointed at a fake voice server, and the bot
(real discord.py client, real engine on the tiny checkpoint) connected to both."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot import lookups
from bot.client import BotResources, TTSBot, create_bot
from bot.jobs import JobService
from bot.settings import JobSettings, Settings, VoiceSettings
from bot.voice import GuildPlayer, VoiceManager
from bot.voice.utterance import Utterance as PlayedUtterance
from storage.audio import LocalAudioStore
from storage.models import GuildSettings
from tests.fakes.discord import FakeDiscord, FakeGuild, FakeInteraction, payloads
from tests.fakes.discord_voice import FakeVoiceServer, Utterance
from tts_engine import EngineConfig, LocalEngine

WAIT_S = 60.0  # bound for anything a test waits on (2 shared CPU cores)


@pytest.fixture
async def fake_voice() -> AsyncIterator[FakeVoiceServer]:
    """A started fake voice server (TLS gateway + UDP)."""
    server = FakeVoiceServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def fake_discord(fake_voice: FakeVoiceServer) -> AsyncIterator[FakeDiscord]:
    """The fake Discord with one guild (plus a second voice channel), whose
    VOICE_SERVER_UPDATE points at `fake_voice`."""
    fake = FakeDiscord()
    guild = fake.add_guild()
    fake.guilds[guild.id]["channels"].append(
        payloads.voice_channel(payloads.snowflake(), guild.id, "Other voice", 2))
    fake.voice_endpoint = fake_voice.endpoint
    await fake.start()
    with fake.patched():
        yield fake
    await fake.stop()


@dataclass
class VoiceHarness:
    """The fakes, the guild, two members (alice in voice, bob not) and the connected bot."""

    fake: FakeDiscord
    voice: FakeVoiceServer
    guild: FakeGuild
    other_voice_id: int
    bot: TTSBot
    alice: int
    bob: int

    @property
    def manager(self) -> VoiceManager:
        manager = self.bot.voice_manager
        assert isinstance(manager, VoiceManager)
        return manager

    @property
    def player(self) -> GuildPlayer:
        player = self.manager.player(self.guild.id)
        assert player is not None, "the bot is not in voice"
        return player

    async def slash(self, user: int, command: str, **options: Any) -> FakeInteraction:
        """Run a slash command and wait until the bot has answered it (callback + any
        follow-up)."""
        ia = await self.fake.slash(self.guild, user, command, options)
        await ia.response(within=WAIT_S)
        if ia.callbacks[0].json["type"] == 5:  # deferred: the answer is a follow-up
            await self.fake.wait_until(lambda: bool(ia.followups), WAIT_S)
        return ia

    async def server_settings(self, **fields: Any) -> None:
        """Save this server's settings row directly, telling the bot's caches as its own
        writers do (the bot read the table when it connected)."""
        await GuildSettings.create(guild_id=self.guild.id, **fields)
        await lookups.guild_changed(self.guild.id)

    async def join(self, user: int | None = None) -> None:
        await self.slash(user or self.alice, "join")
        assert self.manager.player(self.guild.id) is not None

    async def message(self, user: int, content: str, *, channel_id: int | None = None,
                      bot: bool = False, name: str = "someone",
                      mentions: dict[int, str] | None = None, roles: list[int] | None = None,
                      nick: str | None = None, **extra: Any) -> dict[str, Any]:
        """A member writes in a text channel (the server's text channel by default);
        `mentions` are the users its `<@id>`s name, sent along as Discord does; `extra`
        adds message fields (attachments, message_reference, type...). Returns the payload."""
        author = payloads.user(user, name, bot=bot)
        member = payloads.member(author, roles=roles, nick=nick)
        del member["user"]  # as Discord sends it: the member part without the user
        data = payloads.message(payloads.snowflake(), channel_id or self.guild.text_channel_id,
                                author, content, guild_id=str(self.guild.id), member=member,
                                mentions=[payloads.user(uid, n)
                                          for uid, n in (mentions or {}).items()], **extra)
        await self.fake.dispatch("MESSAGE_CREATE", data, self.guild.id)
        return data

    async def move(self, user: int, name: str, channel_id: int | None) -> None:
        """A member joins, moves or leaves voice."""
        member = payloads.member(payloads.user(user, name, bot=user == self.fake.bot_user_id))
        await self.fake.dispatch("VOICE_STATE_UPDATE", payloads.voice_state(
            self.guild.id, channel_id, user, member_payload=member), self.guild.id)

    async def played(self, count: int) -> list[PlayedUtterance]:
        """The player's finished utterances, once there are at least `count` of them. The fake
        server hears an utterance end a moment before the player's thread reports it done, so
        this waits (bounded) for the player to catch up."""
        player = self.player
        deadline = asyncio.get_running_loop().time() + WAIT_S
        while len(player.played) < count:
            assert asyncio.get_running_loop().time() < deadline, "utterance never finished"
            await asyncio.sleep(0.01)
        return list(player.played)

    async def speech_s(self, index: int, heard: Utterance) -> float:
        """Seconds of `heard` that were speech: its duration less the silence the source
        padded with while synthesis of played utterance `index` lagged behind."""
        buffer = (await self.played(index + 1))[index].buffer
        assert buffer is not None
        return heard.duration - buffer.underruns * 0.02

    async def until(self, pred: Callable[[], bool], within: float = WAIT_S) -> None:
        """Wait until `pred()` holds, re-checked on every packet, frame, request and change of
        the voice manager."""
        async def watch(waiter: Callable[..., Awaitable[None]]) -> None:
            await waiter(pred, within)
        done, pending = await asyncio.wait(
            [asyncio.create_task(watch(self.voice.wait_until)),
             asyncio.create_task(watch(self.fake.wait_until)),
             asyncio.create_task(watch(self.manager.wait_until))],
            return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            task.result()


def voice_settings(model_dir: Path, **voice: Any) -> Settings:
    values: dict[str, Any] = dict(empty_channel_grace_s=0.3, idle_timeout_s=120.0)
    values.update(voice)
    return Settings(engine=EngineConfig(model_dir=model_dir, device="cpu", load="lazy"),
                    jobs=JobSettings(workers=0), voice=VoiceSettings(**values))


async def _no_wait() -> None:
    return None


@pytest.fixture
async def make_voice_harness(database: str, tmp_path: Path, model_dir: Path,
                             engine: LocalEngine, fake_discord: FakeDiscord,
                             fake_voice: FakeVoiceServer
                             ) -> AsyncIterator[Callable[..., Awaitable[VoiceHarness]]]:
    """`await make_voice_harness(message_content=True, **voice_settings)` -> a connected
    `VoiceHarness` (`message_content`: whether the bot asks for that intent)."""
    fake = fake_discord
    guild_id = next(iter(fake.guilds))
    channels = fake.guilds[guild_id]["channels"]
    guild = FakeGuild(guild_id, int(channels[0]["id"]), int(channels[1]["id"]),
                      int(fake.guilds[guild_id]["owner_id"]))
    alice = int(fake.add_member(guild, "alice", voice_channel_id=guild.voice_channel_id)
                ["user"]["id"])
    bob = int(fake.add_member(guild, "bob")["user"]["id"])
    made: list[tuple[TTSBot, asyncio.Task[None], JobService]] = []

    async def make(message_content: bool = True, **voice: Any) -> VoiceHarness:
        settings = voice_settings(model_dir, **voice)
        settings.discord.message_content = message_content
        jobs = JobService(engine, LocalAudioStore(tmp_path / "audio", "http://files.test"),
                          settings.jobs, database, engine_ready=_no_wait)
        await jobs.start()
        bot = create_bot(BotResources(settings, engine, jobs), guild_ready_timeout=0.1,
                         connector=aiohttp.TCPConnector(ssl=fake_voice.client_ssl))
        await bot.login(fake.token)
        task = asyncio.create_task(bot.connect(reconnect=False))
        made.append((bot, task, jobs))
        await asyncio.wait_for(bot.wait_until_ready(), WAIT_S)
        return VoiceHarness(fake, fake_voice, guild, int(channels[2]["id"]), bot, alice, bob)

    yield make
    for bot, task, jobs in made:
        if bot.voice_manager is not None:
            await bot.voice_manager.close()
        await bot.close()
        await asyncio.gather(task, return_exceptions=True)
        await jobs.stop()


@pytest.fixture
async def harness(make_voice_harness: Callable[..., Awaitable[VoiceHarness]]) -> VoiceHarness:
    """A connected bot with default voice settings (short grace period)."""
    return await make_voice_harness()
