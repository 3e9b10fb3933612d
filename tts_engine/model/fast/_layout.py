"""The iSTFTNet generator with channels innermost, where oneDNN convolves without reordering.

PyTorch hands a 1-D convolution to oneDNN as a 2-D one of height 1 in NCHW order, and oneDNN,
which computes in a channels-innermost (blocked) layout, reorders every input and output: on an
AMX CPU those copies took longer than the bf16 arithmetic itself (22% of a sentence's time went
to copying the 4800 Hz stage's 128 x 14,401 activations, against 7% convolving them). Here each
convolution of the generator is the equivalent 2-D convolution on NHWC (`channels_last`)
tensors of height 1, kept in that layout from the first upsampling to the last projection, so
oneDNN reads and writes them as they are. Same arithmetic; oneDNN's channels-last kernels sum
in another order, so bf16 rounding differs: 44 dB SNR from the NCHW path on real weights, which
is itself 41 dB from stock fp32 (measured in `tests/tts_engine/model/test_fast.py` too).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from kokoro.istftnet import Generator
from torch import nn

from tts_engine.model.fast._frames import Valid, bucket, mask_rest
from tts_engine.model.fast._modules import LowPrecisionConv

__all__ = ["ChannelsLastGenerator", "to_2d"]


def _nhwc(x: torch.Tensor) -> torch.Tensor:
    """(N, C, T) -> (N, C, 1, T) stored channels innermost."""
    return x.unsqueeze(2).contiguous(memory_format=torch.channels_last)


def to_2d(conv: nn.Module) -> nn.Module:
    """The 2-D (height 1), channels-last twin of a 1-D convolution, same weights and dtype;
    a `LowPrecisionConv` keeps its wrapper around the converted convolution."""
    if isinstance(conv, LowPrecisionConv):
        conv.conv = to_2d(conv.conv)
        return conv
    if not isinstance(conv, nn.Conv1d | nn.ConvTranspose1d) or conv.padding_mode != "zeros":
        raise TypeError(f"cannot lay out {type(conv).__name__} channels-last")
    kernel, stride = (1, conv.kernel_size[0]), (1, conv.stride[0])
    padding, dilation = (0, _one(conv.padding)), (1, conv.dilation[0])
    bias = conv.bias is not None
    twin: nn.Conv2d | nn.ConvTranspose2d
    if isinstance(conv, nn.ConvTranspose1d):
        twin = nn.ConvTranspose2d(
            conv.in_channels, conv.out_channels, kernel, stride, padding,
            output_padding=(0, conv.output_padding[0]), groups=conv.groups, bias=bias,
            dilation=dilation)
    else:
        twin = nn.Conv2d(conv.in_channels, conv.out_channels, kernel, stride, padding,
                         dilation, conv.groups, bias)
    twin.weight = nn.Parameter(
        conv.weight.detach().unsqueeze(2).contiguous(memory_format=torch.channels_last),
        requires_grad=False)
    if conv.bias is not None:
        twin.bias = nn.Parameter(conv.bias.detach().clone(), requires_grad=False)
    return twin.eval()


def _one(padding: str | tuple[int, ...]) -> int:
    if isinstance(padding, str):  # "same"/"valid": not used by Kokoro's generator
        raise TypeError(f"padding {padding!r} is not converted")
    return padding[0]


class ChannelsLastGenerator(nn.Module):
    """`kokoro.istftnet.Generator.forward` on channels-last tensors; same modules, same order
    of random draws (the sine source is untouched). With `per_octave` > 0 the frames are padded
    to a few lengths (`_frames`), so oneDNN's primitives are built once per bucket, not once per
    sentence length; the audio is the unpadded generator's.

    The residual blocks must take 4-D input and a `Valid` (`FusedResBlock` does); the
    convolutions are converted here."""

    def __init__(self, gen: Generator, per_octave: int = 0) -> None:
        super().__init__()
        self.m_source = gen.m_source
        self.f0_upsamp = gen.f0_upsamp
        self.stft = gen.stft
        self.noise_convs = nn.ModuleList(to_2d(c) for c in gen.noise_convs)
        self.noise_res = gen.noise_res
        #: Each upsampling's factor: frames in, frames out.
        self.rates: list[int] = [_stride(c) for c in gen.ups]
        self.ups = nn.ModuleList(to_2d(c) for c in gen.ups)
        self.resblocks = gen.resblocks
        self.conv_post = to_2d(gen.conv_post)
        self.num_upsamples = gen.num_upsamples
        self.num_kernels = gen.num_kernels
        self.post_n_fft = gen.post_n_fft
        self.per_octave = per_octave

    def forward(self, x: torch.Tensor, s: torch.Tensor, f0: torch.Tensor) -> torch.Tensor:
        """Spectral frames from the decoder's features, then audio; shapes as stock."""
        frames = x.shape[-1]
        length = bucket(frames, self.per_octave)
        with torch.no_grad():
            f0 = self.f0_upsamp(f0[:, None]).transpose(1, 2)
            har_source, _, _ = self.m_source(f0)
            har_source = har_source.transpose(1, 2).squeeze(1)
            har_spec, har_phase = self.stft.transform(har_source)
            har = torch.cat([har_spec, har_phase], dim=1)
            # One STFT frame per output frame, plus one (`center`): zeros for the padding.
            har = _nhwc(F.pad(har, (0, (length - frames) * math.prod(self.rates))))
        x = _nhwc(F.pad(x, (0, length - frames)))
        valid = None  # the input's padding is zeros already
        for i, rate in enumerate(self.rates):
            last = i == self.num_upsamples - 1
            x = mask_rest(F.leaky_relu(x, negative_slope=0.1), valid)
            frames, length = frames * rate, length * rate
            valid = Valid.first(frames + int(last), length + int(last))
            source = self.noise_res[i](self.noise_convs[i](har), s, valid)
            x = self.ups[i](x)
            if last:
                x = F.pad(x, (1, 0, 0, 0), mode="reflect")  # stock: ReflectionPad1d((1, 0))
            x = x + source
            blocks = self.resblocks[i * self.num_kernels:(i + 1) * self.num_kernels]
            xs = blocks[0](x, s, valid)
            for block in blocks[1:]:
                xs += block(x, s, valid)
            x = xs / self.num_kernels
        x = mask_rest(F.leaky_relu(x), valid)
        x = self.conv_post(x).squeeze(2)[..., :frames + 1]
        spec = torch.exp(x[:, :self.post_n_fft // 2 + 1, :])
        phase = torch.sin(x[:, self.post_n_fft // 2 + 1:, :])
        return self.stft.inverse(spec, phase)


def _stride(conv: nn.Module) -> int:
    """A 1-D (transposed) convolution's stride, inside a `LowPrecisionConv` or not."""
    inner = conv.conv if isinstance(conv, LowPrecisionConv) else conv
    if not isinstance(inner, nn.Conv1d | nn.ConvTranspose1d):
        raise TypeError(f"not a 1-D convolution: {type(inner).__name__}")
    return inner.stride[0]
