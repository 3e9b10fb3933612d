"""Slash-command choices the cogs share: languages, and voice autocomplete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands

from tts_engine import LANGUAGES
from tts_engine.errors import TTSError

if TYPE_CHECKING:
    from bot.client import TTSBot

#: The language option's choices: Discord shows the names, the bot gets the codes.
LANGUAGE_CHOICES = [app_commands.Choice(name=name, value=code) for code, name in LANGUAGES.items()]


async def voice_choices(
    bot: TTSBot, current: str, lang: str | None
) -> list[app_commands.Choice[str]]:
    """Voice autocomplete: fuzzy matches from the engine, filtered by language."""
    try:
        names = bot.engine.suggest_voices(current, lang=lang or None, limit=25)
        labels = {v.name: v for v in bot.engine.voices()}
    except TTSError:
        return []
    out = []
    for name in names:
        info = labels.get(name)
        label = f"{name} — {info.label}" if info else name  # the label names the language
        out.append(app_commands.Choice(name=label[:100], value=name))
    return out
