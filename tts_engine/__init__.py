"""Kokoro-82M text-to-speech: text in, 24 kHz audio out. Knows nothing of Discord or databases.

The heavy parts (torch, the G2P libraries) load on first use of an engine or `audio`, so that
importing the configuration or the errors stays instant (a CLI that fails on bad input fails
without loading torch).
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

# OpenMP's threads spin briefly when they wait at a barrier, then sleep. libgomp's default spin
# (300,000 turns) made a one-line message's first chunk 6.1 s (p95 12.9 s) beside two CPU-bound
# processes on 2 cores where sleeping at once (OMP_WAIT_POLICY=PASSIVE) gave 4.8 s; but once the
# generator stopped reordering its tensors (`model.fast._layout`), sleeping at once cost a
# quarter of the idle time in wake-ups between the model's ~1,000 short parallel regions.
# Measured on an AMX machine, 2 cores, medians of 10 (docs/performance.md): 10,000 turns gave
# the speed of spinning idle (0.39 s against 0.49-0.52 s sleeping) and no worse beside two hogs
# (0.96-1.03 s against 1.07-1.17 s), where 100,000 turns had tails of 3.7-9.3 s there. libgomp
# reads this when torch loads, so it is set before anything here imports torch; a wait policy
# or spin count already in the environment wins.
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.setdefault("GOMP_SPINCOUNT", "10000")

from tts_engine.config import EngineConfig
from tts_engine.speech import LANGUAGES, SAMPLE_RATE, Audio, SpeechRequest, VoiceInfo

if TYPE_CHECKING:
    from tts_engine import audio
    from tts_engine.synthesis.base import Engine, make_engine
    from tts_engine.synthesis.local import LocalEngine
    from tts_engine.synthesis.remote import RemoteEngine

__all__ = [
    "LANGUAGES",
    "SAMPLE_RATE",
    "Audio",
    "Engine",
    "EngineConfig",
    "LocalEngine",
    "RemoteEngine",
    "SpeechRequest",
    "VoiceInfo",
    "audio",
    "make_engine",
]

_LAZY = {
    "Engine": ("tts_engine.synthesis.base", "Engine"),
    "LocalEngine": ("tts_engine.synthesis.local", "LocalEngine"),
    "RemoteEngine": ("tts_engine.synthesis.remote", "RemoteEngine"),
    "audio": ("tts_engine.audio", None),
    "make_engine": ("tts_engine.synthesis.base", "make_engine"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'tts_engine' has no attribute {name!r}")
    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value
