"""`/tts`: text to speech with a live progress reply and the audio attached."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import TTSCog

if TYPE_CHECKING:
    from bot.client import TTSBot


async def setup(bot: TTSBot) -> None:
    """Extension entry point."""
    await bot.add_cog(TTSCog(bot))
