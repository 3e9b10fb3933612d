"""OpenAI voice names -> Kokoro voices, so clients written for OpenAI sound as users expect."""

from __future__ import annotations

from collections.abc import Collection

#: Each OpenAI voice, with Kokoro voices of the same character in order of preference; a model
#: dir that lacks the first (a custom or trimmed one) still gets a voice of the same accent and
#: gender.
OPENAI_VOICES: dict[str, tuple[str, ...]] = {
    "alloy": ("af_alloy", "af_heart"),
    "ash": ("am_michael", "am_adam"),
    "ballad": ("bm_lewis", "bm_george"),
    "coral": ("af_kore", "af_heart"),
    "echo": ("am_echo", "am_adam"),
    "fable": ("bm_fable", "bm_george"),
    "nova": ("af_nova", "af_bella"),
    "onyx": ("am_onyx", "am_adam"),
    "sage": ("af_sarah", "af_sky"),
    "shimmer": ("af_nicole", "af_bella"),
    "verse": ("am_puck", "am_adam"),
}


def resolve_voice(name: str, installed: Collection[str], default: str) -> str:
    """The Kokoro voice spec for `name`: OpenAI names are mapped, anything else passes through."""
    candidates = OPENAI_VOICES.get(name.strip().lower())
    if candidates is None:
        return name
    return next((voice for voice in candidates if voice in installed), default)


def aliases(installed: Collection[str], default: str) -> dict[str, str]:
    """Every OpenAI name and the voice it resolves to with the installed voices."""
    return {name: resolve_voice(name, installed, default) for name in OPENAI_VOICES}
