"""Real Kokoro-82M weights (from the registry packages): a listener understands the engine.

The model dir is converted from kokoro-onnx's int8 graph once and cached by content; Whisper
tiny.en is the listener. Both the fast path and the stock path are checked.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import numpy as np
import pytest
import soundfile as sf
import torch

from tests.listener import real_model_dir, transcribe, word_errors, words
from tts_engine import EngineConfig, LocalEngine
from tts_engine.__main__ import main
from tts_engine.model.fast import draw_noise_in_memory_order
from tts_engine.text.chunking import iter_chunks
from tts_engine.text.g2p import G2P
from tts_engine.tools.quality import snr_db

pytestmark = pytest.mark.slow

SENTENCES = (
    "The weather is nice today, so we are going for a walk.",
    "Please close the door when you leave the room.",
    "I would like a cup of coffee with my breakfast.",
    "She likes to read the newspaper on the train.",
    "Can you send me the report before lunch?",
    "The children played in the park until the sun went down.",
    "We need to buy milk, bread and eggs at the store.",
    "My brother is learning to play the guitar.",
    "It was a long day, but the work is finally done.",
    "Turn left at the next corner and walk straight ahead.",
)
#: Two of the five real voices the packages ship (Japanese voices reading English).
VOICES = ("jm_kumo", "jf_alpha")
PATHS = ("fast", "stock")
MAX_WER = 0.03


@pytest.fixture(scope="module")
def real_dir():
    return real_model_dir()


@pytest.fixture(scope="module")
def engines(real_dir) -> Iterator[dict[str, LocalEngine]]:
    """The fast and the stock engine on the real weights, one torch thread, no clip cache."""
    made = {
        path: LocalEngine(EngineConfig(
            model_dir=real_dir, device="cpu", threads=1, fast=path == "fast", cache_entries=0,
            default_voice=VOICES[0], cross_language_voices=True,
        ))
        for path in PATHS
    }
    for engine in made.values():
        engine.load()
    yield made
    for engine in made.values():
        engine.close()


def test_converted_weights_load_strictly_into_stock_kmodel(real_dir):
    from kokoro import KModel

    weights = real_dir / "kokoro-v1_0.pth"
    model = KModel(repo_id="hexgrad/Kokoro-82M", config=str(real_dir / "config.json"),
                   model=str(weights))
    state = torch.load(weights, weights_only=True)
    for name, component in state.items():
        getattr(model, name).load_state_dict(component, strict=True)
    assert all(torch.isfinite(p).all() for p in model.parameters())


def speak(engine: LocalEngine, text: str, voice: str, lang: str = "a", seed: int = 0) -> np.ndarray:
    torch.manual_seed(seed)
    return engine.synthesize_sync(engine.validate(text, voice=voice, lang=lang)).samples


@pytest.fixture(scope="module")
def spoken(engines) -> dict[tuple[str, str], list[np.ndarray]]:
    """Every sentence in every voice on both paths, sentence i with seed i."""
    return {
        (path, voice): [speak(engines[path], s, voice, seed=i) for i, s in enumerate(SENTENCES)]
        for path in PATHS for voice in VOICES
    }


@pytest.mark.parametrize("voice", VOICES)
@pytest.mark.parametrize("path", PATHS)
def test_a_listener_understands_english(spoken, path, voice):
    errors = total = 0
    misheard = []
    for text, audio in zip(SENTENCES, spoken[path, voice], strict=True):
        heard = transcribe(audio)
        wrong = word_errors(text, heard)
        errors, total = errors + wrong, total + len(words(text))
        if wrong:
            misheard.append(f"{text!r} -> {heard!r}")
    wer = errors / total
    print(f"WER {path} {voice}: {errors}/{total} = {wer:.1%}")
    assert wer <= MAX_WER, misheard


@contextlib.contextmanager
def noise_drawn_like_the_fast_path(engine: LocalEngine) -> Iterator[None]:
    """The stock engine's sine source draws its noise as the fast path does, meanwhile."""
    source = engine._model.decoder.generator.m_source
    stock = source.l_sin_gen
    assert draw_noise_in_memory_order(engine._model)
    try:
        yield
    finally:
        source.l_sin_gen = stock


