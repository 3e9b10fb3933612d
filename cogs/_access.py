"""Who may manage a project from Discord: its owner, or a server manager in its own server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.jobs import can_manage
from bot.jobs.errors import NotAllowed, ProjectNotFound
from storage.models import TTSProject

if TYPE_CHECKING:
    from bot.client import TTSBot


def manages_guild_of(interaction: discord.Interaction, project: TTSProject) -> bool:
    """Whether the caller holds Manage Server in the project's own server (asked there)."""
    return (project.guild_id is not None and interaction.guild_id == project.guild_id
            and interaction.permissions.manage_guild)


async def authorised_project(interaction: discord.Interaction, project_id: str) -> TTSProject:
    """The project, if the caller may manage it; `ProjectNotFound` / `NotAllowed` otherwise."""
    bot: TTSBot = interaction.client  # type: ignore[assignment]
    project = await bot.jobs.get(project_id)
    if project is None:
        raise ProjectNotFound(project_id)
    if not can_manage(project, interaction.user.id,
                      manages_guild=manages_guild_of(interaction, project)):
        raise NotAllowed()
    return project
