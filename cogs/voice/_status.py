"""What read-aloud shows outside the voice channel: the channel status ("Reading #general")
and, once per server, why it cannot read when the message content intent is missing."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.voice.controls import ReadAloudControls
from bot.voice.errors import CONTENT_INTENT_MISSING
from cogs._text import NO_MENTIONS

if TYPE_CHECKING:
    from bot.client import TTSBot
    from bot.voice import VoiceManager

log = logging.getLogger(__name__)


def reads_content(bot: discord.Client) -> bool:
    """Whether Discord sends this bot the text of other people's messages."""
    return bot.intents.message_content


async def content_missing(bot: TTSBot, manager: VoiceManager, message: discord.Message) -> bool:
    """True when the message's text can't be known (no message content intent); the first
    time in a server, say why in the channel, to the people who manage it."""
    if reads_content(bot):
        return False
    assert message.guild is not None
    notified = manager.content_notices
    if message.guild.id in notified:
        return True
    notified.add(message.guild.id)
    try:
        await message.channel.send(CONTENT_INTENT_MISSING, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:
        log.warning("could not explain the missing intent in guild %s: %s",
                    message.guild.id, exc)
    return True


async def reading(manager: VoiceManager, controls: ReadAloudControls,
                  message: discord.Message) -> None:
    """Show "Reading #channel" as the voice channel's status, where the bot may set it."""
    player = manager.player(message.guild.id) if message.guild else None
    if player is None or not controls.voice_status:
        return
    channel = player.voice_client.channel
    if not isinstance(channel, discord.VoiceChannel):
        return  # Stage channels have a topic, not a status
    status = f"Reading #{getattr(message.channel, 'name', 'chat')}"
    if manager.voice_status.get(channel.id) == status:
        return
    if not channel.permissions_for(channel.guild.me).set_voice_channel_status:
        return
    manager.voice_status[channel.id] = status
    try:
        await channel.edit(status=status)
    except discord.HTTPException as exc:
        log.info("could not set the status of voice channel %s: %s", channel.id, exc)
