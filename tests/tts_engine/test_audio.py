"""Encoded audio decodes back to what was synthesised."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from tts_engine import audio
from tts_engine.errors import UnsupportedFormat

RATE = 24000


def tone(seconds: float = 0.5, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_wav_is_pcm16_24k_mono():
    samples = tone()
    data = audio.encode(samples, "wav")
    info = sf.info(io.BytesIO(data))
    assert (info.samplerate, info.channels, info.subtype, info.frames) == (
        RATE, 1, "PCM_16", len(samples),
    )
    decoded, _ = sf.read(io.BytesIO(data), dtype="float32")
    np.testing.assert_allclose(decoded, samples, atol=1e-4)


def test_ogg_is_opus_and_smaller():
    samples = tone(2.0)
    data = audio.encode(samples, "ogg")
    info = sf.info(io.BytesIO(data))
    assert (info.format, info.subtype, info.samplerate) == ("OGG", "OPUS", RATE)
    decoded, _ = sf.read(io.BytesIO(data), dtype="float32")
    assert abs(len(decoded) - len(samples)) < RATE * 0.05
    assert len(data) < len(audio.encode(samples, "wav")) / 4


@pytest.mark.parametrize("fmt", ["flac", "mp3"])
def test_other_containers_decode(fmt):
    samples = tone(1.0)
    decoded, rate = sf.read(io.BytesIO(audio.encode(samples, fmt)), dtype="float32")
    assert rate == RATE
    assert abs(len(decoded) - len(samples)) < RATE * 0.1


def test_raw_pcm_is_s16le_and_clipped():
    samples = np.array([0.0, 0.5, -0.5, 2.0, -2.0], dtype=np.float32)
    pcm = np.frombuffer(audio.encode(samples, "pcm"), dtype="<i2")
    assert pcm.tolist() == [0, 16384, -16384, 32767, -32767]


def test_unknown_format_is_a_clear_error():
    with pytest.raises(UnsupportedFormat) as err:
        audio.encode(tone(), "aiff")
    assert "wav" in str(err.value)
    assert audio.content_type("ogg") == "audio/ogg"
