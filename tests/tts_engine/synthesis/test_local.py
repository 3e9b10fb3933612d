"""Synthesis through the user path: every language, blends, speed, streaming, concurrency."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from tts_engine import Audio, EngineConfig, LocalEngine
from tts_engine.errors import SynthesisCancelled, TextEmpty
from tts_engine.model.voices import parse_spec
from tts_engine.text.chunking import growth, iter_chunks


@pytest.fixture
def engine(uncached_engine: LocalEngine) -> LocalEngine:
    return uncached_engine


SAMPLES_PER_FRAME = 600  # Kokoro: 24 kHz / 40 frames per second
# The test checkpoint pins 3 frames per phoneme; speech is phonemes plus start/end tokens.
SAMPLES_PER_PHONEME = 3 * SAMPLES_PER_FRAME

SAMPLES = {
    "a": ("Hello, Kokoro.", "af_heart"),
    "b": ("Good day.", "bf_emma"),
    "e": ("Hola, amigo.", "ef_dora"),
    "f": ("Bonjour.", "ff_siwis"),
    "h": ("नमस्ते।", "hf_alpha"),
    "i": ("Ciao, amico.", "if_sara"),
    "p": ("Olá, amigo.", "pf_dora"),
    "j": ("こんにちは。", "jf_alpha"),
    "z": ("你好，世界。", "zf_xiaobei"),
}


def phoneme_count(engine, req) -> int:
    return sum(len(c.phonemes) for c in iter_chunks(req.text, req.lang, engine._g2p))


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples))))


@pytest.mark.parametrize("lang", list(SAMPLES))
def test_every_language_speaks(engine, lang):
    text, voice = SAMPLES[lang]
    req = engine.validate(text, voice=voice, lang=lang)
    clip = engine.synthesize_sync(req)
    assert isinstance(clip, Audio) and clip.sample_rate == 24000
    assert clip.samples.dtype == np.float32 and clip.samples.ndim == 1
    assert rms(clip.samples) > 1e-4  # not silence
    n = phoneme_count(engine, req)
    assert n >= 4
    expected = (n + 2) * SAMPLES_PER_PHONEME
    assert 0.8 * expected <= len(clip.samples) <= 1.2 * expected


def test_speed_changes_duration(engine):
    # 3 frames per phoneme at speed 1; 1.5 rounds to 1 or 2 frames at speed 2.
    normal = engine.synthesize_sync(engine.validate("Speed.", speed=1.0))
    fast = engine.synthesize_sync(engine.validate("Speed.", speed=2.0))
    assert 1.4 < normal.duration / fast.duration < 3.1


def test_blend_style_is_the_weighted_average(engine, model_dir):
    bella = torch.load(model_dir / "voices" / "af_bella.pt", weights_only=True)
    sky = torch.load(model_dir / "voices" / "af_sky.pt", weights_only=True)
    library = engine._voices()
    equal = library.style(parse_spec("af_bella,af_sky"))
    torch.testing.assert_close(equal, (bella + sky) / 2)
    weighted = library.style(parse_spec("af_bella(2)+af_sky(1)"))
    torch.testing.assert_close(weighted, (2 * bella + sky) / 3)
    assert not torch.allclose(weighted, equal)


def test_blend_synthesises(engine):
    clip = engine.synthesize_sync(engine.validate("Blended.", voice="af_bella(2)+af_sky(1)"))
    assert rms(clip.samples) > 1e-4


def test_stream_concatenates_to_the_clip(engine):
    req = engine.validate("Hi there. So, yes.\n\nBye.")
    torch.manual_seed(7)  # the decoder adds noise; same seed, same samples
    whole = engine.synthesize_sync(req)
    engine.cache.clear()  # else the stream is the cached clip in one piece
    torch.manual_seed(7)
    chunks = list(engine.stream_sync(req))
    assert len(chunks) >= 3
    assert len(chunks[0]) < len(whole.samples) / 2  # the first chunk is short
    np.testing.assert_array_equal(np.concatenate(chunks), whole.samples)


def test_paragraph_pause_is_silence(engine):
    req = engine.validate("First.\n\nSecond.")
    chunks = list(engine.stream_sync(req))
    pause = chunks[0][-int(0.5 * 24000):]
    assert np.all(pause == 0)


def test_progress_reaches_one_in_order(engine):
    seen: list[float] = []
    engine.synthesize_sync(engine.validate("One. Two. Three."), on_progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 3


def test_cancel_stops_between_chunks(engine):
    cancel = threading.Event()
    req = engine.validate("First. Second. Third.")
    stream = engine.stream_sync(req, cancel)
    next(stream)
    cancel.set()
    with pytest.raises(SynthesisCancelled):
        next(stream)


@pytest.mark.parametrize("text", ["\u200b", "$"])
def test_text_without_anything_to_say(engine, text):
    with pytest.raises(TextEmpty, match="nothing to read aloud"):
        engine.synthesize_sync(engine.validate(text))


def test_concurrent_threads(engine):
    texts = ["One.", "Two, too.", "Three.", "Four."]
    reqs = [engine.validate(t) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        clips = list(pool.map(engine.synthesize_sync, reqs))
    for req, clip in zip(reqs, clips, strict=True):
        expected = (phoneme_count(engine, req) + 2) * SAMPLES_PER_PHONEME
        assert 0.8 * expected <= len(clip.samples) <= 1.2 * expected


async def test_async_callers_run_in_the_engine_executor(engine):
    threads: set[str] = set()

    def progress(_: float) -> None:
        threads.add(threading.current_thread().name)

    reqs = [engine.validate(t) for t in ("One.", "Two.", "Three.")]
    clips = await asyncio.gather(*(engine.synthesize(r, on_progress=progress) for r in reqs))
    assert all(rms(c.samples) > 1e-4 for c in clips)
    assert threads and all(name.startswith("tts-engine") for name in threads)


async def test_async_stream_yields_in_order(engine):
    req = engine.validate("Alpha. Beta.")
    torch.manual_seed(3)
    chunks = [c async for c in engine.stream(req)]
    torch.manual_seed(3)
    assert len(chunks) >= 2
    np.testing.assert_array_equal(np.concatenate(chunks), engine.synthesize_sync(req).samples)


async def test_abandoned_async_stream_sets_cancel(engine):
    cancel = threading.Event()
    stream = engine.stream(engine.validate("One. Two. Three. Four."), cancel)
    async for _ in stream:
        break
    await stream.aclose()
    assert cancel.is_set()


def test_engines_on_the_same_weights_share_one_model(engine, model_dir):
    twin = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", cache_entries=0))
    try:
        twin.load()
        assert twin._model is engine._model  # one KModel per process
        assert twin.synthesize_sync(twin.validate("Twin.")).duration > 0.1
    finally:
        twin.close()


def test_the_model_runs_in_inference_mode(engine):
    # Not only no_grad (which KModel sets itself): no version counters or view tracking.
    modes: list[bool] = []
    handle = engine._model.register_forward_pre_hook(
        lambda *_: modes.append(torch.is_inference_mode_enabled()))
    try:
        engine.synthesize_sync(engine.validate("Hello there.", voice="af_heart", lang="a"))
    finally:
        handle.remove()
    assert modes and all(modes)


def test_a_stream_grows_its_chunks_as_fast_as_the_engine_makes_them_a_job_at_full_ramp(
        engine, monkeypatch):
    """Each stream chunk is made while the one before plays: at twice real time they grow
    1.11x, not 3x (`chunking.growth`); a job, heard only once whole, grows at 3x."""
    text = " ".join(["The lights in the hall are on again tonight."] * 12)
    req = engine.validate(text, voice="af_heart", lang="a")
    said: list[str] = []
    real = engine._infer
    monkeypatch.setattr(engine, "_infer", lambda ps, *a: said.append(ps) or real(ps, *a))
    monkeypatch.setattr(engine.stats, "recent_rate", lambda: 2.0)  # 2 s of speech per s
    engine.synthesize_sync(req)
    job_said, said[:] = list(said), []
    engine.cache.clear()
    list(engine.stream_sync(req))
    job, stream = [len(ps) for ps in job_said], [len(ps) for ps in said]
    assert stream[0] == job[0]
    assert stream[1] <= job[0] * growth(2.0) < job[1], (job, stream)
    assert len(stream) > len(job)
    # The same phonemes, cut more often at the start.
    assert " ".join(said).split() == " ".join(job_said).split()
