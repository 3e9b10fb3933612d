"""The Discord client: a `commands.Bot` with the process's resources injected.

`create_bot(resources)` picks `AutoShardedBot` when `discord.sharded` is set. The bot loads the
cogs in `EXTENSIONS` (and `cogs.voice` when that feature is installed), then syncs slash
commands to `discord.dev_guild_id` (instant) or globally.
"""

from __future__ import annotations

import gc
import importlib.util
import logging
from dataclasses import dataclass
from typing import Any

import discord
from discord.ext import commands

from bot import lookups
from bot.jobs import JobService
from bot.settings import Settings
from tts_engine import Engine

log = logging.getLogger(__name__)

EXTENSIONS = (
    "cogs.error_handler",
    "cogs.tts",
    "cogs.history",
    "cogs.delete",
    "cogs.voices",
    "cogs.settings",
    "cogs.dictionary",
)
#: Loaded when present: features that live in their own packages.
OPTIONAL_EXTENSIONS = ("cogs.voice",)


def bot_intents(message_content: bool = True) -> discord.Intents:
    """What the features need: guilds, voice states, and guild messages with their text
    (reading a channel aloud). `message_content` must be enabled in the developer portal;
    without it (`discord.message_content = false`) everything but read-aloud works."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.voice_states = True
    intents.guild_messages = True
    intents.message_content = message_content
    return intents


@dataclass
class BotResources:
    """What the cogs use: settings, the engine and the job service."""

    settings: Settings
    engine: Engine
    jobs: JobService


class TTSBot(commands.Bot):
    """The bot; cogs reach the resources as `bot.settings`, `bot.engine`, `bot.jobs`."""

    def __init__(
        self, resources: BotResources, *, sync_commands: bool = True, **options: Any
    ) -> None:
        options.setdefault("intents", bot_intents(resources.settings.discord.message_content))
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        # No message cache: discord.py would update a cached message in place when an edit or
        # an embed arrives, so a message waiting to be read aloud could change under the
        # reader (its mentions read as "someone"). Nothing here reads old messages back.
        options.setdefault("max_messages", None)
        super().__init__(command_prefix=commands.when_mentioned, help_command=None, **options)
        self.settings = resources.settings
        self.engine = resources.engine
        self.jobs = resources.jobs
        self.sync_on_start = sync_commands
        #: Set by the voice feature (cogs.voice) to its manager; None when not loaded.
        self.voice_manager: Any | None = None

    async def setup_hook(self) -> None:
        """Load the cogs, then make Discord know the slash commands."""
        for name in EXTENSIONS:
            await self.load_extension(name)
        for name in OPTIONAL_EXTENSIONS:
            if importlib.util.find_spec(name) is None:
                continue
            try:
                await self.load_extension(name)
            except commands.ExtensionError:
                # The text commands stay useful without that feature.
                log.exception("optional feature %s failed to load; carrying on without it",
                              name)
        if self.sync_on_start:
            await self.sync_commands()

    async def sync_commands(self) -> None:
        """Sync to the development guild when configured (instant), else globally."""
        guild_id = self.settings.discord.dev_guild_id
        if guild_id is not None:
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d commands globally (may take a while to appear)", len(synced))

    async def on_ready(self) -> None:
        """Log who we are and where; move the fresh cache out of the collector's way; read
        the server settings table (so that no message has to)."""
        log.info("connected as %s in %d servers", self.user, len(self.guilds))
        settle_heap()
        try:
            await lookups.warm()
        except Exception as exc:  # the first messages read it instead
            log.warning("could not read the server settings at start: %s", exc)


class ShardedTTSBot(TTSBot, commands.AutoShardedBot):
    """The bot on `AutoShardedBot`, for large installs."""


def settle_heap() -> None:
    """Collect, then freeze what is left (discord.py's cache of every server, channel and
    member; the cogs; the engine's objects) out of the garbage collector's way.

    In a bot in 5,000 servers a full collection walked half a million long-lived objects and
    held the event loop for about half a second, every few minutes. Frozen objects are still
    freed by reference counting; the few that become cyclic garbage stay until the next
    READY (a new session rebuilds the cache), which collects everything frozen before
    freezing again.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def create_bot(resources: BotResources, **options: Any) -> TTSBot:
    """The bot class the settings ask for (sharded or not)."""
    discord_settings = resources.settings.discord
    if discord_settings.sharded:
        if discord_settings.shard_count is not None:
            options.setdefault("shard_count", discord_settings.shard_count)
        return ShardedTTSBot(resources, **options)
    return TTSBot(resources, **options)
