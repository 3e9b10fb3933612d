"""A bounded in-memory cache of finished clips, so a repeated phrase costs nothing.

Keyed by everything that decides the audio: text, voice (blend spec included), speed,
language, and the model's identity. Bounded both by entry count and by bytes of samples;
least recently used goes first. Safe to share between threads.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import numpy as np

log = logging.getLogger(__name__)


class _HasSamples(Protocol):
    @property
    def samples(self) -> np.ndarray: ...


class _RequestLike(Protocol):
    @property
    def text(self) -> str: ...
    @property
    def voice(self) -> str: ...
    @property
    def lang(self) -> str: ...
    @property
    def speed(self) -> float: ...


A = TypeVar("A", bound=_HasSamples)


@dataclass(frozen=True)
class CacheKey:
    """What makes two requests sound the same."""

    text: str
    voice: str
    speed: float
    lang: str
    model_id: str

    @classmethod
    def for_request(cls, req: _RequestLike, model_id: str) -> CacheKey:
        """The key of a validated `SpeechRequest` on the model `model_id`."""
        return cls(req.text, req.voice, round(float(req.speed), 4), req.lang, model_id)


@dataclass(frozen=True)
class CacheStats:
    """A snapshot of the cache's counters."""

    hits: int
    misses: int
    evictions: int
    entries: int
    bytes: int


class AudioCache(Generic[A]):
    """LRU of clips bounded by `max_entries` and `max_bytes`; either at 0 disables it.

    Cached clips are shared, not copied: treat their samples as read-only.
    """

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[CacheKey, A] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._hits = self._misses = self._evictions = 0

    @classmethod
    def from_config(cls, entries: int, max_mb: int) -> AudioCache[A]:
        """Build from `EngineConfig.cache_entries` / `cache_max_mb`."""
        return cls(entries, max_mb * 1024 * 1024)

    @property
    def enabled(self) -> bool:
        """Whether anything can be stored at all."""
        return self.max_entries > 0 and self.max_bytes > 0

    def get(self, key: CacheKey) -> A | None:
        """The clip for `key`, marked most recently used; None on a miss."""
        with self._lock:
            audio = self._items.get(key)
            if audio is None:
                self._misses += 1
                return None
            self._items.move_to_end(key)
            self._hits += 1
            return audio

    def put(self, key: CacheKey, audio: A) -> bool:
        """Store `audio`, evicting the least recently used; False if it can never fit."""
        size = int(audio.samples.nbytes)
        if not self.enabled or size > self.max_bytes:
            return False
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= int(old.samples.nbytes)
            self._items[key] = audio
            self._bytes += size
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= int(evicted.samples.nbytes)
                self._evictions += 1
        return True

    def clear(self) -> None:
        """Drop every clip (e.g. when the model changes)."""
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def stats(self) -> CacheStats:
        """Counters and current size."""
        with self._lock:
            return CacheStats(self._hits, self._misses, self._evictions,
                              len(self._items), self._bytes)
