"""Turning what a user typed into a `SpeechRequest`, or the domain error that explains why not.

No model is needed: only the config's limits and the voice catalogue.
"""

from __future__ import annotations

import math
import re
import unicodedata

from tts_engine.config import EngineConfig
from tts_engine.errors import (
    LanguageNotSupported,
    NothingToSay,
    SpeedOutOfRange,
    TextEmpty,
    TextTooLong,
    VoiceLanguageMismatch,
)
from tts_engine.model.voices import Blend, VoiceLibrary, parse_spec
from tts_engine.speech import LANGUAGES, SpeechRequest
from tts_engine.text.g2p import check_language
from tts_engine.text.normalize import normalize

MIN_SPEED, MAX_SPEED = 0.5, 2.0
#: Kokoro's own spellings of the language codes, accepted as aliases.
LANGUAGE_ALIASES = {
    "en-us": "a", "en": "a", "en-gb": "b", "es": "e", "fr-fr": "f", "fr": "f", "hi": "h",
    "it": "i", "pt-br": "p", "pt": "p", "ja": "j", "zh": "z",
}


def language_code(lang: str) -> str:
    """`lang` as one of the LANGUAGES codes (aliases accepted), or `LanguageNotSupported`."""
    code = lang.strip().lower()
    code = LANGUAGE_ALIASES.get(code, code)
    if code not in LANGUAGES:
        raise LanguageNotSupported(lang, list(LANGUAGES))
    return code


def default_voice(config: EngineConfig, library: VoiceLibrary, lang: str | None) -> str:
    """The configured default voice, or (another language) that language's first female voice."""
    default = config.default_voice
    if lang is None or default.startswith(lang):
        return default
    same = [n for n in library.names if n.startswith(lang)]
    return next((n for n in same if n[1] == "f"), same[0] if same else default)


def voice_language(voice: str) -> str:
    """The language code of a voice or blend: Kokoro names start with it (`af_heart` -> a)."""
    return voice.strip()[:1].lower()


def check_voice_language(blend: Blend, lang: str) -> None:
    """Refuse a blend with a part that does not speak `lang`."""
    for name, _ in blend.parts:
        if voice_language(name) != lang:
            raise VoiceLanguageMismatch(name, lang)


def has_speakable(text: str) -> bool:
    """Whether `text` has a letter or a digit: without one (control or zero-width characters,
    lone symbols) every phonemizer produces nothing, so the request is refused up front."""
    return any(ch.isalnum() for ch in text)


# Terminal escape sequences (ECMA-48), removed whole: dropping only the ESC would leave "[31m"
# to be read aloud. Control strings (OSC, DCS...) end at BEL or ST, else at the end of the text;
# control sequences (CSI, ESC [ or the one-byte \x9b) at their final byte; the rest are ESC,
# intermediate bytes, and one final character.
_ESCAPES = re.compile(
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|\Z)"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|\x1b[ -/]*[0-~]?",
    re.DOTALL,
)


def without_controls(text: str) -> str:
    """`text` without escape sequences and control characters (NUL, BEL, ESC...), whitespace
    kept: they are never spoken, and some stores (PostgreSQL's text) cannot even hold a NUL."""
    if any(unicodedata.category(ch) == "Cc" for ch in text if not ch.isspace()):
        text = _ESCAPES.sub("", text)
    return "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) != "Cc")


def _check_speed(speed: float) -> float:
    if not isinstance(speed, int | float) or not math.isfinite(speed) or not (
        MIN_SPEED <= speed <= MAX_SPEED
    ):
        raise SpeedOutOfRange(float(speed), MIN_SPEED, MAX_SPEED)
    return float(speed)


def build_request(
    config: EngineConfig,
    library: VoiceLibrary,
    text: str,
    voice: str | None,
    lang: str | None,
    speed: float,
) -> SpeechRequest:
    """Validate every field; the language defaults to the (first) voice's prefix letter.

    A language chosen together with a voice must be the voice's own (every part of a blend)
    unless `cross_language_voices` is set; a blend of several languages is allowed when the
    language is left to the lead voice.
    """
    if not text or not text.strip():
        raise TextEmpty()
    if len(text) > config.max_text_chars:
        raise TextTooLong(len(text), config.max_text_chars)
    text = without_controls(text).strip()
    if not has_speakable(text):
        raise NothingToSay()
    speed = _check_speed(speed)
    code = None if lang is None else language_code(lang)
    blend = parse_spec(voice or default_voice(config, library, code))
    library.check(blend)
    if code is None:
        code = blend.lead[0] if blend.lead[0] in LANGUAGES else config.default_lang
    elif voice is not None and not config.cross_language_voices:
        check_voice_language(blend, code)
    check_language(code)
    text = spoken_text(config, text, code)
    return SpeechRequest(text=text, voice=blend.spec, lang=code, speed=speed)


def spoken_text(config: EngineConfig, text: str, lang: str) -> str:
    """`text` as it will be said (numbers, dates, links... as words), within the length limit.

    Every front door reaches it through `build_request`, after the pronunciation dictionary
    (its phoneme markup passes through untouched) and before G2P; the text as typed was
    already checked against the limit, so a huge text costs no normalisation."""
    if config.normalize_text:
        text = normalize(text, lang)
    if len(text) > config.max_text_chars:
        raise TextTooLong(len(text), config.max_text_chars, spoken=True)
    return text
