"""/readaloud: which text channels the bot reads aloud in a server, who is read and how
(Manage Server)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from pydantic import ValidationError

from bot import lookups
from bot.voice.controls import ReadAloudControls
from cogs.voice._status import reads_content
from storage.models import GuildSettings
from tts_engine.errors import InvalidRequest

if TYPE_CHECKING:
    from bot.client import TTSBot

ReadableChannel = discord.TextChannel | discord.VoiceChannel | discord.StageChannel
#: Words that turn a text control off.
OFF_WORDS = frozenset({"off", "none", "all", "-"})


class BadControl(InvalidRequest):
    """A /readaloud value that can't be used; the message says which and why."""


def describe(settings: GuildSettings, bot: TTSBot | None = None) -> str:
    """The server's read-aloud settings in one paragraph and the controls."""
    channels = ", ".join(f"<#{c}>" for c in settings.read_channel_ids or []) or "none"
    text = (f"Read aloud while I'm in voice: {channels} (plus the voice channel's own chat). "
            f"Auto-join: {'on' if settings.auto_join else 'off'}. "
            f"Announce names: {'on' if settings.announce_names else 'off'}.\n"
            + ReadAloudControls.load(settings.readaloud).describe())
    if bot is not None and not reads_content(bot):
        text += ("\n⚠ This bot runs without the message content intent, so it can't read "
                 "messages aloud; /say and /tts work.")
    return text


def _role(role: discord.Role | None) -> int | None:
    """A role option: @everyone means "no role"."""
    return None if role is None or role.is_default() else role.id


def _voices(bot: TTSBot, raw: str) -> list[str]:
    if raw.strip().lower() in OFF_WORDS:
        return []
    names = [n.strip() for n in raw.replace(" ", ",").split(",") if n.strip()]
    installed = {v.name for v in bot.engine.voices()}
    unknown = [n for n in names if n not in installed]
    if unknown:
        raise BadControl(f"No such voice: {', '.join(unknown)}. See /voices.")
    return names


def control_changes(bot: TTSBot, options: dict[str, Any]) -> dict[str, Any]:
    """The controls a /readaloud call sets, from its options (unset ones left out)."""
    changes = {k: v for k, v in options.items() if v is not None and k in
               ReadAloudControls.model_fields}
    if "required_role" in options and options["required_role"] is not None:
        changes["required_role_id"] = _role(options["required_role"])
    if "priority_role" in options and options["priority_role"] is not None:
        changes["priority_role_id"] = _role(options["priority_role"])
    prefix = options.get("required_prefix")
    if prefix is not None:
        changes["required_prefix"] = "" if prefix.strip().lower() in OFF_WORDS else prefix.strip()
    if options.get("allowed_voices") is not None:
        changes["allowed_voices"] = _voices(bot, options["allowed_voices"])
    return changes


async def update(guild_id: int, channel: ReadableChannel | None, read: bool,
                 auto_join: bool | None, announce_names: bool | None,
                 controls: dict[str, Any] | None = None) -> GuildSettings:
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
    if controls:
        merged = {**ReadAloudControls.load(settings.readaloud).model_dump(), **controls}
        try:
            settings.readaloud = ReadAloudControls.model_validate(merged).model_dump()
        except ValidationError as exc:
            err = exc.errors()[0]
            raise BadControl(f"{err['loc'][0]}: {err['msg']}.") from None
    await settings.save()
    await lookups.guild_changed(guild_id)
    return settings


@app_commands.command(name="readaloud",
                      description="Choose channels read aloud in voice, who is read and how "
                                  "(Manage Server)")
@app_commands.describe(
    channel="A text channel to read aloud (or stop reading, with read: False)",
    read="Read that channel (default) or stop reading it",
    auto_join="Join a writer's voice channel by itself when they write there",
    announce_names='Say "<name> said" before a new speaker',
    required_role="Only read members with this role (@everyone: anyone)",
    required_prefix='Only read messages starting with this (removed); "off" for none',
    read_bots="Read messages from bots and webhooks",
    ignore_audience="Skip members listening in the Stage audience",
    voice_chat="Read the voice channel's own text chat",
    read_self_muted="Read members who muted or deafened themselves",
    max_seconds="Longest message, in seconds of speech (cut with \"and so on\")",
    repeat_limit="Collapse a character repeated more than this (0: never)",
    emoji="Read emoji by name, or skip them",
    name_template='How names are announced; "{name}" is the name, e.g. "{name} says"',
    name_source="Which name: the server nickname or the display name",
    allowed_voices='Voices members may use here, comma-separated; "all" for any',
    priority_role="Messages of members with this role jump the queue (@everyone: none)",
    voice_status='Show "Reading #channel" as the voice channel status',
    speedup_after="Read faster once this many messages wait",
    speedup_step="Extra speed per waiting message (0.1: +10%; 0: never faster)",
    max_speedup="Fastest reading when messages pile up (times normal speed)",
    skip_after_s="Skip messages waiting longer than this, with a summary (0: never)")
@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
@app_commands.checks.has_permissions(manage_guild=True)
async def readaloud(
        interaction: discord.Interaction, channel: ReadableChannel | None = None,
        read: bool = True, auto_join: bool | None = None, announce_names: bool | None = None,
        required_role: discord.Role | None = None, required_prefix: str | None = None,
        read_bots: bool | None = None, ignore_audience: bool | None = None,
        voice_chat: bool | None = None, read_self_muted: bool | None = None,
        max_seconds: app_commands.Range[float, 1.0, 120.0] | None = None,
        repeat_limit: app_commands.Range[int, 0, 20] | None = None,
        emoji: Literal["name", "skip"] | None = None, name_template: str | None = None,
        name_source: Literal["nickname", "display"] | None = None,
        allowed_voices: str | None = None, priority_role: discord.Role | None = None,
        voice_status: bool | None = None,
        speedup_after: app_commands.Range[int, 1, 50] | None = None,
        speedup_step: app_commands.Range[float, 0.0, 0.5] | None = None,
        max_speedup: app_commands.Range[float, 1.0, 2.0] | None = None,
        skip_after_s: app_commands.Range[float, 0.0, 3600.0] | None = None) -> None:
    """Show or change the server's read-aloud settings."""
    assert interaction.guild_id is not None
    bot: TTSBot = interaction.client  # type: ignore[assignment]
    options = dict(locals())
    controls = control_changes(bot, options)
    settings = await update(interaction.guild_id, channel, read, auto_join, announce_names,
                            controls)
    await interaction.response.send_message(describe(settings, bot), ephemeral=True,
                                            allowed_mentions=discord.AllowedMentions.none())
