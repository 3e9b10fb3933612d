"""The PCM Discord voice expects: 48 kHz stereo s16le in 20 ms frames, from the engine's
24 kHz mono float32 (resampled with soxr, streaming)."""

from __future__ import annotations

import numpy as np
import soxr

from tts_engine.audio import to_pcm16
from tts_engine.speech import SAMPLE_RATE


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
