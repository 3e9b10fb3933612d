"""`/voices [language]`: the voices the bot can speak with."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from tts_engine import LANGUAGES, VoiceInfo

from ._choices import LANGUAGE_CHOICES
from ._text import NO_MENTIONS

if TYPE_CHECKING:
    from bot.client import TTSBot

log = logging.getLogger(__name__)


def voices_embed(voices: list[VoiceInfo], lang: str | None) -> discord.Embed:
    """Voices grouped by language, one field each."""
    title = f"{LANGUAGES[lang]} voices" if lang else "Voices"
    embed = discord.Embed(title=title, colour=discord.Colour.blurple(),
                          description="Use a name with `/tts voice:`; blend voices like "
                                      "`af_bella,af_sky` or `af_bella(2)+af_sky(1)`.")
    groups: dict[str, list[VoiceInfo]] = defaultdict(list)
    for info in voices:
        groups[info.lang].append(info)
    for code in LANGUAGES:
        if code not in groups:
            continue
        # The label already says language and gender: "Emma (British English, female)".
        lines = [f"`{v.name}` {v.label}" for v in groups[code]]
        value = "\n".join(lines)
        if len(value) > 1024:
            value = value[:1000].rsplit("\n", 1)[0] + "\n…"
        embed.add_field(name=LANGUAGES[code], value=value, inline=True)
    if not groups:
        embed.description = "No voices found for that language."
    return embed


class Voices(commands.Cog):
    """Listing voices."""

    def __init__(self, bot: TTSBot) -> None:
        self.bot = bot

    @app_commands.command(name="voices", description="List the available voices")
    @app_commands.describe(language="Only this language's voices")
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def voices(self, interaction: discord.Interaction,
                     language: str | None = None) -> None:
        """Reply privately with the voice list."""
        embed = voices_embed(self.bot.engine.voices(language), language)
        await interaction.response.send_message(embed=embed, ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)


async def setup(bot: TTSBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Voices(bot))
