"""One way to build a `SpeechRequest`, for every front door (Discord, HTTP, OpenAI, Wyoming).

What someone typed becomes what is said in one order everywhere: the written text is checked
first (so an over-long text costs no dictionary work), then the pronunciation dictionary is
applied (the user's entries, then the server's), then what will be said is validated again
(a dictionary entry cannot smuggle a text past the limits). Discord's front doors first fill
unset options from the member's and the server's saved settings (`resolve_defaults`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import dictionary, lookups
from tts_engine import Engine, SpeechRequest
from tts_engine.validation import voice_language


@dataclass(frozen=True)
class Defaults:
    """What a request falls back to when an option is left out."""

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
    user = await lookups.user_settings(user_id)
    guild = await lookups.guild_settings(guild_id) if guild_id else None
    layers = [s for s in (user, guild) if s is not None]
    if voice is None:
        wanted = lang or next((s.lang for s in layers if s.lang), None)
        voice = next((s.voice for s in layers if s.voice and (
            wanted is None or voice_language(s.voice) == wanted)), None)
        if lang is None and voice is None:
            lang = wanted
    if speed is None:
        speed = next((s.speed for s in layers if s.speed is not None), 1.0)
    return Defaults(voice, speed, lang)


async def build_request(
    engine: Engine,
    text: str,
    *,
    voice: str | None = None,
    lang: str | None = None,
    speed: float | None = None,
    user_id: int | str | None = None,
    guild_id: int | None = None,
) -> SpeechRequest:
    """The validated request for `text` with the dictionaries of `user_id` and `guild_id`
    applied; the domain error a user should see when it cannot be said."""
    speed = 1.0 if speed is None else speed
    engine.validate(text, voice, lang, speed)
    spoken = await dictionary.speakable(text, user_id, guild_id)
    return engine.validate(spoken, voice, lang, speed)
