"""`/tts`: validate, defer, queue the job, and hand the reply to the progress tracker."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.jobs import JobRequest
from bot.request import build_request, resolve_defaults
from tts_engine.errors import EngineNotReady

from .._choices import LANGUAGE_CHOICES, voice_choices
from ._buttons import ResultButton
from ._tracker import ProgressTracker, ReplyTarget

if TYPE_CHECKING:
    from bot.client import TTSBot

log = logging.getLogger(__name__)


class TTSCog(commands.Cog, name="TTS"):
    """Text to speech with a live progress reply."""

    def __init__(self, bot: TTSBot) -> None:
        self.bot = bot
        self.tracker = ProgressTracker(bot)

    async def cog_load(self) -> None:
        """Make result buttons work after restarts; follow jobs left unfinished."""
        self.bot.add_dynamic_items(ResultButton)
        if self.bot.application_id is not None:
            await self.tracker.resume()

    async def cog_unload(self) -> None:
        """Stop following jobs (they carry on; a restart resumes them)."""
        self.bot.remove_dynamic_items(ResultButton)
        await self.tracker.close()

    @app_commands.command(name="tts", description="Turn text into speech")
    @app_commands.describe(
        text="What to say", voice="Voice (type to search; blends like af_bella,af_sky work)",
        speed="0.5 to 2.0 (1.0 is normal)", language="Language of the text",
    )
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def tts(
        self, interaction: discord.Interaction, text: str, voice: str | None = None,
        speed: app_commands.Range[float, 0.5, 2.0] | None = None, language: str | None = None,
    ) -> None:
        """Queue `text` and keep the reply up to date until the audio is attached."""
        if not self.bot.engine.ready:
            raise EngineNotReady()
        defaults = await resolve_defaults(interaction.user.id, interaction.guild_id, voice,
                                          speed, language)
        # Checked before deferring so that mistakes and a full queue get a private answer at once.
        await build_request(self.bot.engine, text, voice=defaults.voice, lang=defaults.lang,
                            speed=defaults.speed, user_id=interaction.user.id,
                            guild_id=interaction.guild_id)
        await self.bot.jobs.check_caps(str(interaction.user.id))
        callback = await interaction.response.defer(thinking=True)
        result = await self.bot.jobs.submit(JobRequest(
            user_id=str(interaction.user.id), text=text, voice=defaults.voice,
            speed=defaults.speed, lang=defaults.lang, guild_id=interaction.guild_id,
            channel_id=interaction.channel_id, source="discord",
        ))
        message_id = callback.message_id if callback is not None else None
        if message_id is None:
            message_id = (await interaction.original_response()).id
        await self.bot.jobs.attach_message(
            result.project.id, channel_id=interaction.channel_id, message_id=message_id,
            interaction_token=interaction.token,
        )
        log.info("user %s queued %s at position %d", interaction.user.id, result.project.id,
                 result.position)
        self.tracker.follow(ReplyTarget(
            result.project.id, interaction.edit_original_response, interaction.user.id,
            interaction.guild_id, interaction.channel_id, interaction.filesize_limit,
            message_id,
        ))

    @tts.autocomplete("voice")
    async def _voice_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await voice_choices(self.bot, current, interaction.namespace.language)
