"""Reading a text channel aloud: which messages, in whose voice, and how they sound."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot import lookups
from bot.dictionary import speakable
from bot.prefetch import prefetch
from bot.request import Defaults, resolve_defaults
from bot.voice.controls import ReadAloudControls
from bot.voice.errors import VoiceError
from bot.voice.text import cut
from cogs.voice import _render, _status
from cogs.voice._render import name_lookup
from storage.models import GuildSettings
from tts_engine import SpeechRequest
from tts_engine.errors import TTSError

if TYPE_CHECKING:
    from bot.client import TTSBot
    from bot.voice import VoiceManager

__all__ = ["name_lookup", "read_message"]

log = logging.getLogger(__name__)
#: Message kinds read aloud: edits never arrive here, pins and joins are system messages.
READ_TYPES = (discord.MessageType.default, discord.MessageType.reply)


@dataclass
class Incoming:
    """A message being considered, with what was looked up about it."""

    message: discord.Message
    author: discord.Member | discord.User
    settings: GuildSettings | None
    controls: ReadAloudControls
    content: str


DEFAULT_CONTROLS = ReadAloudControls()
#: How much longer than the limit a message may be before its dictionary is applied.
PRE_DICTIONARY_ROOM = 4


def _read_here(message: discord.Message, view: lookups.GuildView | None,
               manager: VoiceManager) -> bool:
    """Whether messages in this channel are read: a configured channel, or (unless the server
    turned it off) the text chat of the voice channel the bot is in."""
    if view is not None and message.channel.id in view.read_channels:
        return True
    player = manager.player(message.guild.id) if message.guild else None
    controls = view.controls if view is not None else DEFAULT_CONTROLS
    return controls.voice_chat and player is not None and \
        player.voice_client.channel.id == message.channel.id


def not_read(message: discord.Message, manager: VoiceManager) -> bool:
    """True when the message is surely not read, known without any query: the bot is not in
    voice there and the channel is not one the server reads (most messages of a busy bot)."""
    if message.guild is None:
        return True
    if manager.player(message.guild.id) is not None:
        return False
    known, view = lookups.known_guild(message.guild.id)
    return known and (view is None or message.channel.id not in view.read_channels)


def _has_role(author: discord.Member | discord.User, role_id: int | None) -> bool:
    return isinstance(author, discord.Member) and any(r.id == role_id for r in author.roles)


def _refusal(item: Incoming, ignore_prefix: str, manager: VoiceManager) -> str | None:
    """Why the server's controls say not to read this message, or None to read it."""
    author, c = item.author, item.controls
    voice = author.voice if isinstance(author, discord.Member) else None
    player = manager.player(item.message.guild.id) if item.message.guild else None
    if (author.bot or item.message.webhook_id is not None) and not c.read_bots:
        return "a bot or webhook"
    if c.required_role_id and not _has_role(author, c.required_role_id):
        return "without the required role"
    if c.required_prefix and not item.content.lstrip().startswith(c.required_prefix):
        return "without the required prefix"
    if ignore_prefix and item.content.lstrip().startswith(ignore_prefix):
        return "starts with the ignore prefix"
    if not c.read_self_muted and voice is not None and (voice.self_mute or voice.self_deaf):
        return "author muted or deafened themselves"
    if c.ignore_audience and voice is not None and player is not None and \
            isinstance(voice.channel, discord.StageChannel) and \
            voice.channel.id == player.voice_client.channel.id and voice.suppress:
        return "author is in the Stage audience"
    return None


async def _voice_for(item: Incoming, guild_id: int) -> Defaults:
    """The member's read-aloud voice, speed and language; within the server's allowed set."""
    defaults = await resolve_defaults(item.author.id, guild_id, None, None, None)
    allowed = item.controls.allowed_voices
    if allowed and defaults.voice not in allowed:
        return Defaults(allowed[0], defaults.speed, None)
    return defaults


