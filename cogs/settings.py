"""`/settings`: your default voice, speed and language (and the server's, for its managers)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import lookups
from storage.models import GuildSettings, UserSettings
from tts_engine import LANGUAGES

from ._choices import LANGUAGE_CHOICES, voice_choices
from ._text import NO_MENTIONS

if TYPE_CHECKING:
    from bot.client import TTSBot

log = logging.getLogger(__name__)


def _describe(row: UserSettings | GuildSettings | None) -> str:
    if row is None or (row.voice is None and row.speed is None and row.lang is None):
        return "nothing set"
    parts = []
    if row.voice:
        parts.append(f"voice `{row.voice}`")
    if row.speed is not None:
        parts.append(f"speed {row.speed:g}")
    if row.lang:
        parts.append(f"language {LANGUAGES.get(row.lang, row.lang)}")
    return ", ".join(parts)


class Settings(commands.GroupCog, group_name="settings",
               group_description="Your /tts defaults (and the server's)"):
    """Default voice, speed and language for /tts."""

    def __init__(self, bot: TTSBot) -> None:
        self.bot = bot
        super().__init__()

    def _checked(self, voice: str | None, speed: float | None, lang: str | None,
                 reset: bool) -> dict[str, Any]:
        """The fields to save; raises the user's mistake (unknown voice, mismatch...)."""
        if reset:
            return {"voice": None, "speed": None, "lang": None}
        if voice is not None or speed is not None or lang is not None:
            # A voice and a language together must match: validation refuses a mismatch.
            req = self.bot.engine.validate("check", voice, lang, 1.0 if speed is None else speed)
            voice = req.voice if voice is not None else None
        fields = {"voice": voice, "speed": speed, "lang": lang}
        return {k: v for k, v in fields.items() if v is not None}

    @app_commands.command(name="user", description="Set your own defaults for /tts")
    @app_commands.describe(voice="Default voice", speed="Default speed (0.5-2.0)",
                           language="Default language", reset="Clear your defaults")
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def user(self, interaction: discord.Interaction, voice: str | None = None,
                   speed: app_commands.Range[float, 0.5, 2.0] | None = None,
                   language: str | None = None, reset: bool = False) -> None:
        """Save the caller's defaults and show them."""
        fields = self._checked(voice, speed, language, reset)
        if fields:
            await UserSettings.update_or_create(defaults=fields, user_id=str(interaction.user.id))
            await lookups.user_changed(interaction.user.id)
        row = await UserSettings.get_or_none(user_id=str(interaction.user.id))
        await interaction.response.send_message(f"Your defaults: {_describe(row)}.",
                                                ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="server", description="Set this server's defaults for /tts")
    @app_commands.describe(voice="Default voice", speed="Default speed (0.5-2.0)",
                           language="Default language", reset="Clear the server's defaults")
    @app_commands.choices(language=LANGUAGE_CHOICES)
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def server(self, interaction: discord.Interaction, voice: str | None = None,
                     speed: app_commands.Range[float, 0.5, 2.0] | None = None,
                     language: str | None = None, reset: bool = False) -> None:
        """Save the server's defaults (Manage Server only) and show them."""
        assert interaction.guild_id is not None
        fields = self._checked(voice, speed, language, reset)
        if fields:
            await GuildSettings.update_or_create(defaults=fields, guild_id=interaction.guild_id)
            await lookups.guild_changed(interaction.guild_id)
        row = await GuildSettings.get_or_none(guild_id=interaction.guild_id)
        await interaction.response.send_message(f"This server's defaults: {_describe(row)}.",
                                                ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="show", description="Show your defaults and the server's")
    async def show(self, interaction: discord.Interaction) -> None:
        """What /tts will use when an option is left out."""
        mine = await UserSettings.get_or_none(user_id=str(interaction.user.id))
        lines = [f"Yours: {_describe(mine)}."]
        if interaction.guild_id:
            server = await GuildSettings.get_or_none(guild_id=interaction.guild_id)
            lines.append(f"This server's: {_describe(server)}.")
        engine = self.bot.settings.engine
        lines.append(f"Otherwise: voice `{engine.default_voice}`, speed 1.")
        await interaction.response.send_message("\n".join(lines), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @user.autocomplete("voice")
    @server.autocomplete("voice")
    async def _voice_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await voice_choices(self.bot, current, interaction.namespace.language)


async def setup(bot: TTSBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Settings(bot))
