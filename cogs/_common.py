"""Helpers the cogs share: language choices, voice autocomplete, defaults, authorisation."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.utils import escape_markdown

from bot.errors import NotAllowed, ProjectNotFound
from bot.jobs import can_manage
from storage.models import GuildSettings, TTSProject, UserSettings
from tts_engine import LANGUAGES
from tts_engine.errors import InvalidRequest, TTSError

if TYPE_CHECKING:
    from bot.client import TTSBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()

#: The language option's choices: Discord shows the names, the bot gets the codes.
LANGUAGE_CHOICES = [app_commands.Choice(name=name, value=code) for code, name in LANGUAGES.items()]


class VoiceLanguageMismatch(InvalidRequest):
    """A voice and a language chosen together that do not belong together."""

    def __init__(self, voice: str, lang: str) -> None:
        self.voice, self.lang = voice, lang
        super().__init__(
            f"The voice {voice!r} does not speak {LANGUAGES.get(lang, lang)}. Pick a "
            f"{LANGUAGES.get(lang, lang)} voice (their names start with {lang!r}), or leave "
            "the language out."
        )


def voice_lang(voice: str) -> str:
    """The language code of a voice or blend: Kokoro names start with it (`af_heart` -> a)."""
    return voice.strip()[:1].lower()


def check_voice_language(voice: str, lang: str) -> None:
    """Refuse a voice (every part of a blend) that is not of `lang`."""
    for part in voice.replace("+", ",").split(","):
        name = part.split("(", 1)[0].strip()
        if name and voice_lang(name) != lang:
            raise VoiceLanguageMismatch(name, lang)


#: Explicit direction marks and overrides (U+202E turns the rest of a line around).
_BIDI_CONTROLS = dict.fromkeys(
    [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
#: C0 controls and DEL shown as their visible symbols (U+2400 block): NUL -> ␀, ESC -> ␛.
_CONTROL_PICTURES = {**{c: 0x2400 + c for c in range(0x20)}, 0x7F: 0x2421}
#: Markdown that only counts at the start of a line: "1." lists (escape_markdown covers
#: headings, quotes and "-" items).
_LIST_START = re.compile(r"^(\d+)\.(?=\s)")


def readable(text: str) -> str:
    """`text` on one line, with direction overrides dropped and control characters visible."""
    flat = " ".join(text.split())
    return flat.translate(_BIDI_CONTROLS).translate(_CONTROL_PICTURES)


def excerpt(text: str, limit: int = 60) -> str:
    """The start of `text` on one line (see `readable`), cut with an ellipsis."""
    flat = readable(text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def quote_text(text: str, limit: int) -> str:
    """What someone wrote, safe to show inside a message: one line, no markdown, nothing
    invisible."""
    escaped = escape_markdown(excerpt(text, limit))
    return _LIST_START.sub(r"\1\\.", escaped)


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


@dataclass(frozen=True)
class Defaults:
    """What a /tts request falls back to when an option is left out."""

    voice: str | None
    speed: float
    lang: str | None


async def resolve_defaults(
    user_id: int, guild_id: int | None, voice: str | None, speed: float | None,
    lang: str | None,
) -> Defaults:
    """Fill unset options from the user's settings, then the server's, then the engine's.

    A saved default voice is skipped when it does not speak an explicitly chosen language.
    """
    user = await UserSettings.get_or_none(user_id=str(user_id))
    guild = await GuildSettings.get_or_none(guild_id=guild_id) if guild_id else None
    layers = [s for s in (user, guild) if s is not None]
    if voice is None:
        wanted = lang or next((s.lang for s in layers if s.lang), None)
        voice = next((s.voice for s in layers if s.voice and (
            wanted is None or voice_lang(s.voice) == wanted)), None)
        if lang is None and voice is None:
            lang = wanted
    if speed is None:
        speed = next((s.speed for s in layers if s.speed is not None), 1.0)
    return Defaults(voice, speed, lang)


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
