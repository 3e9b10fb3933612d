"""The fast CPU path sounds like stock Kokoro; `fast=false` is stock Kokoro exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from kokoro import KModel

from tts_engine import EngineConfig, LocalEngine
from tts_engine.model.fast import FastOptions, _fused, fold_weight_norm, optimize
from tts_engine.model.fast._layout import ChannelsLastGenerator, to_2d
from tts_engine.model.fast._modules import FusedResBlock, LowPrecisionConv
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


def test_fast_path_matches_stock_within_the_quality_bar(model_dir, stock_audio):
    model = load_stock(model_dir)
    report = optimize(model)
    assert report.fused_blocks == 8
    fast = speak(model, style(model_dir))
    assert fast.shape == stock_audio.shape
    assert snr_db(stock_audio, fast) >= SNR_BAR_DB
    assert log_mel_distance(stock_audio, fast) < 1.0  # dB
    # A different seed is a different rendering: the comparison can fail.
    assert snr_db(stock_audio, speak(model, style(model_dir), seed=4)) < SNR_BAR_DB


def test_eager_kernels_match_stock_too(model_dir, stock_audio):
    model = load_stock(model_dir)
    optimize(model, FastOptions(compile=False))
    assert not any(b.kernel.compiled for b in fast_blocks(model))
    assert snr_db(stock_audio, speak(model, style(model_dir))) >= SNR_BAR_DB


def test_a_failing_compiler_falls_back_to_eager(model_dir, stock_audio, monkeypatch):
    def broken(*args: object) -> torch.Tensor:
        raise RuntimeError("InductorError: no working C++ compiler")

    monkeypatch.setattr(_fused, "_compiled", broken)
    model = load_stock(model_dir)
    optimize(model)
    fast = speak(model, style(model_dir))
    assert not any(b.kernel.compiled for b in fast_blocks(model))
    assert snr_db(stock_audio, fast) >= SNR_BAR_DB


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


def test_engine_fast_true_uses_the_fast_path(model_dir, stock_audio):
    engine = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", fast=True, threads=1))
    try:
        engine.load()
        assert fast_blocks(engine._model)
        torch.manual_seed(3)
        samples = engine._infer(PHONEMES, style(model_dir), 1.0)
        assert snr_db(stock_audio, samples) >= SNR_BAR_DB
    finally:
        engine.close()


def test_generator_convolves_channels_last_and_sounds_like_the_plain_layout(
        model_dir, stock_audio):
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
    assert fast.shape == stock_audio.shape
    assert snr_db(speak(plain, style(model_dir)), fast) >= 35
    assert snr_db(stock_audio, fast) >= SNR_BAR_DB


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