async def _text(bot: TTSBot, manager: VoiceManager, item: Incoming, speed: float
                ) -> tuple[str, str]:
    """What is said for the message (dictionary applied; "" for nothing), and what is said
    before it ("alice said"; "" for nothing)."""
    message, guild = item.message, item.message.guild
    assert guild is not None
    content = item.content
    if item.controls.required_prefix:
        content = content.lstrip()[len(item.controls.required_prefix):]
    limit = min(item.controls.max_chars(speed), bot.settings.voice.max_message_chars)
    # The limit is on what is said: the dictionary first (an entry may lengthen a word
    # 200-fold), then the cut. The first cut only bounds the dictionary's work (room for
    # entries that shorten what they replace).
    text = _render.body(message, content, item.controls,
                        min(bot.engine.config.max_text_chars, PRE_DICTIONARY_ROOM * limit))
    if not text:
        return "", ""
    text = cut(await speakable(text, item.author.id, guild.id), limit)
    lead = ""
    if item.settings is None or item.settings.announce_names:
        name = (await _render.spoken_name(guild.id, item.author, item.controls)).replace(
            "_", " ")
        opening = _render.opening(message, name, item.controls)
        said = manager.announcer.prefix(guild.id, item.author.id, name, opening)
        # A reply or a forward is always introduced: without it the words make no sense.
        ordinary = message.type is not discord.MessageType.reply and \
            _render.forwarded(message) is None
        lead = await speakable(said if ordinary else opening, item.author.id, guild.id)
    return text, lead.strip()


async def _joined(manager: VoiceManager, item: Incoming) -> bool:
    """The bot is in voice here, or auto-join brought it to the writer's channel."""
    guild = item.message.guild
    assert guild is not None
    if manager.player(guild.id) is not None:
        return True
    author = item.author
    if item.settings is None or not item.settings.auto_join or \
            not isinstance(author, discord.Member) or author.voice is None or \
            author.voice.channel is None:
        return False
    await manager.join(author.voice.channel)
    return True


async def read_message(bot: TTSBot, manager: VoiceManager, message: discord.Message,
                       content: str | None = None) -> bool:
    """Queue `message` for reading aloud if it should be; True when queued. `content` is its
    text as it arrived (discord.py edits the cached message in place; edits aren't re-read)."""
    guild = message.guild
    if guild is None or message.type not in READ_TYPES or message.author == guild.me:
        return False
    # The message's own member data is the freshest (roles, nickname); the cache, else.
    author = message.author if isinstance(message.author, discord.Member) else \
        guild.get_member(message.author.id) or message.author
    view = await lookups.guild(guild.id)
    if not _read_here(message, view, manager):
        return False
    item = Incoming(message, author, view.settings if view else None,
                    view.controls if view else DEFAULT_CONTROLS,
                    message.content if content is None else content)
    if await _status.content_missing(bot, manager, message):
        return False
    why = _refusal(item, bot.settings.voice.ignore_prefix, manager)
    if why is not None:
        log.debug("message %s not read: %s", message.id, why)
        return False
    if not await _joined(manager, item):
        return False
    return await _queue(bot, manager, item)


def _lead(bot: TTSBot, said: str, request: SpeechRequest) -> SpeechRequest | None:
    """The request for what is said before the message, in its voice; None when there is
    nothing to say (the message is read without it)."""
    try:
        return bot.engine.validate(said, request.voice, request.lang, request.speed)
    except TTSError as exc:
        log.info("not saying %r before a message: %s", said, exc)
        return None


async def _queue(bot: TTSBot, manager: VoiceManager, item: Incoming) -> bool:
    message, guild = item.message, item.message.guild
    assert guild is not None
    await prefetch(guild.id, item.author.id)  # at most one query, none when cached
    defaults = await _voice_for(item, guild.id)
    text, said = await _text(bot, manager, item, defaults.speed)
    if not text:
        return False
    priority = bool(item.controls.priority_role_id) and \
        _has_role(item.author, item.controls.priority_role_id)
    label = f"message {message.id}"
    try:
        try:
            request = bot.engine.validate(text, defaults.voice, defaults.lang, defaults.speed)
        except TTSError as exc:  # e.g. a saved voice that no longer exists: the default voice
            log.info("message %s: %s; reading it in the default voice", message.id, exc)
            request = bot.engine.validate(text)
        # The name is said on its own (and, said before, comes from the engine's cache): it is
        # heard at once while the message is synthesised.
        lead = _lead(bot, said, request) if said else None
        manager.enqueue(guild.id, request, label=label, priority=priority,
                        overload=item.controls.overload(), lead=lead)
    except (VoiceError, TTSError) as exc:
        log.info("not reading message %s: %s", message.id, exc)
        return False
    await _status.reading(manager, item.controls, message)
    return True
