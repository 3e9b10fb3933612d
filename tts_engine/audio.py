"""Encoders for finished audio: WAV, Ogg Opus, MP3, FLAC and raw PCM."""

from __future__ import annotations

import io
import logging

import numpy as np
import soundfile as sf

from tts_engine.errors import UnsupportedFormat
from tts_engine.speech import SAMPLE_RATE

log = logging.getLogger(__name__)

#: Format name -> (libsndfile container, subtype, MIME type).
FORMATS: dict[str, tuple[str, str, str]] = {
    "wav": ("WAV", "PCM_16", "audio/wav"),
    "ogg": ("OGG", "OPUS", "audio/ogg"),
    "mp3": ("MP3", "MPEG_LAYER_III", "audio/mpeg"),
    "flac": ("FLAC", "PCM_16", "audio/flac"),
    "pcm": ("RAW", "PCM_16", "audio/L16;rate=24000;channels=1"),
}


def _mono(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(samples, dtype=np.float32).reshape(-1), -1.0, 1.0)


def to_pcm16(samples: np.ndarray) -> np.ndarray:
    """float32 in [-1, 1] -> int16, clipping what lies outside."""
    return (_mono(samples) * 32767.0).round().astype("<i2")


def encode(samples: np.ndarray, fmt: str) -> bytes:
    """Encode 24 kHz mono float32 samples as `fmt` (wav, ogg (Opus), mp3, flac or raw pcm)."""
    key = fmt.lower().lstrip(".")
    if key not in FORMATS:
        raise UnsupportedFormat(fmt, list(FORMATS))
    if key == "pcm":
        return to_pcm16(samples).tobytes()
    container, subtype, _ = FORMATS[key]
    buffer = io.BytesIO()
    sf.write(buffer, _mono(samples), SAMPLE_RATE, format=container, subtype=subtype)
    return buffer.getvalue()


def content_type(fmt: str) -> str:
    """The MIME type of `fmt`."""
    key = fmt.lower().lstrip(".")
    if key not in FORMATS:
        raise UnsupportedFormat(fmt, list(FORMATS))
    return FORMATS[key][2]
