"""Running totals of the engine's inference, for whoever reports on it (metrics, benchmarks)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from tts_engine.speech import SAMPLE_RATE

#: The weight of each new chunk in `EngineStats.recent_rate`.
RECENT_WEIGHT = 0.3


@dataclass
class EngineStats:
    """Seconds spent in the model and seconds of audio it produced, since the engine started.

    Their ratio is the real-time factor; updated by the scheduler's worker threads, read by
    anyone (a lock keeps the pair consistent). `recent_rate` follows the last few chunks, for
    what the machine gives now (other work on the same cores slows it).
    """

    inference_seconds: float = 0.0
    audio_seconds: float = 0.0
    chunks: int = 0
    _recent: float | None = field(default=None, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, seconds: float, samples: int) -> None:
        """Count one inference call of `seconds` that produced `samples` at 24 kHz."""
        audio = samples / SAMPLE_RATE
        with self._lock:
            self.inference_seconds += seconds
            self.audio_seconds += audio
            self.chunks += 1
            if seconds > 0 and audio > 0:
                rate = audio / seconds
                self._recent = rate if self._recent is None \
                    else self._recent + RECENT_WEIGHT * (rate - self._recent)

    def recent_rate(self) -> float | None:
        """Seconds of audio per second of inference over the last few chunks (a moving
        average), None before the first."""
        with self._lock:
            return self._recent

    def totals(self) -> tuple[float, float, int]:
        """(inference seconds, audio seconds, chunks), read together."""
        with self._lock:
            return self.inference_seconds, self.audio_seconds, self.chunks


class StreamRate:
    """Seconds of speech one stream gets per wall second, from one chunk's end to the next
    (waiting behind other streams and for its reader included), at most the engine's recent
    rate; before its first chunk, the engine's. How soon its next chunk can be expected."""

    def __init__(self, engine: EngineStats) -> None:
        self._engine = engine
        self._last = time.monotonic()
        self._measured: float | None = None

    def chunk(self, samples: int) -> None:
        """The stream's next `samples` of audio are made."""
        now = time.monotonic()
        wall, self._last = now - self._last, now
        if wall > 0 and samples > 0:
            self._measured = samples / SAMPLE_RATE / wall

    def __call__(self) -> float | None:
        rates = [r for r in (self._engine.recent_rate(), self._measured) if r is not None]
        return min(rates, default=None)
