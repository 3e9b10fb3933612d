"""`/delete`: remove one of your projects (server managers may remove any in their server)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from ._access import authorised_project
from ._confirm import ConfirmDelete, ask_delete
from ._text import excerpt

if TYPE_CHECKING:
    from bot.client import TTSBot

log = logging.getLogger(__name__)


class Delete(commands.Cog):
    """Deleting projects, after a confirmation."""

    def __init__(self, bot: TTSBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        """Confirm buttons keep working after restarts."""
        self.bot.add_dynamic_items(ConfirmDelete)

    async def cog_unload(self) -> None:
        """Forget the confirm buttons."""
        self.bot.remove_dynamic_items(ConfirmDelete)

    @app_commands.command(name="delete", description="Delete a project and its audio")
    @app_commands.describe(project="The project (type to search your projects)")
    async def delete(self, interaction: discord.Interaction, project: str) -> None:
        """Ask for confirmation; the button deletes."""
        found = await authorised_project(interaction, project.strip())
        await ask_delete(interaction, found)

    @delete.autocomplete("project")
    async def _project_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        rows = await self.bot.jobs.history(str(interaction.user.id), limit=100)
        needle = current.strip().lower()
        choices = []
        for row in rows:
            label = f"{row.created_at:%b %d %H:%M} · {row.status} · {excerpt(row.text, 60)}"
            if needle and needle not in label.lower() and not row.id.hex.startswith(needle):
                continue
            choices.append(app_commands.Choice(name=label[:100], value=str(row.id)))
        return choices[:25]


async def setup(bot: TTSBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Delete(bot))
