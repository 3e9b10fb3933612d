"""What the server tells Home Assistant about itself: every voice with its language."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from wyoming.info import Attribution, Info, TtsProgram, TtsVoice

from tts_engine import VoiceInfo

#: Kokoro language letter -> the BCP 47 tag Home Assistant matches its languages against.
LANGUAGE_TAGS: dict[str, str] = {
    "a": "en-US", "b": "en-GB", "e": "es-ES", "f": "fr-FR", "h": "hi-IN", "i": "it-IT",
    "p": "pt-BR", "j": "ja-JP", "z": "zh-CN",
}
_KOKORO = Attribution(name="hexgrad", url="https://huggingface.co/hexgrad/Kokoro-82M")


def _version() -> str | None:
    try:
        return version("kokoro-discord-tts")
    except PackageNotFoundError:
        return None


def lang_for_tag(tag: str) -> str | None:
    """The Kokoro language letter for a language tag ("en_US", "en-gb", "fr"), if any."""
    wanted = tag.strip().replace("_", "-").lower()
    for letter, known in LANGUAGE_TAGS.items():
        if known.lower() == wanted:
            return letter
    primary = wanted.split("-", 1)[0]
    # A bare "en" means American English, the engine's first English.
    for letter, known in LANGUAGE_TAGS.items():
        if known.lower().split("-", 1)[0] == primary:
            return letter
    return None


def build_info(voices: list[VoiceInfo]) -> Info:
    """The `info` event's content for these voices."""
    program = TtsProgram(
        name="kokoro",
        description="Kokoro-82M text to speech",
        attribution=_KOKORO,
        installed=True,
        version=_version(),
        voices=[
            TtsVoice(
                name=voice.name,
                description=voice.label,
                attribution=_KOKORO,
                installed=True,
                version=None,
                languages=[LANGUAGE_TAGS.get(voice.lang, voice.lang)],
            )
            for voice in voices
        ],
        supports_synthesize_streaming=True,
    )
    return Info(tts=[program])
