"""AdaIN followed by Snake, the elementwise heart of the iSTFTNet residual blocks, fused.

Stock Kokoro spends about 40% of its time on these elementwise ops (instance norm, the style
affine, `x + sin(a*x)**2 / a`), each a separate pass over tensors of up to 12.5 M floats. One
fused kernel (Inductor, via `torch.compile`) reads the input twice (statistics, then the
transform) and writes once. Where no compiler works the eager version runs, which is still
fewer passes than stock. A masked twin serves the generator's padded lengths (`_frames`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import torch

from tts_engine.model.fast._frames import Valid

log = logging.getLogger(__name__)

Kernel = Callable[..., torch.Tensor]

EPS = 1e-5  # nn.InstanceNorm1d's default, which Kokoro's AdaIN1d uses


def adain_snake_eager(
    x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor, alpha: torch.Tensor,
    inv_alpha: torch.Tensor, out_dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Instance-normalise `x` over time (its last axis), apply the folded style affine, then
    Snake.

    `x` is `(N, C, T)`, or `(N, C, 1, T)` in the generator's channels-last layout (kept).
    `scale`/`shift` fold AdaIN's `(1 + gamma) * (norm_w * xhat + norm_b) + beta` into one
    affine (shape `(N, C, 1)`, or `(N, C, 1, 1)`); computed in fp32 whatever the input dtype.
    """
    x = x.float()
    var, mean = torch.var_mean(x, dim=-1, keepdim=True, correction=0)
    mult = torch.rsqrt(var + EPS) * scale
    y = torch.addcmul(shift - mean * mult, x, mult)
    s = torch.sin(y * alpha)
    return y.addcmul_(s.square_(), inv_alpha).to(out_dtype)


def _adain_snake_fused(
    x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor, alpha: torch.Tensor,
    inv_alpha: torch.Tensor, out_dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    # Out-of-place twin of the eager version: Inductor fuses it (and the cast) into one loop.
    x = x.float()
    var, mean = torch.var_mean(x, dim=-1, keepdim=True, correction=0)
    y = (x - mean) * (torch.rsqrt(var + EPS) * scale) + shift
    return (y + inv_alpha * torch.sin(alpha * y) ** 2).to(out_dtype)


def adain_snake_masked(
    x: torch.Tensor, mask: torch.Tensor, count: torch.Tensor, scale: torch.Tensor,
    shift: torch.Tensor, alpha: torch.Tensor, inv_alpha: torch.Tensor,
    out_dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """The same on a padded time axis (`_frames.Valid`): statistics over the `count` frames
    where `mask` is true, zeros written on the others (so a convolution reads them as its own
    zero padding). Out of place: Inductor fuses it as it does the unmasked one."""
    x = x.float()
    mean = torch.where(mask, x, 0.0).sum(dim=-1, keepdim=True) / count
    centred = torch.where(mask, x - mean, 0.0)
    var = centred.square().sum(dim=-1, keepdim=True) / count
    y = centred * (torch.rsqrt(var + EPS) * scale) + shift
    return torch.where(mask, y + inv_alpha * torch.sin(alpha * y) ** 2, 0.0).to(out_dtype)


_compiled: dict[Kernel, Kernel] = {}
_compile_lock = threading.Lock()


def _compiled_kernel(fn: Kernel) -> Kernel:
    """One compiled twin of `fn` per process: Dynamo's cache lives on it, so engines share it."""
    with _compile_lock:
        if fn not in _compiled:
            _compiled[fn] = torch.compile(fn, dynamic=True)
        return _compiled[fn]


class AdaINSnake:
    """The kernels in use: compiled when `compile` was asked for and works, else eager; the
    masked one (`adain_snake_masked`) where the time axis is padded.

    Compilation happens on a kernel's first call (the engine's warm-up), under a lock so
    concurrent first callers compile once. Any failure, then or later, logs one warning and
    switches to the eager kernels for good; the eager result is recomputed, so a failed
    compiled call loses nothing.
    """

    def __init__(self, compile: bool) -> None:
        self._lock = threading.Lock()
        self._kernels: dict[bool, Kernel] = {}
        self._warm: set[bool] = set()
        self.compiled = False
        if compile:
            try:
                self._kernels = {False: _compiled_kernel(_adain_snake_fused),
                                 True: _compiled_kernel(adain_snake_masked)}
                self.compiled = True
            except Exception as exc:  # no Inductor backend on this platform
                log.warning("torch.compile unavailable (%s); using eager kernels", exc)

    def __call__(
        self, x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor, alpha: torch.Tensor,
        inv_alpha: torch.Tensor, out_dtype: torch.dtype = torch.float32,
        valid: Valid | None = None,
    ) -> torch.Tensor:
        """Apply the fused AdaIN + Snake, over `valid`'s frames when given; the result in
        `out_dtype`."""
        masked = valid is not None
        args: tuple[object, ...] = (x, scale, shift, alpha, inv_alpha, out_dtype)
        eager: Kernel = adain_snake_eager
        if valid is not None:
            args = (x, valid.mask, valid.count, *args[1:])
            eager = adain_snake_masked
        if not self.compiled:
            return eager(*args)
        try:
            kernel = self._kernels[masked]
            if masked in self._warm:
                return kernel(*args)
            with self._lock:
                out = kernel(*args)
                self._warm.add(masked)
                return out
        except Exception as exc:  # e.g. no working C++ compiler: Inductor fails at first call
            if self.compiled:
                log.warning("compiled kernel failed (%s); falling back to eager", exc)
                self.compiled = False
            return eager(*args)
