"""What the fake heard: received packets grouped into utterances, and their sound."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._rtp import ReceivedPacket

FRAME_S = 0.02
RATE = 48000
#: RMS (of int16 samples) above which a 20 ms frame counts as sound rather than silence.
SILENCE_RMS = 30.0


@dataclass
class Utterance:
    """Consecutive audio frames from one played source (ended by discord.py's silence
    markers when `complete`)."""

    packets: list[ReceivedPacket] = field(default_factory=list)
    complete: bool = False

    @property
    def samples(self) -> np.ndarray:
        """Mono int16 samples at 48 kHz (the left channel)."""
        pcm = np.frombuffer(b"".join(p.pcm for p in self.packets), dtype="<i2")
        return pcm[0::2]

    @property
    def started_at(self) -> float:
        """When its first packet arrived (time.monotonic())."""
        return self.packets[0].received_at

    @property
    def duration(self) -> float:
        """Seconds of audio, silence frames inside it included."""
        return len(self.packets) * FRAME_S

    def frame_rms(self) -> np.ndarray:
        """The RMS of each 20 ms frame."""
        frames = self.samples.astype(np.float64)
        usable = len(frames) - len(frames) % 960
        return np.sqrt((frames[:usable].reshape(-1, 960) ** 2).mean(axis=1))

    @property
    def audible(self) -> float:
        """Seconds from the first to the last frame with sound in it."""
        loud = np.flatnonzero(self.frame_rms() > SILENCE_RMS)
        return 0.0 if len(loud) == 0 else (loud[-1] - loud[0] + 1) * FRAME_S

    @property
    def ssrcs(self) -> list[int]:
        """The sessions it arrived over, in order (more than one after a reconnect)."""
        out: list[int] = []
        for p in self.packets:
            if not out or out[-1] != p.ssrc:
                out.append(p.ssrc)
        return out


def split_utterances(packets: list[ReceivedPacket]) -> list[Utterance]:
    """Group packets into utterances: discord.py ends every played source with silence
    markers, and sends nothing between sources."""
    out: list[Utterance] = []
    current = Utterance()
    for packet in packets:
        if packet.end_marker:
            if current.packets:
                current.complete = True
                out.append(current)
                current = Utterance()
            continue
        current.packets.append(packet)
    if current.packets:
        out.append(current)
    return out


def waveform_match(received: np.ndarray, expected: np.ndarray, expected_rate: int = 24000,
                   max_lag_s: float = 0.05) -> float:
    """How alike two sounds are, from -1 to 1: the peak normalised cross-correlation of the
    waveforms within `max_lag_s` of alignment. `received` is 48 kHz (int16 or float);
    `expected` is resampled from `expected_rate`. Opus keeps the waveform of the model's output
    well enough that the same audio scores ~0.7 and different audio ~0."""
    import soxr

    a = np.asarray(received, dtype=np.float64)
    b = soxr.resample(np.asarray(expected, dtype=np.float64), expected_rate, RATE)
    n = min(len(a), len(b))
    if n == 0:
        return 0.0
    a, b = a[:n] - a[:n].mean(), b[:n] - b[:n].mean()
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    if norm == 0:
        return 0.0
    size = 1 << int(np.ceil(np.log2(2 * n)))
    xcorr = np.fft.irfft(np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size)), size)
    lag = int(max_lag_s * RATE)
    window = np.concatenate([xcorr[:lag + 1], xcorr[-lag:]])
    return float(window.max() / norm)


def envelope(samples: np.ndarray, rate: int, frame_s: float = FRAME_S) -> np.ndarray:
    """The RMS per frame of float or int samples (for comparing sounds across codecs)."""
    data = np.asarray(samples, dtype=np.float64)
    if data.dtype.kind == "f" and np.abs(data).max(initial=0) > 2:
        data = data / 32768.0
    size = int(rate * frame_s)
    usable = len(data) - len(data) % size
    return np.sqrt((data[:usable].reshape(-1, size) ** 2).mean(axis=1))


def similarity(received: np.ndarray, expected: np.ndarray) -> float:
    """Pearson correlation of two envelopes, aligned at their start, over the shorter one."""
    n = min(len(received), len(expected))
    if n < 3:
        return 0.0
    a, b = received[:n], expected[:n]
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])
