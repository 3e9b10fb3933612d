"""A Discord message as people wrote it, turned into what is said: the text, its attachments
and stickers, replies, forwarded messages, and the speaker's name."""

from __future__ import annotations

import discord

from bot import lookups
from bot.voice.controls import ReadAloudControls
from bot.voice.text import MentionKind, NameLookup, clean_text, describe_attachments


def name_lookup(guild: discord.Guild, message: discord.Message | None = None) -> NameLookup:
    """Display names for mentions, from the server's cache (and the message's own mentions)."""
    def lookup(kind: MentionKind, target: int) -> str | None:
        if kind == "user":
            # The message's own mentions first: Discord sends every mentioned user with it,
            # while the member cache holds only some members (no members intent).
            mentioned = message.mentions if message is not None else []
            member: discord.abc.User | None = next(
                (u for u in mentioned if u.id == target), None) or guild.get_member(target)
            return member.display_name if member is not None else None
        if kind == "role":
            role = guild.get_role(target)
            return role.name if role is not None else None
        channel = guild.get_channel_or_thread(target)
        return channel.name if channel is not None else None
    return lookup


async def spoken_name(guild_id: int, author: discord.abc.User,
                      controls: ReadAloudControls) -> str:
    """How the author's name is said: their /nickname, else the server nickname or the
    display name, as the server chose."""
    chosen = await lookups.spoken_name(guild_id, author.id)
    if chosen is not None:
        return chosen
    if controls.name_source == "display":
        return author.global_name or author.name
    return author.display_name


def forwarded(message: discord.Message) -> discord.MessageSnapshot | None:
    """The snapshot of a forwarded message, if this is one."""
    ref = message.reference
    if ref is not None and ref.type is discord.MessageReferenceType.forward and \
            message.message_snapshots:
        return message.message_snapshots[0]
    return None


def body(message: discord.Message, content: str, controls: ReadAloudControls,
         max_chars: int) -> str:
    """The message's words and what it carries, cleaned (empty: nothing worth saying)."""
    snapshot = forwarded(message)
    source: discord.Message | discord.MessageSnapshot = snapshot or message
    if snapshot is not None:
        content = snapshot.content
    assert message.guild is not None
    text = clean_text(content, name_lookup(message.guild, message), max_chars,
                      emoji=controls.emoji, repeat_limit=controls.repeat_limit)
    voice_note = message.flags.voice
    extras = describe_attachments([a.content_type for a in source.attachments],
                                  [s.name for s in source.stickers], voice_note)
    if extras:
        text = f"{text}, with {extras}" if text else extras
    return text


def opening(message: discord.Message, name: str, controls: ReadAloudControls) -> str:
    """How a message is introduced: "<name> replied, ", "<name> forwarded, " or the
    server's "<name> said, "."""
    if forwarded(message) is not None:
        return f"{name} forwarded, "
    if message.type is discord.MessageType.reply:
        return f"{name} replied, "
    return controls.said(name)
