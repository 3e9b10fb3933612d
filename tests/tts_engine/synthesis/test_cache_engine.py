"""The engine serves repeated requests from its audio cache: no second inference."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from tts_engine import EngineConfig, LocalEngine
from tts_engine.errors import SynthesisCancelled


@pytest.fixture
def counted(engine, monkeypatch):
    """The shared engine, with a count of model calls."""
    calls = {"n": 0}
    infer = engine._infer

    def counting(*args, **kwargs):
        calls["n"] += 1
        return infer(*args, **kwargs)

    monkeypatch.setattr(engine, "_infer", counting)
    return engine, calls


def test_a_repeated_phrase_costs_no_inference(counted):
    engine, calls = counted
    req = engine.validate("Cache me, please.")
    first = engine.synthesize_sync(req)
    spent = calls["n"]
    assert spent >= 1
    progress: list[float] = []
    again = engine.synthesize_sync(engine.validate("Cache me, please."), None, progress.append)
    assert calls["n"] == spent
    assert np.array_equal(again.samples, first.samples)
    assert progress == [1.0]


def test_stream_of_a_cached_phrase_is_the_clip(counted):
    engine, calls = counted
    req = engine.validate("Stream me twice.")
    clip = engine.synthesize_sync(req)
    spent = calls["n"]
    chunks = list(engine.stream_sync(req))
    assert calls["n"] == spent
    assert np.array_equal(np.concatenate(chunks), clip.samples)


def test_a_finished_stream_fills_the_cache(counted):
    engine, calls = counted
    req = engine.validate("Streamed first. Then whole.")
    streamed = np.concatenate(list(engine.stream_sync(req)))
    spent = calls["n"]
    assert np.array_equal(engine.synthesize_sync(req).samples, streamed)
    assert calls["n"] == spent


def test_other_voice_or_speed_is_synthesised_anew(counted):
    engine, calls = counted
    engine.synthesize_sync(engine.validate("Same words.", voice="af_heart"))
    spent = calls["n"]
    engine.synthesize_sync(engine.validate("Same words.", voice="af_bella"))
    engine.synthesize_sync(engine.validate("Same words.", voice="af_heart", speed=1.25))
    assert calls["n"] == spent + 2


def test_cancelled_caller_gets_cancelled_even_on_a_hit(counted):
    engine, _ = counted
    req = engine.validate("Cancel on hit.")
    engine.synthesize_sync(req)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(SynthesisCancelled):
        engine.synthesize_sync(req, cancel=cancel)


def test_cache_can_be_turned_off(model_dir):
    engine = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", threads=1, fast=False,
                                    cache_entries=0))
    try:
        req = engine.validate("Hi.")
        engine.synthesize_sync(req)
        engine.synthesize_sync(req)
        stats = engine.cache.stats()
        assert stats.entries == 0 and stats.hits == 0
    finally:
        engine.close()
