"""The fast path keeps freed memory for reuse, within a bound (`tts_engine.model.heap`)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tts_engine import EngineConfig, LocalEngine, SpeechRequest
from tts_engine.model import heap

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc")

# Frees 320 MB of 8 MB blocks that small live blocks pin in the heap, as cached clips pin the
# decoder's freed buffers in a long-running process; prints the RSS (MB) before and after.
_PINNED = textwrap.dedent("""
    import numpy as np
    from tts_engine.model.heap import RetainedHeap, _rss_bytes, tune_malloc
    assert tune_malloc()
    guard = RetainedHeap({limit})
    guard.check()
    blocks, pins = [], []
    for _ in range(40):
        blocks.append(np.ones(1 << 20))
        pins.append(np.ones(2048))
    del blocks
    freed = _rss_bytes()
    released = guard.check()
    print(released, freed >> 20, _rss_bytes() >> 20, guard.releases)
""")


def _pinned(limit: int) -> tuple[bool, int, int, int]:
    out = subprocess.run([sys.executable, "-c", _PINNED.format(limit=limit)], check=True,
                         capture_output=True, text=True, timeout=120).stdout.split()
    return out[0] == "True", int(out[1]), int(out[2]), int(out[3])


def test_freed_memory_past_the_bound_goes_back_to_the_os() -> None:
    released, before, after, count = _pinned(64 << 20)
    assert released and count == 1
    assert before - after > 250, (before, after)  # of the 320 MB freed


def test_freed_memory_within_the_bound_is_kept_for_reuse() -> None:
    released, before, after, count = _pinned(1 << 30)
    assert not released and count == 0
    assert before - after < 20, (before, after)


def test_nothing_is_released_where_malloc_was_not_tuned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_tuned", False)
    guard = heap.RetainedHeap(0)
    assert not guard.check() and not guard.check()
    assert guard.releases == 0


async def test_the_engine_checks_the_bound_after_each_inference(model_dir: Path) -> None:
    engine = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", threads=1,
                                      cache_entries=0, retained_heap_mb=3))
    assert engine.heap.limit_bytes == 3 << 20
    checks: list[int] = []

    def check() -> bool:
        checks.append(1)
        return False
    engine.heap.check = check  # type: ignore[method-assign]
    try:
        await engine.synthesize(SpeechRequest(text="One. Two. Three.", voice="af_heart",
                                              lang="a", speed=1.0))
        inferences = engine.stats.chunks
    finally:
        engine.close()
    assert inferences >= 1 and len(checks) == inferences
