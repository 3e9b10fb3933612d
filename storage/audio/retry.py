"""Wrappers that make a store resilient: retries with backoff, and a local fallback."""

from __future__ import annotations

import logging
from collections.abc import Callable
from uuid import UUID

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    before_sleep_log,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from storage.audio.base import AudioStore, StoredAudio
from storage.errors import StorageError

log = logging.getLogger(__name__)


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, StorageError) and exc.transient


class RetryingStore(AudioStore):
    """Retries transient failures of `inner` with exponential backoff, then re-raises."""

    def __init__(self, inner: AudioStore, *, attempts: int = 4, wait_s: float = 1.0,
                 max_wait_s: float = 30.0, on_retry: Callable[[], None] | None = None) -> None:
        self.inner = inner
        self.backend = inner.backend  # type: ignore[misc]
        self.attempts, self.wait_s, self.max_wait_s = attempts, wait_s, max_wait_s
        #: Called before each retry (the process counts them for its metrics).
        self.on_retry = on_retry
        self._log_retry = before_sleep_log(log, logging.WARNING)

    def _before_retry(self, state: RetryCallState) -> None:
        self._log_retry(state)
        if self.on_retry is not None:
            self.on_retry()

    def _retrying(self) -> AsyncRetrying:
        return AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.wait_s, max=self.max_wait_s),
            retry=retry_if_exception(_transient),
            before_sleep=self._before_retry,
            reraise=True,
        )

    async def put(self, project_id: UUID, data: bytes, fmt: str) -> StoredAudio:
        """Upload, retrying transient failures."""
        async for attempt in self._retrying():
            with attempt:
                return await self.inner.put(project_id, data, fmt)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def read(self, key: str, url: str | None = None) -> bytes:
        """Download, retrying transient failures."""
        async for attempt in self._retrying():
            with attempt:
                return await self.inner.read(key, url)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def delete(self, key: str) -> None:
        """Delete, retrying transient failures."""
        async for attempt in self._retrying():
            with attempt:
                await self.inner.delete(key)

    async def close(self) -> None:
        """Close the wrapped store."""
        await self.inner.close()


class FallbackStore(AudioStore):
    """Stores in `primary`; when that fails for good, keeps the clip in `fallback` instead.

    Reads and deletes go to whichever store holds the clip, named by the project's backend.
    """

    def __init__(self, primary: AudioStore, fallback: AudioStore) -> None:
        self.primary, self.fallback = primary, fallback
        self.backend = primary.backend  # type: ignore[misc]

    def for_backend(self, backend: str | None) -> AudioStore:
        """The store that holds clips recorded under `backend`."""
        return self.fallback if backend == self.fallback.backend else self.primary

    async def put(self, project_id: UUID, data: bytes, fmt: str) -> StoredAudio:
        """Upload to the primary store, or fall back."""
        try:
            return await self.primary.put(project_id, data, fmt)
        except StorageError as exc:
            log.warning("primary audio store failed (%s); keeping %s locally", exc, project_id)
            return await self.fallback.put(project_id, data, fmt)

    async def read(self, key: str, url: str | None = None) -> bytes:
        """Read from the primary store (use `for_backend` when the backend is known)."""
        return await self.primary.read(key, url)

    async def delete(self, key: str) -> None:
        """Delete from the primary store (use `for_backend` when the backend is known)."""
        await self.primary.delete(key)

    async def close(self) -> None:
        """Close both stores."""
        await self.primary.close()
        await self.fallback.close()
