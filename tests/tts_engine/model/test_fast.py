"""The fast CPU path sounds like stock Kokoro; `fast=false` is stock Kokoro exactly.

The fast path draws the sine source's noise in memory order (other values than stock for one
seed), so it is compared at equal seeds with stock given the same draw (`reference_audio`);
what that draw changes is tested on its own."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from kokoro import KModel

from tts_engine import EngineConfig, LocalEngine
from tts_engine.model.fast import (
    FastOptions,
    _fused,
    draw_noise_in_memory_order,
    fold_weight_norm,
    optimize,
)
from tts_engine.model.fast._frames import Valid, bucket
from tts_engine.model.fast._layout import ChannelsLastGenerator, to_2d
from tts_engine.model.fast._modules import FusedResBlock, LowPrecisionConv
from tts_engine.model.fast._source import MemoryOrderSineGen
from tts_engine.tools.quality import log_mel_distance, snr_db

PHONEMES = "həlˈO, wˈɜɹld! ðɪs ɪz ə tˈɛst."
SNR_BAR_DB = 25.0


def load_stock(model_dir: Path) -> KModel:
    return KModel(
        repo_id="hexgrad/Kokoro-82M", config=str(model_dir / "config.json"),
        model=str(model_dir / "kokoro-v1_0.pth"),
    ).eval()


def style(model_dir: Path) -> torch.Tensor:
    pack = torch.load(model_dir / "voices" / "af_heart.pt", weights_only=True)
    return pack[len(PHONEMES) - 1]


def speak(model: torch.nn.Module, ref: torch.Tensor, seed: int = 3) -> torch.Tensor:
    torch.manual_seed(seed)  # the sine source draws random phases and noise
    return model(PHONEMES, ref)


@pytest.fixture(scope="module")
def stock_audio(model_dir: Path) -> torch.Tensor:
    return speak(load_stock(model_dir), style(model_dir))


@pytest.fixture(scope="module")
def reference_audio(model_dir: Path) -> torch.Tensor:
    """Stock Kokoro with the fast path's noise draw: what the fast path is compared with."""
    model = load_stock(model_dir)
    assert draw_noise_in_memory_order(model)
    return speak(model, style(model_dir))


def fast_blocks(model: torch.nn.Module) -> list[FusedResBlock]:
    return [m for m in model.modules() if isinstance(m, FusedResBlock)]


def test_seeded_stock_runs_are_identical(model_dir, stock_audio):
    # Guards the comparisons below: with one seed, stock itself must be reproducible.
    assert torch.equal(speak(load_stock(model_dir), style(model_dir)), stock_audio)


def test_folding_weight_norm_keeps_the_sound(model_dir, stock_audio):
    model = load_stock(model_dir)
    assert fold_weight_norm(model) > 80
    assert not [n for n, _ in model.named_parameters() if n.endswith("weight_g")]
    assert snr_db(stock_audio, speak(model, style(model_dir))) > 60


def test_the_memory_order_draw_changes_only_which_noise_values_are_drawn(model_dir):
    stock = load_stock(model_dir).decoder.generator.m_source.l_sin_gen
    ours = MemoryOrderSineGen.like(stock)
    # 2 s at 24 kHz: voiced at 120-220 Hz, then unvoiced (f0 = 0), as the decoder hands it.
    f0 = torch.cat([torch.linspace(120.0, 220.0, 36000), torch.zeros(12000)]).view(1, -1, 1)
    torch.manual_seed(5)
    stock_sines, stock_uv, stock_noise = stock(f0)
    torch.manual_seed(5)
    sines, uv, noise = ours(f0)
    assert torch.equal(uv, stock_uv) and noise.shape == stock_noise.shape
    # The harmonics themselves are the same numbers; only the noise added to them differs.
    assert torch.allclose(sines - noise, stock_sines - stock_noise, atol=1e-6)
    assert not torch.equal(noise, stock_noise) and noise.is_contiguous()
    # ... and it is the same noise in distribution: unit normal once its amplitude is removed.
    amplitude = uv * stock.noise_std + (1 - uv) * stock.sine_amp / 3
    for drawn in (noise / amplitude, stock_noise / amplitude):
        assert abs(drawn.mean().item()) < 0.01 and abs(drawn.std().item() - 1) < 0.01


