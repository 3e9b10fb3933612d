"""The buttons under a finished /tts reply: "Play in voice" and "Delete".

They are dynamic items (the project id is in the custom id), so they keep working after the
bot restarts.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from tts_engine.errors import TTSError

from .._access import authorised_project
from .._confirm import ask_delete
from .._text import NO_MENTIONS
from ..error_handler import report_error

if TYPE_CHECKING:
    from bot.client import TTSBot

log = logging.getLogger(__name__)


class VoiceUnavailable(TTSError):
    """Playback asked for where it cannot happen."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)


class ResultButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                   template=r"tts:(?P<action>play|delete):(?P<id>[0-9a-f]{32})"):
    """A button acting on one project."""

    def __init__(self, action: str, project_hex: str) -> None:
        play = action == "play"
        super().__init__(discord.ui.Button(
            label="Play in voice" if play else "Delete", emoji="🔊" if play else "🗑️",
            style=discord.ButtonStyle.primary if play else discord.ButtonStyle.danger,
            custom_id=f"tts:{action}:{project_hex}",
        ))
        self.action, self.project_hex = action, project_hex

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
        match: re.Match[str], /,
    ) -> ResultButton:
        """Rebuild the button from its custom id."""
        return cls(match["action"], match["id"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Play the project in the caller's voice channel, or ask to delete it."""
        try:
            if self.action == "delete":
                project = await authorised_project(interaction, self.project_hex)
                await ask_delete(interaction, project)
            else:
                await play_in_voice(interaction, self.project_hex)
        except Exception as exc:  # every failure reaches the user as one sentence
            await report_error(interaction, exc)


def in_voice(member: discord.abc.User | None) -> bool:
    """Whether `member` is in a voice channel of the server."""
    voice = getattr(member, "voice", None)
    return voice is not None and voice.channel is not None


async def play_in_voice(interaction: discord.Interaction, project_hex: str) -> None:
    """Hand the project's audio to the voice feature's player."""
    bot: TTSBot = interaction.client  # type: ignore[assignment]
    manager = bot.voice_manager
    if manager is None:
        raise VoiceUnavailable("Playing in voice channels isn't enabled on this bot.")
    guild = interaction.guild
    member = guild.get_member(interaction.user.id) if guild else None
    if guild is None or not in_voice(member):
        raise VoiceUnavailable("Join a voice channel first, then press Play again.")
    project = await bot.jobs.get(project_hex)
    if project is None:
        raise VoiceUnavailable("That audio has been deleted.")
    await interaction.response.defer(ephemeral=True, thinking=True)
    await manager.play_project(guild, member, project)
    await interaction.followup.send("Playing it in your voice channel.", ephemeral=True,
                                    allowed_mentions=NO_MENTIONS)


def result_view(bot: TTSBot, project_hex: str, show_play: bool) -> discord.ui.View:
    """The buttons of a finished reply; "Play in voice" only where it can work."""
    view = discord.ui.View(timeout=None)
    if show_play and bot.voice_manager is not None:
        view.add_item(ResultButton("play", project_hex))
    view.add_item(ResultButton("delete", project_hex))
    return view
