"""The value types of the engine contract: requests, audio clips, voice descriptions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 24000

#: Kokoro's language codes and their names, in the order users see them.
LANGUAGES: dict[str, str] = {
    "a": "American English",
    "b": "British English",
    "e": "Spanish",
    "f": "French",
    "h": "Hindi",
    "i": "Italian",
    "p": "Brazilian Portuguese",
    "j": "Japanese",
    "z": "Mandarin Chinese",
}


@dataclass(frozen=True)
class SpeechRequest:
    """A validated request: text within limits, a known voice (or blend), a language, a speed."""

    text: str
    voice: str
    lang: str
    speed: float


@dataclass(frozen=True)
class Audio:
    """A finished clip: float32 mono samples at `sample_rate`."""

    samples: np.ndarray
    sample_rate: int = SAMPLE_RATE

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return float(len(self.samples)) / self.sample_rate


@dataclass(frozen=True)
class VoiceInfo:
    """One voice: its name (`af_heart`), language code, gender and a human label."""

    name: str
    lang: str
    gender: str
    label: str
