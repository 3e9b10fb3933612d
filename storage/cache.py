"""Per-process caches of values read from the database, invalidated on every write.

A process that writes calls `changed(cache, key)`: the entry goes here at once and, on
PostgreSQL, in every other process sharing the database (NOTIFY on one channel, LISTENed on a
dedicated connection). SQLite serves one process, so the local invalidation is the whole story.
While the LISTEN connection is down, nothing is cached (every read goes to the database) and
everything cached is dropped when it comes back, since notifications may have been missed.

Each cache is an LRU with a fixed number of entries (`maxsize`); a cache may also be filled
with a whole table at once (`fill`), after which a key it does not hold is known to have no row
until the cache evicts something.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from cachetools import LRUCache

from storage.listen import Listener

log = logging.getLogger(__name__)

CHANNEL = "tts_cache"
V = TypeVar("V")
_MISSING: Any = object()


class _Lru(LRUCache[str, Any]):
    """An LRU that reports evictions (an evicted key no longer means "no row")."""

    def __init__(self, maxsize: int, on_evict: Callable[[], None]) -> None:
        super().__init__(maxsize)
        self._on_evict = on_evict

    def popitem(self) -> tuple[str, Any]:
        self._on_evict()
        return super().popitem()


class RowCache(Generic[V]):
    """Values keyed by a string (a guild id, "guild:user", "user:42"), read through `load`."""

    def __init__(self, name: str, maxsize: int) -> None:
        self.name, self.maxsize = name, maxsize
        self._data = _Lru(maxsize, self._evicted)
        #: Bumped by every invalidation, so a load that raced one is not stored.
        self._generation = 0
        self._complete = False
        #: Keys invalidated since a `fill`: not known absent, read on next use.
        self._dirty: set[str] = set()
        _REGISTRY[name] = self

    def __len__(self) -> int:
        return len(self._data)

    def _evicted(self) -> None:
        self._complete = False
        self._dirty.clear()

    def peek(self, key: str) -> V | None:
        """The cached value without loading (None when not cached and not known absent)."""
        value = self._data.get(key, _MISSING)
        return None if value is _MISSING else value

    def known(self, key: str) -> bool:
        """Whether `get(key)` would answer without a query."""
        return key in self._data or (self._complete and key not in self._dirty)

    async def get(self, key: str, load: Callable[[], Awaitable[V]], absent: V) -> V:
        """The value for `key`: cached, `absent` for a filled cache without it, else loaded."""
        value = self._data.get(key, _MISSING)
        if value is not _MISSING:
            return value
        if self._complete and key not in self._dirty:
            return absent
        generation = self._generation
        value = await load()
        if generation == self._generation and _live:
            self._dirty.discard(key)
            self._data[key] = value
        return value

    def put(self, key: str, value: V, generation: int) -> None:
        """Hold a value read elsewhere (one query for several caches), unless an invalidation
        came while it was read."""
        if generation == self._generation and _live:
            self._dirty.discard(key)
            self._data[key] = value

    def fill(self, values: dict[str, V], generation: int) -> None:
        """Hold a whole table's values: afterwards a missing key means no row. Ignored when
        the table is larger than the cache or an invalidation came while it was read."""
        if len(values) > self.maxsize or generation != self._generation or not _live:
            return
        self._dirty.clear()
        self._data.clear()
        self._data.update(values)
        self._complete = True

    @property
    def complete(self) -> bool:
        """Whether a whole table is held (`fill`): a key not held then has no row."""
        return self._complete

    @property
    def generation(self) -> int:
        """Read before a `fill`'s query; `fill` refuses results older than an invalidation."""
        return self._generation

    def invalidate(self, key: str) -> None:
        """Forget `key` (when filled, only that key is read again)."""
        self._generation += 1
        self._data.pop(key, None)
        if self._complete:
            self._dirty.add(key)
            if len(self._dirty) > self.maxsize:
                self._evicted()

    def clear(self) -> None:
        """Forget everything."""
        self._generation += 1
        self._evicted()
        self._data.clear()


_REGISTRY: dict[str, RowCache[Any]] = {}
#: Whether cached values can be trusted (always on SQLite; while LISTENing on PostgreSQL).
_live = True


def _set_live(live: bool) -> None:
    global _live
    _live = live


def clear_all() -> None:
    """Forget every cached value (a new database, or missed notifications)."""
    for cache in _REGISTRY.values():
        cache.clear()


async def changed(cache: RowCache[Any], key: str) -> None:
    """A row behind `cache[key]` was written: forget it here and in every other process."""
    cache.invalidate(key)
    listener = _listener
    if listener is None:
        return
    try:
        await listener.notify(f"{cache.name} {key}")
    except Exception:  # the other processes then keep a stale value until it changes
        log.warning("could not tell other processes that %s %s changed", cache.name, key,
                    exc_info=True)


def _on_notify(body: str) -> None:
    name, _, key = body.partition(" ")
    cache = _REGISTRY.get(name)
    if cache is None or not key:
        log.warning("ignoring a malformed cache notification: %.200s", body)
        return
    cache.invalidate(key)


def _opened() -> None:
    clear_all()  # whatever was cached before may have changed unseen
    _set_live(True)


def _dropped() -> None:
    _set_live(False)
    clear_all()


_listener: Listener | None = None


async def start_listening(url: str) -> None:
    """Follow other processes' writes (PostgreSQL): called when the database is opened."""
    global _listener
    await stop_listening()
    listener = Listener(url, CHANNEL, _on_notify, logger=log, what="cache's",
                        meanwhile="settings are read from the database",
                        on_open=_opened, on_lost=_dropped)
    await listener.open()
    _listener = listener


async def stop_listening() -> None:
    """Stop following (the database is closed); everything cached is dropped."""
    global _listener
    listener, _listener = _listener, None
    if listener is not None:
        await listener.close()
    _set_live(True)
    clear_all()