def test_fast_path_matches_stock(engines, spoken):
    # At equal seeds, against stock given the fast path's noise draw (another draw is another
    # rendering: plain stock is some 20 dB away, as two seeds are).
    with noise_drawn_like_the_fast_path(engines["stock"]):
        reference = {voice: [speak(engines["stock"], s, voice, seed=i)
                             for i, s in enumerate(SENTENCES)] for voice in VOICES}
    for voice in VOICES:
        fast, stock = spoken["fast", voice], reference[voice]
        assert [len(a) for a in fast] == [len(a) for a in stock]
        snr = snr_db(np.concatenate(stock), np.concatenate(fast))
        plain = snr_db(np.concatenate(spoken["stock", voice]), np.concatenate(fast))
        print(f"fast vs stock SNR {voice}: {snr:.1f} dB (vs plain stock's draw {plain:.1f} dB)")
        assert snr >= 35


@pytest.mark.parametrize("flags", [[], ["--stock"]], ids=["fast", "stock"])
def test_cli_speaks_real_english(real_dir, engines, tmp_path, flags):
    text = " ".join(SENTENCES[:2])
    out = tmp_path / "speech.wav"
    status = main([
        text, "--voice", "jm_kumo", "--lang", "a", "-o", str(out), "--model-dir", str(real_dir),
        "--device", "cpu", "--threads", "1", "--any-voice", *flags,
    ])
    assert status == 0
    samples, rate = sf.read(io.BytesIO(out.read_bytes()), dtype="float32")
    assert word_errors(text, transcribe(samples, rate)) <= 1


def _seconds_per_phoneme(audio: np.ndarray, phonemes: str) -> float:
    return len(audio) / 24_000 / len(phonemes.replace(" ", ""))


def _onnx_samples(real_dir, phonemes: str, voice: str) -> int:
    """How long kokoro-onnx's own int8 graph (onnxruntime) speaks these phonemes."""
    import json

    import onnxruntime as ort

    from tts_engine.tools.onnx_packages import ONNX_NAME

    vocab = json.loads((real_dir / "config.json").read_text("utf-8"))["vocab"]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(real_dir / ONNX_NAME), sess_options=options)
    pack = torch.load(real_dir / "voices" / f"{voice}.pt", weights_only=True)
    audio = session.run(None, {
        "tokens": np.array([[0, *(vocab[p] for p in phonemes if p in vocab), 0]], np.int64),
        "style": pack[len(phonemes) - 1].numpy().reshape(1, 256),
        "speed": np.array([1.0], np.float32),
    })[0]
    return int(np.asarray(audio).size)


def test_japanese_with_a_real_voice(real_dir, engines):
    text = "今日はとても良い天気ですね。一緒に散歩に行きましょう。"
    g2p = G2P()
    phonemes = g2p.phonemize("j", text)
    audio = speak(engines["stock"], text, "jf_alpha", lang="j")
    # The right length: what kokoro-onnx itself gives for the same chunks, phonemes and voice.
    chunks = list(iter_chunks(text, "j", g2p))
    expected = sum(
        _onnx_samples(real_dir, c.phonemes, "jf_alpha") + int(24_000 * c.pause_after)
        for c in chunks
    )
    assert len(audio) == pytest.approx(expected, rel=0.05)
    assert 0.04 < _seconds_per_phoneme(audio, phonemes) < 0.15
    assert float(np.sqrt(np.mean(audio**2))) > 0.01


@pytest.mark.parametrize(("lang", "text"), [
    ("z", "今天天气很好，我们去公园散步吧。"),
    ("e", "Hoy hace buen tiempo, vamos a dar un paseo por el parque."),
])
def test_other_languages_are_not_silent(engines, lang, text):
    phonemes = G2P().phonemize(lang, text)
    audio = speak(engines["stock"], text, "jf_alpha", lang=lang)
    assert 0.03 < _seconds_per_phoneme(audio, phonemes) < 0.2
    assert float(np.sqrt(np.mean(audio**2))) > 0.01
