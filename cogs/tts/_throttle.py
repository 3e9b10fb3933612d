"""Rate-limited progress messages: the newest state reaches Discord, never too often.

Discord allows about five edits of one message per five seconds; a job publishes events faster
than that. `ProgressEditor` keeps only the newest state and applies it at most once per
interval, and always applies the final state (after the interval, so the limit still holds).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import discord

log = logging.getLogger(__name__)

T = TypeVar("T")


def progress_bar(percent: int | float, width: int = 12) -> str:
    """A text progress bar such as `▰▰▰▱▱▱▱▱▱▱▱▱ 25%`."""
    pct = max(0.0, min(100.0, float(percent)))
    filled = round(pct / 100 * width)
    return f"{'▰' * filled}{'▱' * (width - filled)} {pct:.0f}%"


class ProgressEditor(Generic[T]):
    """Applies the newest state through `edit`, at most once per `interval_s`.

    `update()` never waits for Discord: a state that arrives too soon, or while an edit is in
    flight, is held and applied when the interval has passed (replaced by any newer one
    meanwhile). `finish()` drops anything
    pending and applies the final state as soon as the interval allows.
    """

    def __init__(
        self, edit: Callable[[T], Awaitable[None]], interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._edit, self._interval, self._clock = edit, interval_s, clock
        self._last: float | None = None
        self._latest: T | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.edits = 0

    def _wait(self) -> float:
        if self._last is None:
            return 0.0
        return max(0.0, self._last + self._interval - self._clock())

    async def update(self, state: T) -> None:
        """Show `state` soon; replaces any state not yet shown."""
        self._latest = state
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_later())

    async def _flush_later(self) -> None:
        # Loops until nothing is pending: a state that arrives while an edit is on its way is
        # applied one interval after that edit, not held until some later update().
        while self._latest is not None:
            await asyncio.sleep(self._wait())
            async with self._lock:
                state, self._latest = self._latest, None
                if state is not None:
                    await self._apply(state)

    async def finish(self, state: T) -> None:
        """Show the final `state` (always), respecting the interval."""
        self._latest = None
        if self._flusher is not None:
            # It finds nothing left to show once it wakes (or finishes an edit in flight);
            # waiting for it costs nothing, since the final edit must wait the interval anyway.
            await self._flusher
        async with self._lock:
            await asyncio.sleep(self._wait())
            await self._apply(state)

    async def close(self) -> None:
        """Stop without applying what is pending."""
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher

    async def _apply(self, state: T) -> None:
        self._last = self._clock()
        try:
            await self._edit(state)
            self.edits += 1
        except discord.HTTPException as exc:
            # An expired interaction token or a deleted message must not kill the job's
            # follower; the job itself is unaffected.
            log.warning("progress edit failed: %s", exc)
