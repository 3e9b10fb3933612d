"""Reading a text channel aloud: which messages, in whose voice, and how they sound."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.voice.errors import VoiceError
from bot.voice.text import MentionKind, NameLookup, clean_text, should_read
from cogs._common import resolve_defaults
from storage.models import GuildSettings
from tts_engine.errors import TTSError

if TYPE_CHECKING:
    from bot.client import TTSBot
    from bot.voice import VoiceManager

log = logging.getLogger(__name__)


def name_lookup(guild: discord.Guild, message: discord.Message | None = None) -> NameLookup:
    """Display names for mentions, from the server's cache (and the message's own mentions)."""
    def lookup(kind: MentionKind, target: int) -> str | None:
        if kind == "user":
            member: discord.abc.User | None = guild.get_member(target)
            if member is None and message is not None:
                member = next((u for u in message.mentions if u.id == target), None)
            return member.display_name if member is not None else None
        if kind == "role":
            role = guild.get_role(target)
            return role.name if role is not None else None
        channel = guild.get_channel_or_thread(target)
        return channel.name if channel is not None else None
    return lookup


def _read_here(message: discord.Message, settings: GuildSettings | None,
               manager: VoiceManager) -> bool:
    """Whether messages in this channel are read: a configured channel, or the text chat of
    the voice channel the bot is in."""
    if settings is not None and message.channel.id in (settings.read_channel_ids or []):
        return True
    player = manager.player(message.guild.id) if message.guild else None
    return player is not None and player.voice_client.channel.id == message.channel.id


async def read_message(bot: TTSBot, manager: VoiceManager, message: discord.Message) -> bool:
    """Queue `message` for reading aloud if it should be; True when queued."""
    guild, author = message.guild, message.author
    if guild is not None and not isinstance(author, discord.Member):
        author = guild.get_member(author.id) or author
    if guild is None or not isinstance(author, discord.Member):
        log.debug("message %s: not from a server member", message.id)
        return False
    voice = bot.settings.voice
    if not should_read(message.content, author_is_bot=author.bot or message.webhook_id is not None,
                       ignore_prefix=voice.ignore_prefix):
        return False
    settings = await GuildSettings.get_or_none(guild_id=guild.id)
    if not _read_here(message, settings, manager):
        log.debug("message %s: channel %s is not read aloud", message.id, message.channel.id)
        return False
    if manager.player(guild.id) is None:
        if settings is None or not settings.auto_join or author.voice is None:
            return False
        if author.voice.channel is None:
            return False
        await manager.join(author.voice.channel)
    text = clean_text(message.content, name_lookup(guild, message), voice.max_message_chars)
    if not text:
        return False
    if settings is None or settings.announce_names:
        text = manager.announcer.prefix(guild.id, author.id, author.display_name) + text
    defaults = await resolve_defaults(author.id, guild.id, None, None, None)
    try:
        request = bot.engine.validate(text, defaults.voice, defaults.lang, defaults.speed)
        manager.enqueue(guild.id, request, label=f"message {message.id}")
    except VoiceError as exc:
        log.info("not reading message %s: %s", message.id, exc)
        return False
    except TTSError as exc:  # e.g. a saved voice that no longer exists: read in the default
        log.info("message %s: %s; reading it in the default voice", message.id, exc)
        manager.enqueue(guild.id, bot.engine.validate(text), label=f"message {message.id}")
    return True
