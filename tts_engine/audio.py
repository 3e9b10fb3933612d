"""Encoders for finished audio, and the 48 kHz stereo PCM stream Discord voice expects."""

from __future__ import annotations

import io
import logging

import numpy as np
import soundfile as sf
import soxr

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


class DiscordPCM:
    """Streaming converter: 24 kHz mono float32 chunks -> 48 kHz stereo s16le 20 ms frames.

    `feed` returns only whole frames and keeps the remainder for the next call; `flush` ends
    the stream, padding the last frame with silence.
    """

    RATE = 48000
    FRAME_BYTES = 3840  # 20 ms * 48 kHz * 2 channels * 2 bytes

    def __init__(self) -> None:
        self._resampler = soxr.ResampleStream(SAMPLE_RATE, self.RATE, 1, dtype="float32")
        self._pending = b""

    def _frames(self, resampled: np.ndarray, last: bool) -> bytes:
        mono = to_pcm16(resampled)
        data = self._pending + np.repeat(mono, 2).tobytes()  # interleaved L R L R
        whole = len(data) - len(data) % self.FRAME_BYTES
        if last and whole < len(data):
            data += b"\0" * (self.FRAME_BYTES - len(data) % self.FRAME_BYTES)
            whole = len(data)
        self._pending = data[whole:]
        return data[:whole]

    def feed(self, chunk: np.ndarray) -> bytes:
        """Whole frames for `chunk` (possibly none yet)."""
        out = self._resampler.resample_chunk(np.asarray(chunk, dtype=np.float32).reshape(-1))
        return self._frames(out, last=False)

    def flush(self) -> bytes:
        """The rest of the stream, padded to a whole frame."""
        out = self._resampler.resample_chunk(np.zeros(0, np.float32), last=True)
        return self._frames(out, last=True)
