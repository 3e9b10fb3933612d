"""How close two renderings of the same utterance are: SNR and log-mel spectral distance."""

from __future__ import annotations

import math

import numpy as np
import torch

SAMPLE_RATE = 24000
N_FFT = 1024
HOP = 256
N_MELS = 80


def snr_db(reference: np.ndarray | torch.Tensor, other: np.ndarray | torch.Tensor) -> float:
    """Signal-to-noise ratio of `other` against `reference`, in dB (inf when identical)."""
    ref = np.asarray(reference, dtype=np.float64).ravel()
    out = np.asarray(other, dtype=np.float64).ravel()
    if ref.shape != out.shape:
        raise ValueError(f"length mismatch: {ref.shape[0]} vs {out.shape[0]} samples")
    noise = float(np.sum((ref - out) ** 2))
    signal = float(np.sum(ref**2))
    if noise == 0.0:
        return math.inf
    return 10.0 * math.log10(max(signal, 1e-30) / noise)


def _mel_filters(n_fft: int, n_mels: int, sample_rate: int) -> torch.Tensor:
    """Triangular HTK-scale mel filterbank, shape (n_mels, n_fft // 2 + 1)."""
    def to_mel(f: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def to_hz(m: np.ndarray) -> np.ndarray:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    edges = to_hz(np.linspace(0, to_mel(np.array(sample_rate / 2.0)), n_mels + 2))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs[None, :] - lower) / (centre - lower)
    falling = (upper - freqs[None, :]) / (upper - centre)
    return torch.from_numpy(np.maximum(0.0, np.minimum(rising, falling))).float()


def log_mel_db(samples: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Log-mel power spectrogram in dB, shape (n_mels, frames)."""
    x = torch.as_tensor(np.asarray(samples, dtype=np.float32)).ravel()
    spec = torch.stft(x, N_FFT, HOP, window=torch.hann_window(N_FFT), return_complex=True)
    mel = _mel_filters(N_FFT, N_MELS, SAMPLE_RATE) @ spec.abs().square()
    return 10.0 * torch.log10(mel.clamp_min(1e-10))


def log_mel_distance(reference: np.ndarray | torch.Tensor,
                     other: np.ndarray | torch.Tensor) -> float:
    """RMS difference of the two log-mel spectrograms, in dB (0 when identical)."""
    a, b = log_mel_db(reference), log_mel_db(other)
    frames = min(a.shape[1], b.shape[1])
    return float(torch.sqrt(torch.mean((a[:, :frames] - b[:, :frames]) ** 2)))
