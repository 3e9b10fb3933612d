"""Frame buckets: the generator runs on a few lengths, padded, so oneDNN reuses its kernels.

oneDNN builds (JIT-compiles) a primitive for every convolution shape it meets and keeps the
last 1,024; Kokoro's generator has about 60 convolutions, so each sentence of a length the
process has not decoded lately pays for building them again: on an AMX CPU a new length cost
a third more than a repeated one (the generator 201 ms against 131 ms for a 2.8 s line). The
generator can instead pad its input to the next of eight lengths per octave (at most 1/8 more
frames, ~6% on average; `FastOptions.frame_buckets`, on by default where the convolutions run in
bf16), and every step that would let the padding leak into the real frames is
masked (`Valid`):

- instance-norm statistics are taken over the real frames only (the masked AdaIN + Snake);
- every convolution's input is zero beyond the real frames, exactly as the unpadded
  convolution's own zero padding would read it (the masked kernel writes zeros there; the
  upsampling and final convolutions' inputs are masked explicitly);
- the sine source and its STFT run on the real length and are zero-padded (so its random draws
  are stock's), and the inverse STFT sees the real frames only.

So the audio is the unpadded generator's to float rounding, whatever the bucket.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["Valid", "bucket", "mask_rest"]


def bucket(frames: int, per_octave: int = 8) -> int:
    """The length `frames` is padded to: the next multiple of a power of two chosen so that
    each octave has `per_octave` lengths (`per_octave` a power of two; 0 turns buckets off)."""
    if per_octave <= 0 or frames <= per_octave:
        return frames
    step = 1 << max(0, frames.bit_length() - 1 - (per_octave.bit_length() - 1))
    return -(-frames // step) * step


@dataclass(frozen=True)
class Valid:
    """Which frames along the last axis are real: the first `count`, of the tensor's length."""

    mask: torch.Tensor  #: bool, `(1, 1, 1, length)`: True on real frames
    count: torch.Tensor  #: float scalar: how many are real (the statistics' divisor)

    @classmethod
    def first(cls, count: int, length: int) -> Valid | None:
        """The first `count` of `length` frames; None when nothing is padding."""
        if count >= length:
            return None
        mask = (torch.arange(length) < count).view(1, 1, 1, length)
        return cls(mask, torch.tensor(float(count)))


def mask_rest(x: torch.Tensor, valid: Valid | None) -> torch.Tensor:
    """`x` with its padding frames zeroed (unchanged when there are none)."""
    return x if valid is None else torch.where(valid.mask, x, 0.0)
