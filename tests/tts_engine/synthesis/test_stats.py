"""The engine's synthesis rate: over the last chunks, and as one stream gets it."""

from __future__ import annotations

import pytest

from tts_engine.synthesis import stats
from tts_engine.synthesis.stats import EngineStats, StreamRate

SECOND = 24_000  # samples


def test_the_recent_rate_follows_the_last_chunks_not_the_whole_run() -> None:
    engine = EngineStats()
    assert engine.recent_rate() is None
    for _ in range(20):
        engine.add(0.5, 4 * SECOND)  # 8x real time...
    for _ in range(15):
        engine.add(2.0, 4 * SECOND)  # ...then 2x, with other work on the cores
    assert engine.recent_rate() == pytest.approx(2.0, rel=0.05)
    inference, audio, _ = engine.totals()
    assert audio / inference == 3.5  # the whole run's average


def test_a_stream_gets_its_own_rate_at_most_the_engines(monkeypatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(stats.time, "monotonic", lambda: clock[0])
    engine = EngineStats()
    engine.add(0.5, 3 * SECOND)  # 6x real time in the model
    stream = StreamRate(engine)
    assert stream() == 6.0  # nothing of its own yet
    clock[0] += 1.5  # queued behind other servers' chunks, then made
    stream.chunk(3 * SECOND)
    assert stream() == 2.0
    clock[0] += 0.1  # a chunk made at once (a pause): never above the engine's rate
    stream.chunk(3 * SECOND)
    assert stream() == 6.0
    assert StreamRate(EngineStats())() is None
