"""Speaking in voice channels (see `cogs.voice._cog`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.voice import VoiceManager
from cogs.voice._cog import VoiceCog

if TYPE_CHECKING:
    from bot.client import TTSBot


async def setup(bot: TTSBot) -> None:
    """Create the voice manager (`bot.voice_manager`) and add the cog."""
    manager = VoiceManager(bot, bot.engine, bot.settings.voice)
    bot.voice_manager = manager
    await bot.add_cog(VoiceCog(bot, manager))
