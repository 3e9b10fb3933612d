"""The bounded audio cache: repeated phrases are served, memory stays bounded."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from tts_engine.synthesis.cache import AudioCache, CacheKey


@dataclass(frozen=True)
class Clip:
    samples: np.ndarray


@dataclass(frozen=True)
class Req:
    text: str
    voice: str
    lang: str
    speed: float


def clip(n: int, value: float = 0.5) -> Clip:
    return Clip(np.full(n, value, dtype=np.float32))


def key(text: str = "hello", voice: str = "af_heart", speed: float = 1.0, lang: str = "a",
        model: str = "m1") -> CacheKey:
    return CacheKey.for_request(Req(text, voice, lang, speed), model)


def test_repeated_request_is_served_from_cache() -> None:
    cache: AudioCache[Clip] = AudioCache(max_entries=4, max_bytes=1 << 20)
    audio = clip(100)
    assert cache.get(key()) is None
    assert cache.put(key(), audio)
    assert cache.get(key()) is audio
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.entries, stats.bytes) == (1, 1, 1, 400)


def test_every_field_of_the_key_matters() -> None:
    cache: AudioCache[Clip] = AudioCache(max_entries=16, max_bytes=1 << 20)
    cache.put(key(), clip(10))
    for other in (key(text="hello!"), key(voice="af_bella"), key(speed=1.1), key(lang="b"),
                  key(model="m2"), key(voice="af_heart,af_sky")):
        assert cache.get(other) is None
    assert cache.get(key()) is not None


def test_eviction_by_bytes_drops_least_recently_used() -> None:
    # Three 400-byte clips fit in 1000 bytes only two at a time.
    cache: AudioCache[Clip] = AudioCache(max_entries=10, max_bytes=1000)
    cache.put(key("a"), clip(100))
    cache.put(key("b"), clip(100))
    assert cache.get(key("a")) is not None  # "a" is now the most recent
    cache.put(key("c"), clip(100))
    assert key("b") not in cache
    assert key("a") in cache and key("c") in cache
    assert cache.stats().bytes <= 1000
    assert cache.stats().evictions == 1


def test_eviction_by_entry_count() -> None:
    cache: AudioCache[Clip] = AudioCache(max_entries=2, max_bytes=1 << 20)
    for text in ("a", "b", "c"):
        cache.put(key(text), clip(1))
    assert len(cache) == 2
    assert key("a") not in cache


def test_clip_larger_than_the_cache_is_not_stored() -> None:
    cache: AudioCache[Clip] = AudioCache(max_entries=10, max_bytes=1000)
    cache.put(key("small"), clip(10))
    assert not cache.put(key("huge"), clip(1000))
    assert key("small") in cache  # nothing was evicted for a clip that could never fit


def test_replacing_a_key_keeps_byte_count_right() -> None:
    cache: AudioCache[Clip] = AudioCache(max_entries=10, max_bytes=1 << 20)
    cache.put(key(), clip(100))
    cache.put(key(), clip(50))
    assert cache.stats().bytes == 200
    assert len(cache) == 1


def test_disabled_cache_stores_nothing() -> None:
    for cache in (AudioCache[Clip](0, 1 << 20), AudioCache[Clip].from_config(8, 0)):
        assert not cache.put(key(), clip(1))
        assert cache.get(key()) is None


def test_concurrent_use_stays_within_bounds() -> None:
    cache: AudioCache[Clip] = AudioCache(max_entries=8, max_bytes=8 * 400)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(200):
                k = key(f"{n}-{i % 12}")
                if cache.get(k) is None:
                    cache.put(k, clip(100))
        except BaseException as exc:  # pragma: no cover - surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    stats = cache.stats()
    assert stats.entries <= 8 and stats.bytes <= 8 * 400
    assert stats.bytes == sum(c.samples.nbytes for c in cache._items.values())
