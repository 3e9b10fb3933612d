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

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import asyncpg
from cachetools import LRUCache
from tenacity import AsyncRetrying, before_sleep_log, retry_if_exception_type, wait_exponential

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
_ORIGIN = uuid.uuid4().hex


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
    if listener is not None:
        await listener.notify(cache.name, key)


def _on_notify(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
    origin, _, rest = payload.partition(" ")
    name, _, key = rest.partition(" ")
    cache = _REGISTRY.get(name)
    if origin == _ORIGIN:
        return
    if cache is None or not key:
        log.warning("ignoring a malformed cache notification: %.200s", payload)
        return
    cache.invalidate(key)


class _Listener:
    """The LISTEN connection; reopened with backoff when it drops."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: asyncpg.Connection | None = None
        self._reconnecting: asyncio.Task[None] | None = None
        self._closing = False

    async def open(self) -> None:
        conn = await asyncpg.connect(self._url)
        await conn.add_listener(CHANNEL, _on_notify)
        conn.add_termination_listener(self._on_lost)
        self._conn = conn
        clear_all()  # whatever was cached before may have changed unseen
        _set_live(True)

    def _on_lost(self, conn: Any) -> None:
        if self._closing or conn is not self._conn:
            return
        self._conn = None
        _set_live(False)
        clear_all()
        log.warning("the cache's LISTEN connection dropped; settings are read from the "
                    "database until it is reopened")
        self._reconnecting = asyncio.create_task(self._reconnect(), name="cache-reconnect")

    async def _reconnect(self) -> None:
        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=0.5, max=30.0),
            retry=retry_if_exception_type((OSError, TimeoutError, asyncpg.PostgresError,
                                           asyncpg.InterfaceError)),
            before_sleep=before_sleep_log(log, logging.WARNING))
        async for attempt in retrying:
            with attempt:
                await self.open()
        log.info("the cache's LISTEN connection is open again")

    async def notify(self, name: str, key: str) -> None:
        from storage.db import connection  # db imports this module

        try:
            await connection().execute_query(
                "SELECT pg_notify($1, $2)", [CHANNEL, f"{_ORIGIN} {name} {key}"])
        except Exception:  # the other processes then keep a stale value until it changes
            log.warning("could not tell other processes that %s %s changed", name, key,
                        exc_info=True)

    async def close(self) -> None:
        self._closing = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            await asyncio.gather(self._reconnecting, return_exceptions=True)
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close(timeout=5)
            self._conn = None


_listener: _Listener | None = None


async def start_listening(url: str) -> None:
    """Follow other processes' writes (PostgreSQL): called when the database is opened."""
    global _listener
    await stop_listening()
    listener = _Listener(url)
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