def test_stock_with_the_same_draw_is_another_rendering_of_the_same_speech(
        model_dir, stock_audio, reference_audio):
    # Same durations, a different noise: like another seed, so comparisons with stock at equal
    # seeds must give stock the fast path's draw (as `reference_audio` does).
    assert reference_audio.shape == stock_audio.shape
    assert snr_db(stock_audio, reference_audio) < SNR_BAR_DB
    another_seed = speak(load_stock(model_dir), style(model_dir), seed=4)
    assert log_mel_distance(stock_audio, reference_audio) <= 1.1 * log_mel_distance(
        stock_audio, another_seed)
    model = load_stock(model_dir)
    assert optimize(model).memory_order_noise
    assert isinstance(model.decoder.generator.m_source.l_sin_gen, MemoryOrderSineGen)
    assert not optimize(load_stock(model_dir),
                        FastOptions(memory_order_noise=False)).memory_order_noise


def test_fast_path_matches_stock_within_the_quality_bar(model_dir, reference_audio):
    model = load_stock(model_dir)
    report = optimize(model)
    assert report.fused_blocks == 8
    fast = speak(model, style(model_dir))
    assert fast.shape == reference_audio.shape
    assert snr_db(reference_audio, fast) >= SNR_BAR_DB
    assert log_mel_distance(reference_audio, fast) < 1.0  # dB
    # A different seed is a different rendering: the comparison can fail.
    assert snr_db(reference_audio, speak(model, style(model_dir), seed=4)) < SNR_BAR_DB


def test_eager_kernels_match_stock_too(model_dir, reference_audio):
    model = load_stock(model_dir)
    optimize(model, FastOptions(compile=False))
    assert not any(b.kernel.compiled for b in fast_blocks(model))
    assert snr_db(reference_audio, speak(model, style(model_dir))) >= SNR_BAR_DB


def test_a_failing_compiler_falls_back_to_eager(model_dir, reference_audio, monkeypatch):
    def broken(*args: object) -> torch.Tensor:
        raise RuntimeError("InductorError: no working C++ compiler")

    monkeypatch.setattr(_fused, "_compiled_kernel", lambda fn: broken)
    model = load_stock(model_dir)
    optimize(model)
    fast = speak(model, style(model_dir))
    assert not any(b.kernel.compiled for b in fast_blocks(model))
    assert snr_db(reference_audio, fast) >= SNR_BAR_DB


def test_engine_fast_false_is_exactly_stock(model_dir):
    engine = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", fast=False, threads=1))
    try:
        engine.load()
        model = engine._model
        assert not fast_blocks(model)
        assert not any(isinstance(m, LowPrecisionConv) for m in model.modules())
        torch.manual_seed(3)
        samples = engine._infer(PHONEMES, style(model_dir), 1.0)
        # Bit for bit, under the engine's thread setting (reduction order depends on it).
        stock = speak(load_stock(model_dir), style(model_dir))
        assert torch.equal(torch.from_numpy(samples), stock)
    finally:
        engine.close()


def test_engine_fast_true_uses_the_fast_path(model_dir, reference_audio):
    engine = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", fast=True, threads=1))
    try:
        engine.load()
        assert fast_blocks(engine._model)
        torch.manual_seed(3)
        samples = engine._infer(PHONEMES, style(model_dir), 1.0)
        assert snr_db(reference_audio, samples) >= SNR_BAR_DB
    finally:
        engine.close()


def test_generator_convolves_channels_last_and_sounds_like_the_plain_layout(
        model_dir, reference_audio):
    plain = load_stock(model_dir)
    assert not optimize(plain, FastOptions(channels_last=False)).channels_last
    model = load_stock(model_dir)
    assert optimize(model).channels_last
    generator = model.decoder.generator
    assert isinstance(generator, ChannelsLastGenerator)
    convs = [m for m in generator.modules()
             if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d)]
    assert len(convs) == 8 * 6 + 2 + 2 + 1  # residual blocks, noise convs, upsampling, post
    layouts: list[bool] = []
    for conv in convs:
        conv.register_forward_pre_hook(lambda _, args: layouts.append(
            args[0].is_contiguous(memory_format=torch.channels_last)))
    fast = speak(model, style(model_dir))
    # Every convolution was handed channels-last input: oneDNN reorders nothing.
    assert len(layouts) == len(convs) and all(layouts)
    assert fast.shape == reference_audio.shape
    assert snr_db(speak(plain, style(model_dir)), fast) >= 35
    assert snr_db(reference_audio, fast) >= SNR_BAR_DB


