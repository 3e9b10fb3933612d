"""`/history`: the caller's projects, newest first, as an ephemeral embed with paging."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.jobs.errors import ProjectNotFound
from storage.models import ProjectStatus, TTSProject
from tts_engine import LANGUAGES

from ._audio import pick_audio, public_link
from ._text import NO_MENTIONS, excerpt, quote_text
from .error_handler import report_error

if TYPE_CHECKING:
    from bot.client import TTSBot

log = logging.getLogger(__name__)

STATUS_EMOJI = {"pending": "⏳", "processing": "🎙️", "completed": "✅", "failed": "❌",
                "cancelled": "🚫"}


def history_embed(projects: list[TTSProject], page: int, per_page: int) -> discord.Embed:
    """One page of projects: status, progress, voice, language, created, excerpt, and the link
    where one can be opened from outside (the menu attaches the audio otherwise)."""
    embed = discord.Embed(title="Your text-to-speech projects", colour=discord.Colour.blurple())
    if not projects:
        embed.description = "Nothing here yet: try `/tts`." if page == 0 else "No more projects."
    for project in projects:
        url = public_link(project.audio_url)
        link = f" · [audio]({url})" if url else ""
        created = int(project.created_at.timestamp())
        embed.add_field(
            name=f"{STATUS_EMOJI.get(project.status, '')} {project.status} · "
                 f"{project.progress}% · `{project.id.hex[:8]}`",
            value=(f"“{quote_text(project.text, 80)}”\n`{project.voice}` · "
                   f"{LANGUAGES.get(project.lang_code, project.lang_code)} · "
                   f"<t:{created}:R>{link}")[:1024],
            inline=False,
        )
    embed.set_footer(text=f"Page {page + 1} · {per_page} per page")
    return embed


class AudioMenu(discord.ui.Select["HistoryView"]):
    """Sends the audio of a finished project on the page, attached, to its owner only."""

    def __init__(self, bot: TTSBot, projects: list[TTSProject]) -> None:
        super().__init__(custom_id="history:audio", placeholder="Get the audio of…", options=[
            discord.SelectOption(label=excerpt(p.text, 90) or p.id.hex[:8], value=p.id.hex,
                                 description=f"{p.voice} · {p.duration_s or 0:.1f} s")
            for p in projects
        ])
        self.bot = bot

    async def callback(self, interaction: discord.Interaction) -> None:
        """Attach the chosen project's audio to a private reply."""
        project = await self.bot.jobs.get(self.values[0])
        if project is None:
            raise ProjectNotFound(self.values[0])
        await interaction.response.defer(ephemeral=True, thinking=True)
        file = await pick_audio(self.bot.jobs, project, interaction.filesize_limit)
        if file is None:
            await interaction.followup.send(
                "That audio is too large to attach here, and this bot publishes no download "
                "links.", ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await interaction.followup.send(f"“{quote_text(project.text, 80)}”",
                                        file=file.to_file(), ephemeral=True,
                                        allowed_mentions=NO_MENTIONS)


class HistoryView(discord.ui.View):
    """Previous / Next buttons over one user's history; only that user may press them."""

    def __init__(self, bot: TTSBot, user_id: int, per_page: int) -> None:
        super().__init__(timeout=600)
        self.bot, self.user_id, self.per_page = bot, user_id, per_page
        self.page = 0
        self._audio_menu: AudioMenu | None = None

    async def load(self) -> discord.Embed:
        """Fetch the current page and set which buttons work."""
        rows = await self.bot.jobs.history(str(self.user_id), limit=self.per_page + 1,
                                           offset=self.page * self.per_page)
        self.previous.disabled = self.page == 0
        self.next.disabled = len(rows) <= self.per_page
        page = rows[: self.per_page]
        if self._audio_menu is not None:
            self.remove_item(self._audio_menu)
        done = [p for p in page if p.status == ProjectStatus.COMPLETED and p.storage_key]
        self._audio_menu = AudioMenu(self.bot, done) if done else None
        if self._audio_menu is not None:
            self.add_item(self._audio_menu)
        return history_embed(page, self.page, self.per_page)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """The history is private: only its owner pages through it."""
        if interaction.user.id == self.user_id:
            return True
        await interaction.response.send_message("That list belongs to someone else; use "
                                                "`/history` for yours.", ephemeral=True)
        return False

    async def on_error(self, interaction: discord.Interaction, error: Exception,
                       item: discord.ui.Item[Any]) -> None:
        """Report like any command error."""
        await report_error(interaction, error)

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.page = max(0, self.page + step)
        embed = await self.load()
        await interaction.response.edit_message(embed=embed, view=self,
                                                allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Previous", emoji="◀️", custom_id="history:previous")
    async def previous(self, interaction: discord.Interaction,
                       button: discord.ui.Button[HistoryView]) -> None:
        """One page back."""
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", emoji="▶️", custom_id="history:next")
    async def next(self, interaction: discord.Interaction,
                   button: discord.ui.Button[HistoryView]) -> None:
        """One page on."""
        await self._turn(interaction, +1)


class History(commands.Cog):
    """The caller's own projects."""

    def __init__(self, bot: TTSBot) -> None:
        self.bot = bot

    @app_commands.command(name="history", description="Your recent text-to-speech projects")
    @app_commands.describe(limit="Projects per page (1-10)")
    async def history(self, interaction: discord.Interaction,
                      limit: app_commands.Range[int, 1, 10] = 5) -> None:
        """Show the first page; the buttons page through the rest."""
        view = HistoryView(self.bot, interaction.user.id, limit)
        embed = await view.load()
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)


async def setup(bot: TTSBot) -> None:
    """Extension entry point."""
    await bot.add_cog(History(bot))
