"""Drop-in replacements for Kokoro decoder modules: fused residual blocks, bf16 convolutions."""

from __future__ import annotations

import torch
from kokoro.istftnet import AdaIN1d, AdaINResBlock1
from torch import nn

from tts_engine.model.fast._frames import Valid
from tts_engine.model.fast._fused import AdaINSnake

Conv = nn.Conv1d | nn.ConvTranspose1d


class LowPrecisionConv(nn.Module):
    """A convolution whose weights and arithmetic are bf16; fp32 in, fp32 out.

    On CPUs with AVX-512 BF16 (or AMX) oneDNN runs bf16 convolutions about twice as fast as
    fp32; the accumulators stay fp32 inside oneDNN, and callers keep seeing fp32 tensors.
    """

    def __init__(self, conv: Conv, dtype: torch.dtype = torch.bfloat16,
                 fp32_out: bool = True) -> None:
        super().__init__()
        self.conv: nn.Module = conv.to(dtype)  # 1-D, or its 2-D twin (`_layout.to_2d`)
        self.dtype = dtype
        self.fp32_out = fp32_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Convolve `x` in the low precision; fp32 out unless the caller takes bf16."""
        y = self.conv(x.to(self.dtype))
        return y.float() if self.fp32_out else y


def maybe_low(conv: nn.Module, enabled: bool, fp32_out: bool = True) -> nn.Module:
    """`conv` wrapped in `LowPrecisionConv` when `enabled`, else unchanged."""
    if enabled and isinstance(conv, nn.Conv1d | nn.ConvTranspose1d):
        return LowPrecisionConv(conv, fp32_out=fp32_out)
    return conv


def _style_affine(adain: AdaIN1d, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Fold AdaIN's style projection and the norm's own affine into one scale and shift."""
    h = adain.fc(s).unsqueeze(-1)
    gamma, beta = torch.chunk(h, chunks=2, dim=1)
    weight = adain.norm.weight
    bias = adain.norm.bias
    if weight is None or bias is None:  # InstanceNorm1d(affine=False)
        return 1 + gamma, beta
    scale = (1 + gamma) * weight.view(1, -1, 1)
    return scale, (1 + gamma) * bias.view(1, -1, 1) + beta


class FusedResBlock(nn.Module):
    """`AdaINResBlock1` with each AdaIN + Snake pair run as one fused kernel.

    Holds the original block's layers (weights shared, not copied); the convolutions may be
    swapped for bf16 ones.
    """

    def __init__(self, block: AdaINResBlock1, kernel: AdaINSnake, low_precision: bool) -> None:
        super().__init__()
        # With bf16 convolutions the kernel writes bf16 and the convolutions hand bf16 on:
        # no separate cast passes; the residual sum `x` stays fp32.
        self.convs1 = nn.ModuleList(maybe_low(c, low_precision, False) for c in block.convs1)
        self.convs2 = nn.ModuleList(maybe_low(c, low_precision, False) for c in block.convs2)
        self.out_dtype = torch.bfloat16 if low_precision else torch.float32
        self.adain1 = block.adain1
        self.adain2 = block.adain2
        # Snake's alpha and 1/alpha, fixed at inference.
        alpha1 = torch.stack([a.detach() for a in block.alpha1])
        alpha2 = torch.stack([a.detach() for a in block.alpha2])
        self.alpha1: torch.Tensor
        self.alpha2: torch.Tensor
        self.inv_alpha1: torch.Tensor
        self.inv_alpha2: torch.Tensor
        self.register_buffer("alpha1", alpha1)
        self.register_buffer("alpha2", alpha2)
        self.register_buffer("inv_alpha1", 1 / alpha1)
        self.register_buffer("inv_alpha2", 1 / alpha2)
        self.kernel = kernel

    def forward(self, x: torch.Tensor, s: torch.Tensor, valid: Valid | None = None
                ) -> torch.Tensor:
        """Same maths as `AdaINResBlock1.forward`, fewer passes over memory. `x` is `(N, C, T)`,
        or `(N, C, 1, T)` channels-last once the convolutions are 2-D (`_layout`); where its
        time axis is padded (`valid`), the padding stays out of the statistics and the
        convolutions (the result's padding frames are not zero: mask before convolving)."""
        def per_channel(t: torch.Tensor) -> torch.Tensor:  # (N, C, 1) -> x's rank
            return t.view(*t.shape[:2], *([1] * (x.dim() - 2)))

        for i in range(len(self.convs1)):
            scale, shift = map(per_channel, _style_affine(self.adain1[i], s))
            xt = self.kernel(x, scale, shift, per_channel(self.alpha1[i]),
                             per_channel(self.inv_alpha1[i]), self.out_dtype, valid)
            xt = self.convs1[i](xt)
            scale, shift = map(per_channel, _style_affine(self.adain2[i], s))
            xt = self.kernel(xt, scale, shift, per_channel(self.alpha2[i]),
                             per_channel(self.inv_alpha2[i]), self.out_dtype, valid)
            xt = self.convs2[i](xt)
            x = x + xt  # fp32 + bf16 -> fp32
        return x