@pytest.mark.parametrize("conv", [
    torch.nn.Conv1d(6, 4, 7, dilation=3, padding=9),
    torch.nn.Conv1d(6, 4, 12, stride=6, padding=3),
    torch.nn.ConvTranspose1d(6, 4, 12, stride=6, padding=3),
    torch.nn.ConvTranspose1d(6, 6, 3, stride=2, padding=1, output_padding=1, groups=6),
])
def test_a_convolution_laid_out_2d_computes_the_same(conv):
    x = torch.randn(1, 6, 50)
    twin = to_2d(conv)
    with torch.no_grad():
        out = twin(x.unsqueeze(2).contiguous(memory_format=torch.channels_last)).squeeze(2)
        assert torch.allclose(out, conv(x), atol=1e-5)


def test_unstock_padding_is_refused_not_mistranslated():
    with pytest.raises(TypeError, match="channels-last"):
        to_2d(torch.nn.Conv1d(2, 2, 3, padding=1, padding_mode="reflect"))


def test_frame_buckets_are_few_and_pad_by_at_most_an_eighth():
    assert {bucket(n) for n in range(256, 512)} == set(range(288, 513, 32)) | {256}
    for n in range(1, 3000):
        assert n <= bucket(n) <= n * 1.125
        assert bucket(n, per_octave=0) == n
    assert bucket(200) == 208 and bucket(208) == 208 and bucket(7) == 7
    assert len({bucket(n, per_octave=4) for n in range(256, 512)}) == 5  # 256 and 4 above


@pytest.mark.parametrize("compiled", [False, True])
def test_the_masked_kernel_normalises_the_real_frames_and_zeroes_the_padding(compiled):
    torch.manual_seed(0)
    x = torch.randn(1, 8, 1, 40) * 3 + 1
    x[..., 29:] = 1e4  # whatever the padding holds must not leak in
    args = (torch.rand(1, 8, 1, 1) + 0.5, torch.randn(1, 8, 1, 1), torch.rand(1, 8, 1, 1) + 0.2)
    alpha = args[2]
    kernel = _fused.AdaINSnake(compile=compiled)
    valid = Valid.first(29, 40)
    assert valid is not None and Valid.first(40, 40) is None
    masked = kernel(x, args[0], args[1], alpha, 1 / alpha, valid=valid)
    plain = _fused.adain_snake_eager(x[..., :29], args[0], args[1], alpha, 1 / alpha)
    assert kernel.compiled == compiled
    assert torch.allclose(masked[..., :29], plain, atol=1e-5)
    assert torch.equal(masked[..., 29:], torch.zeros(1, 8, 1, 11))


def test_padded_frames_give_the_unpadded_generators_audio(model_dir):
    plain, padded = load_stock(model_dir), load_stock(model_dir)
    assert optimize(plain, FastOptions(frame_buckets=0)).frame_buckets == 0
    assert optimize(padded, FastOptions(frame_buckets=8)).frame_buckets == 8
    generator = padded.decoder.generator
    assert isinstance(generator, ChannelsLastGenerator)
    seen: dict[str, list[int]] = {"in": [], "ups": []}
    generator.register_forward_pre_hook(lambda _, args: seen["in"].append(args[0].shape[-1]))
    generator.ups[0].register_forward_pre_hook(
        lambda _, args: seen["ups"].append(args[0].shape[-1]))
    padded_runs = 0
    for end in (15, 19, 25, len(PHONEMES)):  # lengths in and between the buckets
        torch.manual_seed(3)
        expected = plain(PHONEMES[:end], style(model_dir))
        torch.manual_seed(3)
        got = padded(PHONEMES[:end], style(model_dir))
        frames = seen["in"][-1]
        # The convolutions ran on the bucket's length, the audio is the real length's.
        assert seen["ups"][-1] == bucket(frames)
        padded_runs += bucket(frames) > frames
        assert got.shape == expected.shape
        assert snr_db(expected, got) >= 60
    assert padded_runs >= 2


@pytest.mark.parametrize("bf16", [False, True])
def test_frame_buckets_are_on_by_default_where_the_convolutions_run_in_bf16(
        model_dir, monkeypatch, bf16):
    import tts_engine.model.fast as fast

    monkeypatch.setattr(fast, "bf16_supported", lambda: bf16)
    report = optimize(load_stock(model_dir))
    assert report.frame_buckets == (fast.FRAME_BUCKETS if bf16 else 0)
    assert report.bf16_convs > 0 if bf16 else report.bf16_convs == 0
