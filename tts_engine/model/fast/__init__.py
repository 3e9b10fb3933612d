"""A faster Kokoro on CPU: the stock `KModel`, rewritten in place for inference.

`optimize(model)` folds weight norm, fuses the decoder's AdaIN + Snake pairs, runs the
residual blocks' convolutions in bf16 where the CPU does bf16 natively, lays the generator's
tensors out channels-last so oneDNN does not reorder them (`_layout`), pads the generator's
frames to a few lengths so oneDNN builds its kernels once per length bucket (`_frames`), and
draws the sine source's noise in memory order (`_source`). What stays fp32, and
why: the text side and the prosody predictor (cheap, and F0 must be exact: the sine source
integrates it over ~100k samples, so a 0.4% F0 error is a phase error of many turns), the sine
source and its STFT (phase accumulation), and the final projection to spectrum/phase (its output
is exponentiated). Random draws happen in the same order as stock; the noise's values differ
from stock's for one seed (drawn in memory order), so comparisons at equal seeds give stock the
same draw (`draw_noise_in_memory_order`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import torch
from kokoro.istftnet import AdainResBlk1d, AdaINResBlock1, Decoder, Generator
from torch import nn

from tts_engine.model.fast._fused import AdaINSnake
from tts_engine.model.fast._layout import ChannelsLastGenerator, to_2d
from tts_engine.model.fast._modules import FusedResBlock, LowPrecisionConv, maybe_low
from tts_engine.model.fast._source import draw_noise_in_memory_order
from tts_engine.model.fast._weightnorm import fold_weight_norm
from tts_engine.model.heap import tune_malloc

__all__ = [
    "FRAME_BUCKETS",
    "FastOptions",
    "FastReport",
    "bf16_supported",
    "draw_noise_in_memory_order",
    "fold_weight_norm",
    "optimize",
]

log = logging.getLogger(__name__)

#: Lengths per octave the generator's frames are padded to, where that pays (`FastOptions`).
FRAME_BUCKETS = 8

#: Decoder parts whose convolutions may run in bf16.
BF16_GROUPS = ("decode", "ups", "resblocks", "noise", "post")


@dataclass(frozen=True)
class FastOptions:
    """What `optimize` does. The defaults are the measured winners (see README, Performance)."""

    #: Keep freed memory in glibc's heap (process-wide; see `tts_engine.model.heap`).
    tune_malloc: bool = True
    fold_weight_norm: bool = True
    fuse: bool = True
    compile: bool = True
    #: Groups of decoder convolutions run in bf16 (when the CPU supports it). Measured: the
    #: residual blocks' convolutions (~90% of the FLOPs) gain ~2x; the transposed "ups" convs
    #: and the 22-channel "post" conv get slower in bf16, "decode" (odd channel counts) too.
    bf16: frozenset[str] = frozenset({"resblocks", "noise"})
    #: The generator's tensors channels-innermost (`_layout`), so oneDNN does not reorder
    #: them around every convolution; needs `fuse` (stock blocks normalise 3-D tensors only).
    channels_last: bool = True
    #: The sine source's noise drawn into a contiguous tensor (`_source`): the same noise in
    #: distribution, about 6 ms less per second of speech, other values than stock per seed.
    memory_order_noise: bool = True
    #: The generator's frames padded to this many lengths per octave (`_frames`; needs
    #: `channels_last`), so oneDNN builds its kernels once per bucket rather than once per
    #: sentence length; the same audio. 0 turns it off; None (the default) is
    #: `FRAME_BUCKETS` where the convolutions run in bf16, else 0: there a new length cost a
    #: third more than a repeated one (AMX), while on an AVX2 CPU in fp32 it cost ~7% and the
    #: padding took ~4% back (`benchmarks.lengths`).
    frame_buckets: int | None = None


@dataclass
class FastReport:
    """What `optimize` actually did, for logs and the benchmark."""

    malloc_tuned: bool = False
    folded: int = 0
    fused_blocks: int = 0
    bf16_convs: int = 0
    compiled: bool = False
    channels_last: bool = False
    memory_order_noise: bool = False
    frame_buckets: int = 0
    notes: list[str] = field(default_factory=list)


def bf16_supported() -> bool:
    """Whether oneDNN runs bf16 natively here (AVX-512 BF16 or AMX); else bf16 is slower."""
    try:
        native = torch.ops.mkldnn._is_mkldnn_bf16_supported()
        return bool(torch.backends.mkldnn.is_available() and native)
    except (AttributeError, RuntimeError):
        return False


def optimize(model: nn.Module, options: FastOptions | None = None) -> FastReport:
    """Rewrite a loaded, eval-mode `kokoro.KModel` in place for fast CPU inference."""
    options = options or FastOptions()
    report = FastReport()
    model.eval()
    if options.fold_weight_norm:
        report.folded = fold_weight_norm(model)
    decoder = getattr(model, "decoder", None)
    if not all(p.device.type == "cpu" for p in model.parameters()):
        # The fused kernels and the bf16 choices were measured on CPUs only.
        report.notes.append("not on CPU; only weight norm folded")
        return report
    if options.tune_malloc:
        report.malloc_tuned = tune_malloc()
    if not isinstance(decoder, Decoder):
        report.notes.append("no iSTFTNet decoder found; only weight norm folded")
        return report
    groups = options.bf16 if bf16_supported() else frozenset()
    if options.bf16 and not groups:
        report.notes.append("CPU lacks native bf16; convolutions stay fp32")
    kernel = AdaINSnake(compile=options.compile and options.fuse)
    _rewrite_decode(decoder, "decode" in groups, report)
    _rewrite_generator(decoder.generator, groups, kernel if options.fuse else None, report)
    if options.channels_last and options.fuse:
        buckets = options.frame_buckets
        if buckets is None:
            buckets = FRAME_BUCKETS if groups else 0
        decoder.generator = _channels_last(decoder.generator, buckets)
        report.channels_last = True
        report.frame_buckets = buckets
    if options.memory_order_noise:
        report.memory_order_noise = draw_noise_in_memory_order(model)
    report.compiled = kernel.compiled and options.fuse
    log.info(
        "fast path: %d weight norms folded, %d blocks fused, %d bf16 convs, compiled=%s, "
        "channels-last=%s, memory-order noise=%s, frame buckets per octave=%d", report.folded,
        report.fused_blocks, report.bf16_convs, report.compiled, report.channels_last,
        report.memory_order_noise, report.frame_buckets,
    )
    return report


def _rewrite_decode(decoder: Decoder, low: bool, report: FastReport) -> None:
    """bf16 for the 1024-channel encode/decode blocks' convolutions (not the F0/N paths)."""
    if not low:
        return
    for block in [decoder.encode, *decoder.decode]:
        assert isinstance(block, AdainResBlk1d)
        for name in ("conv1", "conv2", "conv1x1"):
            if hasattr(block, name):
                setattr(block, name, LowPrecisionConv(getattr(block, name)))
                report.bf16_convs += 1


