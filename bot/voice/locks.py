"""Locks per server that exist only while someone holds or waits for them.

A bot in thousands of servers must not keep a lock for each server it ever saw a message in.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class KeyedLocks:
    """`async with locks.hold(guild_id):` serialises work per key, first come first served;
    a key's lock is dropped when its last holder or waiter leaves."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    def __contains__(self, key: int) -> bool:
        return key in self._locks

    @contextlib.asynccontextmanager
    async def hold(self, key: int) -> AsyncIterator[None]:
        """Hold `key`'s lock. The place in line is taken before the first await, so tasks
        started in order get the lock in order."""
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
