"""Engine configuration: where the model comes from, where it runs, and the text limits."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

DEFAULT_REPO_ID = "hexgrad/Kokoro-82M"
ZH_REPO_ID = "hexgrad/Kokoro-82M-v1.1-zh"


class EngineConfig(BaseModel):
    """Settings of the Kokoro engine; the bot nests this under `[engine]`."""

    repo_id: str = DEFAULT_REPO_ID
    model_dir: Path | None = None
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    load: Literal["startup", "lazy"] = "startup"
    hub_timeout_s: float = Field(default=10.0, gt=0)
    max_text_chars: int = Field(default=5000, ge=1)
    # Numbers, dates, times, money, units and links read as words (tts_engine.text.normalize).
    normalize_text: bool = True
    # A voice chosen with a language that is not its own: refused (False), or spoken with the
    # voice's accent (True; the command line's --any-voice).
    cross_language_voices: bool = False
    default_voice: str = "af_heart"
    default_lang: str = "a"
    # Fast CPU inference (folded weight norm, per-module precision); `false` is stock Kokoro.
    fast: bool = True
    # Freed memory the fast path may keep for reuse (MB) beyond the process's size after the
    # last release; past it, freed pages go back to the OS (tts_engine.model.heap).
    retained_heap_mb: int = Field(default=1024, ge=0)
    # Torch intra-op threads; 0 means one per core.
    threads: int = Field(default=0, ge=0)
    # Inference threads shared by every caller of the engine (scheduled fairly, chunk by chunk).
    executor_workers: int = Field(default=1, ge=1)
    # A step (one chunk) that has waited this long runs ahead of more urgent work, so queued
    # jobs get a minimum share of the engine under continuous voice traffic (ageing).
    max_wait_s: float = Field(default=5.0, gt=0)
    # Longest chunk (phonemes) after the short first ones: the most another server's speech
    # waits behind, and the most a cancelled stream costs (the model's window is 510).
    chunk_phonemes: int = Field(default=250, ge=16, le=510)
    # Synthesis servers (this project's HTTP API) to stream from instead of loading the model;
    # empty: synthesise here. `remote_key` is their bearer key (TTSBOT__ENGINE__REMOTE_KEY).
    remote: list[str] = Field(default_factory=list)
    remote_key: str | None = Field(default=None, repr=False)
    remote_health_s: float = Field(default=5.0, gt=0)
    # How long to keep asking synthesis servers that answer "busy" (429/503, after their
    # Retry-After) before giving up on a request.
    remote_retry_s: float = Field(default=60.0, gt=0)
    # Bounded in-memory cache of finished clips, by request.
    cache_entries: int = Field(default=64, ge=0)
    cache_max_mb: int = Field(default=256, ge=0)
