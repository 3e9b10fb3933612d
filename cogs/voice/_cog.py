"""/join, /leave, /say, /skip, /clear, /stop, and the listeners that read channels aloud and leave
empty channels."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.request import build_request, resolve_defaults
from bot.voice import BusyElsewhere, NotConnected, NotInVoice, VoiceManager
from bot.voice.locks import KeyedLocks
from bot.voice.text import clean_text
from cogs._choices import voice_choices
from cogs._text import NO_MENTIONS
from cogs.voice._nickname import nickname
from cogs.voice._reader import name_lookup, not_read, read_message
from cogs.voice._settings import readaloud

if TYPE_CHECKING:
    from bot.client import TTSBot
    from bot.voice import GuildPlayer

log = logging.getLogger(__name__)


def _member(interaction: discord.Interaction) -> discord.Member | None:
    guild, user = interaction.guild, interaction.user
    if guild is None:
        return None
    return guild.get_member(user.id) or (user if isinstance(user, discord.Member) else None)


async def _reply(interaction: discord.Interaction, text: str) -> None:
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(text, ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)


class VoiceCog(commands.Cog):
    """Speaking in voice channels."""

    def __init__(self, bot: TTSBot, manager: VoiceManager) -> None:
        self.bot = bot
        self.manager = manager
        # One lock per server so its messages are queued in the order they were sent:
        # discord.py runs each on_message as its own task, and reading one awaits the database.
        # A server's lock lives only while its messages are being decided.
        self._read_order = KeyedLocks()

    async def cog_load(self) -> None:
        """Add /readaloud and /nickname (plain function commands in their own modules)."""
        self.bot.tree.add_command(readaloud)
        self.bot.tree.add_command(nickname)

    async def cog_unload(self) -> None:
        """Leave every voice channel."""
        self.bot.tree.remove_command(readaloud.name)
        self.bot.tree.remove_command(nickname.name)
        await self.manager.close()

    def _controlled_player(self, interaction: discord.Interaction) -> GuildPlayer:
        """The server's player, if the caller may control it: in its channel, or a manager."""
        guild = interaction.guild
        player = self.manager.player(guild.id) if guild else None
        if player is None:
            raise NotConnected()
        member = _member(interaction)
        here = player.voice_client.channel
        in_channel = member is not None and member.voice is not None and \
            member.voice.channel is not None and member.voice.channel.id == here.id
        if not (in_channel or interaction.permissions.manage_guild):
            raise BusyElsewhere(here.mention)
        return player

    def _check_not_listened_elsewhere(self, interaction: discord.Interaction,
                                      wanted: discord.abc.Connectable) -> None:
        """/join must not pull the bot away from people listening in another channel (as /say
        refuses to); an empty channel may be left, and a manager may move it anyway."""
        player = self.manager.player(interaction.guild_id) if interaction.guild_id else None
        if player is None or interaction.permissions.manage_guild:
            return
        here = player.voice_client.channel
        if here.id != getattr(wanted, "id", None) and any(not m.bot for m in here.members):
            raise BusyElsewhere(here.mention)

    @app_commands.command(name="join", description="Join your voice channel")
    @app_commands.guild_only()
    async def join(self, interaction: discord.Interaction) -> None:
        member = _member(interaction)
        if member is None or member.voice is None or member.voice.channel is None:
            raise NotInVoice()
        self._check_not_listened_elsewhere(interaction, member.voice.channel)
        await interaction.response.defer(ephemeral=True, thinking=True)
        player = await self.manager.join(member.voice.channel)
        await _reply(interaction, f"Joined {player.voice_client.channel.mention}.")

    @app_commands.command(name="leave", description="Leave the voice channel")
    @app_commands.guild_only()
    async def leave(self, interaction: discord.Interaction) -> None:
        self._controlled_player(interaction)
        assert interaction.guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.manager.leave(interaction.guild)
        await _reply(interaction, "Left the voice channel.")

    @app_commands.command(name="say", description="Say something in your voice channel")
    @app_commands.describe(text="What to say", voice="Voice (type to search)",
                           speed="Speed, 0.5 to 2.0")
    @app_commands.guild_only()
    async def say(self, interaction: discord.Interaction, text: str, voice: str | None = None,
                  speed: app_commands.Range[float, 0.5, 2.0] | None = None) -> None:
        guild = interaction.guild
        assert guild is not None
        spoken = clean_text(text, name_lookup(guild), self.bot.engine.config.max_text_chars)
        defaults = await resolve_defaults(interaction.user.id, guild.id, voice, speed, None)
        request = await build_request(
            self.bot.engine, spoken or text, voice=defaults.voice, lang=defaults.lang,
            speed=defaults.speed, user_id=interaction.user.id, guild_id=guild.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        _, ahead = await self.manager.say(guild, _member(interaction), request,
                                          label=f"say {interaction.id}")
        await _reply(interaction, "Saying it now." if ahead == 0 else
                     f"Queued; {ahead} ahead of it.")

    @say.autocomplete("voice")
    async def _say_voice(self, interaction: discord.Interaction, current: str
                         ) -> list[app_commands.Choice[str]]:
        return await voice_choices(self.bot, current, None)

    @app_commands.command(name="skip", description="Skip what is being said now")
    @app_commands.guild_only()
    async def skip(self, interaction: discord.Interaction) -> None:
        player = self._controlled_player(interaction)
        await _reply(interaction, "Skipped." if player.skip() else "Nothing is being said.")

    @app_commands.command(name="clear", description="Clear the queue (what is being said "
                                                    "now goes on)")
    @app_commands.guild_only()
    async def clear(self, interaction: discord.Interaction) -> None:
        player = self._controlled_player(interaction)
        dropped = player.clear()
        await _reply(interaction, f"Cleared {dropped} waiting." if dropped else
                     "Nothing was waiting.")

    @app_commands.command(name="stop", description="Stop speaking and clear the queue")
    @app_commands.guild_only()
    async def stop(self, interaction: discord.Interaction) -> None:
        player = self._controlled_player(interaction)
        dropped = player.stop()
        await _reply(interaction, f"Stopped; {dropped} cleared." if dropped else
                     "Nothing was queued.")

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Read messages of the configured channels aloud."""
        if message.guild is None or not_read(message, self.manager):
            return  # most messages of a busy bot: no query, nothing kept
        content = message.content  # as sent: a later edit changes the cached message
        try:
            # Taken before the first await, and waiters are woken first come, first served.
            async with self._read_order.hold(message.guild.id):
                await read_message(self.bot, self.manager, message, content)
        except Exception:  # a listener must not die on one bad message
            log.exception("reading message %s aloud failed", message.id)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed from a server (kicked, banned, or it was deleted): forget it."""
        await self.manager.forget_guild(guild)

    @commands.Cog.listener()
    async def on_voice_state_update(self, member: discord.Member, before: discord.VoiceState,
                                    after: discord.VoiceState) -> None:
        """Someone (or the bot) joined, left or moved: leave an empty channel after a grace."""
        if before.channel != after.channel:
            self.manager.check_empty(member.guild)
