"""Engine fixtures shared by the engine tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tts_engine import EngineConfig, LocalEngine


@pytest.fixture(scope="module")
def uncached_engine(model_dir) -> Iterator[LocalEngine]:
    """The engine without its clip cache: for tests that compare fresh syntheses."""
    eng = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", threads=1, cache_entries=0))
    eng.load()
    yield eng
    eng.close()
