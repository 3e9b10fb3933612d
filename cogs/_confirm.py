"""Deleting a project: an ephemeral question with a confirm button, then the deletion."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from storage.models import TTSProject

from ._access import authorised_project
from ._text import NO_MENTIONS, quote_text
from .error_handler import report_error

if TYPE_CHECKING:
    from bot.client import TTSBot

log = logging.getLogger(__name__)


def describe(project: TTSProject) -> str:
    """One line naming a project: its status, voice and text."""
    return (f"`{project.id.hex[:8]}` · {project.status} · `{project.voice}` · "
            f"“{quote_text(project.text, 60)}”")


class ConfirmDelete(discord.ui.DynamicItem[discord.ui.Button[Any]],
                    template=r"project:delete:(?P<id>[0-9a-f]{32})"):
    """The confirm button: deletes the row and the stored audio (cancelling a running job)."""

    def __init__(self, project_hex: str) -> None:
        super().__init__(discord.ui.Button(
            label="Delete", style=discord.ButtonStyle.danger,
            custom_id=f"project:delete:{project_hex}",
        ))
        self.project_hex = project_hex

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
        match: re.Match[str], /,
    ) -> ConfirmDelete:
        """Rebuild the button from its custom id."""
        return cls(match["id"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Check the caller may, then delete."""
        bot: TTSBot = interaction.client  # type: ignore[assignment]
        try:
            project = await authorised_project(interaction, self.project_hex)
            await bot.jobs.delete(project.id)
        except Exception as exc:  # every failure reaches the user as one sentence
            await report_error(interaction, exc)
            return
        log.info("user %s deleted project %s", interaction.user.id, project.id)
        await interaction.response.edit_message(
            content=f"🗑️ Deleted {describe(project)}", view=None, allowed_mentions=NO_MENTIONS)
        await retract_reply(bot, project)


async def retract_reply(bot: TTSBot, project: TTSProject) -> None:
    """Take the audio off the project's public /tts reply (best effort: the interaction token
    behind it lasts 15 minutes)."""
    if not project.interaction_token or project.progress_message_id is None:
        return
    if project.status != "completed" or bot.application_id is None:
        return  # an active job's follower reports the deletion itself
    webhook = discord.Webhook.partial(bot.application_id, project.interaction_token, client=bot)
    try:
        await webhook.edit_message(project.progress_message_id,
                                   content="🗑️ This audio was deleted.", attachments=[],
                                   view=None, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:
        log.info("could not update the reply of deleted project %s: %s", project.id, exc)


async def ask_delete(interaction: discord.Interaction, project: TTSProject) -> None:
    """Ask the caller to confirm deleting `project` (ephemeral)."""
    view = discord.ui.View(timeout=None)
    view.add_item(ConfirmDelete(project.id.hex))
    await interaction.response.send_message(
        f"Delete {describe(project)}? Its audio is removed too; this cannot be undone.",
        view=view, ephemeral=True, allowed_mentions=NO_MENTIONS,
    )
