"""Running totals of the engine's inference, for whoever reports on it (metrics, benchmarks)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from tts_engine.speech import SAMPLE_RATE


@dataclass
class EngineStats:
    """Seconds spent in the model and seconds of audio it produced, since the engine started.

    Their ratio is the real-time factor; updated by the scheduler's worker threads, read by
    anyone (a lock keeps the pair consistent).
    """

    inference_seconds: float = 0.0
    audio_seconds: float = 0.0
    chunks: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, seconds: float, samples: int) -> None:
        """Count one inference call of `seconds` that produced `samples` at 24 kHz."""
        with self._lock:
            self.inference_seconds += seconds
            self.audio_seconds += samples / SAMPLE_RATE
            self.chunks += 1

    def totals(self) -> tuple[float, float, int]:
        """(inference seconds, audio seconds, chunks), read together."""
        with self._lock:
            return self.inference_seconds, self.audio_seconds, self.chunks
