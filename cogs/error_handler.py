"""One place where errors become what the user reads.

A `TTSError` is shown as its own sentence (`str(err)`); anything unexpected is logged with a
short id, and the user is shown that id. Every answer is ephemeral and pings nobody.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.jobs.errors import QueueFull
from tts_engine.errors import TTSError

if TYPE_CHECKING:
    from bot.client import TTSBot

log = logging.getLogger(__name__)


def unwrap(error: BaseException) -> BaseException:
    """The error behind discord.py's wrappers (`CommandInvokeError`, `TransformerError`)."""
    while True:
        inner = getattr(error, "original", None) or (
            error.__cause__ if isinstance(error, app_commands.TransformerError) else None)
        if inner is None or inner is error:
            return error
        error = inner


def user_message(error: BaseException, where: str = "command") -> str:
    """The sentence the user sees for `error`; logs unexpected ones with an id."""
    error = unwrap(error)
    if isinstance(error, QueueFull) and error.per_user:
        return (f"You already have {error.active} requests queued or running; the limit is "
                f"{error.cap}. Wait for one to finish, or cancel one with `/delete`.")
    if isinstance(error, TTSError):
        return str(error)
    if isinstance(error, app_commands.MissingPermissions):
        return "You need the Manage Server permission to do that."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That only works in a server."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that here."
    ref = uuid.uuid4().hex[:8]
    log.error("unexpected error in %s (error id %s)", where, ref, exc_info=error)
    return f"Something went wrong on our side (error id `{ref}`). Please try again later."


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user what went wrong, ephemerally, whatever state the interaction is in."""
    where = interaction.command.qualified_name if interaction.command else "component"
    text = user_message(error, where)
    none = discord.AllowedMentions.none()
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=none)
            return
        if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
            # A public "thinking…" placeholder would stay behind; replace it by a private note.
            try:
                await interaction.delete_original_response()
            except discord.HTTPException:
                log.debug("could not delete the placeholder", exc_info=True)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=none)
    except discord.HTTPException:
        log.warning("could not report an error to the user", exc_info=True)


class ErrorHandler(commands.Cog):
    """Routes every slash-command error to `report_error`."""

    def __init__(self, bot: TTSBot) -> None:
        self.bot = bot
        self._previous = bot.tree.on_error

    async def cog_load(self) -> None:
        """Install the tree-wide handler."""
        self.bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        """Put the previous handler back."""
        self.bot.tree.on_error = self._previous  # type: ignore[method-assign]

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Answer a failed command with one ephemeral sentence."""
        await report_error(interaction, error)


async def setup(bot: TTSBot) -> None:
    """Extension entry point."""
    await bot.add_cog(ErrorHandler(bot))