def _channels_last(gen: Generator, per_octave: int) -> ChannelsLastGenerator:
    """The generator, its residual blocks' convolutions included, laid out channels-last, its
    frames padded to `per_octave` lengths per octave."""
    for block in [*gen.resblocks, *gen.noise_res]:
        assert isinstance(block, FusedResBlock)
        block.convs1 = nn.ModuleList(to_2d(c) for c in block.convs1)
        block.convs2 = nn.ModuleList(to_2d(c) for c in block.convs2)
    return ChannelsLastGenerator(gen, per_octave)


def _rewrite_generator(
    gen: Generator, groups: frozenset[str], kernel: AdaINSnake | None, report: FastReport
) -> None:
    """Fuse the residual blocks and lower the chosen convolutions; source and STFT untouched."""
    for name, group in (("resblocks", "resblocks"), ("noise_res", "noise")):
        blocks: nn.ModuleList = getattr(gen, name)
        for i, block in enumerate(blocks):
            assert isinstance(block, AdaINResBlock1)
            low = group in groups
            if kernel is not None:
                blocks[i] = FusedResBlock(block, kernel, low)
                report.fused_blocks += 1
            elif low:
                block.convs1 = nn.ModuleList(maybe_low(c, True) for c in block.convs1)
                block.convs2 = nn.ModuleList(maybe_low(c, True) for c in block.convs2)
            report.bf16_convs += 6 if low else 0
    for name, group in (("ups", "ups"), ("noise_convs", "noise")):
        convs: nn.ModuleList = getattr(gen, name)
        if group in groups:
            for i, conv in enumerate(convs):
                convs[i] = maybe_low(conv, True)
                report.bf16_convs += 1
    if "post" in groups:
        post = gen.conv_post
        assert isinstance(post, nn.Conv1d)
        gen.conv_post = LowPrecisionConv(post)
        report.bf16_convs += 1
