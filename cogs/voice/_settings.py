"""/readaloud: which text channels the bot reads aloud in a server, and how (Manage Server)."""

from __future__ import annotations

import discord
from discord import app_commands

from storage.models import GuildSettings

ReadableChannel = discord.TextChannel | discord.VoiceChannel | discord.StageChannel


def describe(settings: GuildSettings) -> str:
    """The server's read-aloud settings in one paragraph."""
    channels = ", ".join(f"<#{c}>" for c in settings.read_channel_ids or []) or "none"
    return (f"Read aloud while I'm in voice: {channels} (plus the voice channel's own chat). "
            f"Auto-join: {'on' if settings.auto_join else 'off'}. "
            f"Announce names: {'on' if settings.announce_names else 'off'}.")


async def update(guild_id: int, channel: ReadableChannel | None, read: bool,
                 auto_join: bool | None, announce_names: bool | None) -> GuildSettings:
    """Apply a /readaloud change and return the settings as saved."""
    settings, _ = await GuildSettings.get_or_create(guild_id=guild_id)
    ids = [int(c) for c in settings.read_channel_ids or []]
    if channel is not None:
        ids = [c for c in ids if c != channel.id] + ([channel.id] if read else [])
    settings.read_channel_ids = ids
    if auto_join is not None:
        settings.auto_join = auto_join
    if announce_names is not None:
        settings.announce_names = announce_names
    await settings.save()
    return settings


@app_commands.command(name="readaloud",
                      description="Choose channels read aloud in voice (Manage Server)")
@app_commands.describe(
    channel="A text channel to read aloud (or stop reading, with read: False)",
    read="Read that channel (default) or stop reading it",
    auto_join="Join a writer's voice channel by itself when they write there",
    announce_names='Say "<name> said" before a new speaker')
@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
@app_commands.checks.has_permissions(manage_guild=True)
async def readaloud(interaction: discord.Interaction, channel: ReadableChannel | None = None,
                    read: bool = True, auto_join: bool | None = None,
                    announce_names: bool | None = None) -> None:
    """Show or change the server's read-aloud settings."""
    assert interaction.guild_id is not None
    settings = await update(interaction.guild_id, channel, read, auto_join, announce_names)
    await interaction.response.send_message(describe(settings), ephemeral=True,
                                            allowed_mentions=discord.AllowedMentions.none())
